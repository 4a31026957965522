"""Applying entries, in sequence, to positions, figures, profit buckets and equity days.

The same Book serves recording (starting from the stored rows it needs, loaded on demand)
and verification (starting from nothing), so the figures kept incrementally and the figures
recomputed from scratch come from one piece of code.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from services.ledger.domain import (
    PERIODS,
    Bucket,
    Figures,
    FillIn,
    Position,
    add_fill,
    apply_fill,
    apply_fill_outcome,
    apply_funding,
    bucket_start,
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
    buckets: dict[BucketKey, Bucket] = field(default_factory=dict)
    days: dict[DayKey, tuple[datetime, Decimal]] = field(default_factory=dict)
    position_currency: dict[PositionKey, str] = field(default_factory=dict)

    def _position(self, key: PositionKey) -> Position:
        if key not in self.positions:
            self.positions[key] = self.loader.position(key) or Position(side=0, lots=())
        return self.positions[key]

    def _figures(self, key: FiguresKey) -> Figures:
        if key not in self.figures:
            self.figures[key] = self.loader.figures(key) or Figures()
        return self.figures[key]

    def _bucket(self, key: BucketKey) -> Bucket:
        if key not in self.buckets:
            self.buckets[key] = self.loader.bucket(key) or Bucket(period_start=key[3])
        return self.buckets[key]

    def _scopes(self, bot_id: str) -> list[str]:
        return [ACCOUNT, bot_id] if bot_id else [ACCOUNT]

    def _note_day(self, entry: Entry) -> None:
        day = bucket_start(entry.at, "daily")
        equity = self._figures((ACCOUNT, entry.currency)).equity
        self.days[(entry.currency, day)] = (entry.at, equity)

    def apply(self, entry: Entry) -> Derived:
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
        for scope in self._scopes(e.bot_id):
            fkey = (scope, e.currency)
            self.figures[fkey] = apply_fill_outcome(self._figures(fkey), outcome, e.at)
            for period in PERIODS:
                bkey = (scope, e.currency, period, bucket_start(e.at, period))
                self.buckets[bkey] = add_fill(self._bucket(bkey), outcome)
        self._note_day(e)
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
