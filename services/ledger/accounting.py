"""Applying entries, in sequence, to positions, figures, profit buckets and equity days.

The same Book serves recording (starting from the stored rows it needs, loaded on demand)
and verification (starting from nothing), so the figures kept incrementally and the figures
recomputed from scratch come from one piece of code.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, localcontext

from services.ledger.domain import (
    CTX,
    PERIODS,
    Bucket,
    Figures,
    FillIn,
    Position,
    apply_fill,
    apply_fill_outcome,
    apply_funding,
    bucket_start,
    reset_risk,
    roll_day,
)
from services.ledger.model import FILL, Derived, Entry

ACCOUNT = ""  # the scope of the whole account; a bot's scope is its id

PositionKey = tuple[str, str]  # bot_id, symbol
FiguresKey = tuple[str, str]  # scope, currency
BucketKey = tuple[str, str, str, datetime]  # scope, currency, period, period_start
DayKey = tuple[str, datetime]  # currency, day


@dataclass
class Loader:
    """Where a Book finds state it does not hold yet (the database, or nothing)."""

    position: Callable[[PositionKey], Position | None] = lambda _k: None
    figures: Callable[[FiguresKey], Figures | None] = lambda _k: None
    bucket: Callable[[BucketKey], Bucket | None] = lambda _k: None


@dataclass
class Book:
    loader: Loader = field(default_factory=Loader)
    positions: dict[PositionKey, Position] = field(default_factory=dict)
    figures: dict[FiguresKey, Figures] = field(default_factory=dict)
    # bucket sums accumulate in place ([realized, fees, trades, wins]); see buckets property
    sums: dict[BucketKey, list] = field(default_factory=dict)
    days: dict[DayKey, tuple[datetime, Decimal]] = field(default_factory=dict)
    position_currency: dict[PositionKey, str] = field(default_factory=dict)
    day: datetime | None = None  # UTC midnight of the day the entry being applied was recorded
    _starts: dict[tuple, list[tuple[str, datetime]]] = field(default_factory=dict)

    def _bucket_starts(self, at: datetime) -> list[tuple[str, datetime]]:
        """(period, start) of the daily, weekly and monthly buckets holding ``at``; memoised."""
        key = (at.year, at.month, at.day, at.utcoffset())
        starts = self._starts.get(key)
        if starts is None:
            starts = self._starts[key] = [(p, bucket_start(at, p)) for p in PERIODS]
        return starts

    def _position(self, key: PositionKey) -> Position:
        if key not in self.positions:
            self.positions[key] = self.loader.position(key) or Position(side=0, lots=())
        return self.positions[key]

    def _figures(self, key: FiguresKey) -> Figures:
        f = self.figures.get(key)
        if f is None:
            f = self.loader.figures(key) or Figures()
        if self.day is not None:
            f = roll_day(f, self.day)
        self.figures[key] = f
        return f

    @property
    def buckets(self) -> dict[BucketKey, Bucket]:
        """Every bucket touched, with its sums (the same as folding domain.add_fill)."""
        return {
            k: Bucket(period_start=k[3], realized_pnl=r, fees=f, trades=t, winning_trades=w)
            for k, (r, f, t, w) in self.sums.items()
        }

    def _add_to_bucket(self, key: BucketKey, outcome) -> None:
        acc = self.sums.get(key)
        if acc is None:
            b = self.loader.bucket(key) or Bucket(period_start=key[3])
            acc = self.sums[key] = [b.realized_pnl, b.fees, b.trades, b.winning_trades]
        acc[0] += outcome.realized_pnl
        acc[1] += outcome.fee_quote
        if outcome.is_trade:
            acc[2] += 1
            if outcome.trade_net is not None and outcome.trade_net > 0:
                acc[3] += 1

    def _scopes(self, bot_id: str) -> list[str]:
        return [ACCOUNT, bot_id] if bot_id else [ACCOUNT]

    def _note_day(self, entry: Entry, day: datetime | None = None) -> None:
        day = day or bucket_start(entry.at, "daily")
        equity = self._figures((ACCOUNT, entry.currency)).equity
        self.days[(entry.currency, day)] = (entry.at, equity)

    def apply_baseline(self, key: FiguresKey, at: datetime) -> None:
        """A breaker reset: the scope's risk figures start afresh at its equity now."""
        self.day = bucket_start(at, "daily")
        self.figures[key] = reset_risk(self._figures(key), self.day)

    def apply(self, entry: Entry, recorded_at: datetime) -> Derived:
        self.day = self._bucket_starts(recorded_at)[0][1]
        if entry.kind == FILL:
            return self._apply_fill(entry)
        self._apply_event(entry)
        return Derived()

    def _apply_fill(self, e: Entry) -> Derived:
        key = (e.bot_id, e.symbol)
        assert e.price is not None and e.fee is not None
        outcome = apply_fill(
            self._position(key),
            FillIn(
                side=e.side,
                amount=e.amount,
                price=e.price,
                fee=e.fee,
                fee_currency=e.fee_currency,
                fee_quote=e.fee_quote,
                base=e.base,
                quote=e.currency,
            ),
        )
        self.positions[key] = outcome.position
        self.position_currency[key] = e.currency
        starts = self._bucket_starts(e.at)
        with localcontext(CTX):
            for scope in self._scopes(e.bot_id):
                fkey = (scope, e.currency)
                self.figures[fkey] = apply_fill_outcome(self._figures(fkey), outcome, e.at)
                for period, start in starts:
                    self._add_to_bucket((scope, e.currency, period, start), outcome)
        self._note_day(e, starts[0][1])
        return Derived(
            realized_pnl=outcome.realized_pnl,
            net_pnl=outcome.trade_net if outcome.is_trade else None,
            fee_value=outcome.fee_quote,
        )

    def _apply_event(self, e: Entry) -> None:
        t = e.event_type
        if t in ("FUNDING", "ADJUSTMENT"):
            deltas = {scope: e.amount for scope in self._scopes(e.bot_id)}
        elif t == "WITHDRAWAL":
            deltas = {scope: -e.amount for scope in self._scopes(e.bot_id)}
        elif t == "ALLOCATION":
            deltas = {e.bot_id: e.amount}
        elif t == "TRANSFER":
            deltas = {e.bot_id: -e.amount}
        else:
            raise ValueError(f"unknown event type {t}")
        for scope, delta in deltas.items():
            fkey = (scope, e.currency)
            self.figures[fkey] = apply_funding(self._figures(fkey), delta)
        if ACCOUNT in deltas:
            self._note_day(e)
