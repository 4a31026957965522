"""Applying entries, in sequence, to positions, figures, profit buckets and equity days.

The same Book serves recording (starting from the stored rows it needs, loaded on demand)
and verification (starting from nothing), so the figures kept incrementally and the figures
recomputed from scratch come from one piece of code.

The Book folds entries into mutable state (lots in a deque, figures in a slotted record,
bucket sums in lists) and freezes it into the domain's values (Position, Figures, Bucket)
only when asked. The arithmetic is the domain's (services.ledger.domain: fifo, figures,
buckets), which stays the specification: tests/unit/ledger/test_book.py checks this fold
against a fold of the domain's pure functions over random entries.
"""

from __future__ import annotations

import dataclasses
import json
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, localcontext

from services.ledger.domain import (
    CTX,
    Bucket,
    DomainError,
    Figures,
    Lot,
    Position,
    as_utc,
    bucket_start,
    bucket_starts,
    fmt,
)
from services.ledger.domain.fifo import effective, pro_rata
from services.ledger.model import FILL, Derived, Entry

ACCOUNT = ""  # the scope of the whole account; a bot's scope is its id

PositionKey = tuple[str, str]  # bot_id, symbol
FiguresKey = tuple[str, str]  # scope, currency
BucketKey = tuple[str, str, str, datetime]  # scope, currency, period, period_start
DayKey = tuple[str, datetime]  # currency, day


@dataclass
class Loader:
    """Where a Book finds state it does not hold yet (the database, or nothing)."""

    # a position as stored: the JSON text of Position.to_json
    position: Callable[[PositionKey], str | None] = lambda _k: None
    figures: Callable[[FiguresKey], Figures | None] = lambda _k: None
    bucket: Callable[[BucketKey], Bucket | None] = lambda _k: None


ZERO = Decimal(0)
_FIGURES = tuple(f.name for f in dataclasses.fields(Figures))


class _Figures:
    """Figures being folded: the same fields as domain.Figures, changed in place."""

    __slots__ = _FIGURES

    def __init__(self, f: Figures) -> None:
        for name in _FIGURES:
            setattr(self, name, getattr(f, name))

    def freeze(self) -> Figures:
        return Figures(**{name: getattr(self, name) for name in _FIGURES})

    def equity(self) -> Decimal:
        return self.net_funding + self.realized_pnl - self.fees

    def mark_drawdown(self) -> Decimal:
        """Raise the peaks to the equity now and record the drawdown seen (_with_drawdown);
        return the equity."""
        equity = self.net_funding + self.realized_pnl - self.fees
        if equity > self.risk_peak:
            self.risk_peak = equity
        peak = self.peak
        if equity >= peak:
            self.peak = equity  # at the peak: a drawdown of 0, never above the max seen
        elif peak > 0:
            drawdown = (peak - equity) / peak
            if drawdown > self.max_drawdown:
                self.max_drawdown = drawdown
        return equity


class _Position:
    """A position being folded: its side and its open lots as [qty, price, entry fee]."""

    __slots__ = ("side", "lots")

    def __init__(self, side: int = 0, lots: Iterable[list[Decimal]] = ()) -> None:
        self.side = side
        self.lots: deque[list[Decimal]] = deque(lots)

    @classmethod
    def from_json(cls, text: str) -> _Position:
        """A stored position (Position.to_json), read without building a Lot per lot."""
        try:
            data = json.loads(text)
            side = data["side"]
            lots = [
                [_stored(r["qty"]), _stored(r["price"]), _stored(r["fee"])] for r in data["lots"]
            ]
        except (ValueError, KeyError, TypeError, ArithmeticError) as exc:
            raise DomainError("position", f"malformed position JSON: {exc}") from exc
        if type(side) is not int or side not in (-1, 0, 1) or (side == 0) != (not lots):
            raise DomainError("position", "malformed position JSON: side")
        if any(q <= 0 or p <= 0 or f < 0 for q, p, f in lots):
            raise DomainError("position", "malformed position JSON: a lot out of range")
        return cls(side, lots)

    def freeze(self) -> Position:
        return Position(side=self.side, lots=tuple(Lot(q, p, f) for q, p, f in self.lots))

    def to_json(self) -> str:
        """The same text as Position.to_json (sorted keys; fmt gives digits, sign, point)."""
        lots = ",".join(
            f'{{"fee":"{fmt(f)}","price":"{fmt(p)}","qty":"{fmt(q)}"}}' for q, p, f in self.lots
        )
        return f'{{"lots":[{lots}],"side":{self.side}}}'

    def amount_and_cost(self) -> tuple[Decimal, Decimal]:
        """Signed open amount (Position.amount) and the sum of qty * price of the lots."""
        with localcontext(CTX):
            amount = sum((q for q, _p, _f in self.lots), ZERO) * self.side
            cost = sum((q * p for q, p, _f in self.lots), ZERO)
        return amount, cost


def _stored(text: object) -> Decimal:
    if type(text) is not str:
        raise TypeError("a lot's numbers are decimal strings")
    d = Decimal(text)
    if not d.is_finite():
        raise ValueError(f"not a finite number: {text!r}")
    return d


@dataclass
class Book:
    loader: Loader = field(default_factory=Loader)
    # bucket sums accumulate in place ([realized, fees, trades, wins]); see buckets property
    sums: dict[BucketKey, list] = field(default_factory=dict)
    days: dict[DayKey, tuple[datetime, Decimal]] = field(default_factory=dict)
    position_currency: dict[PositionKey, str] = field(default_factory=dict)
    day: datetime | None = None  # UTC midnight of the day the entry being applied was recorded
    _positions: dict[PositionKey, _Position] = field(default_factory=dict)
    _figures_: dict[FiguresKey, _Figures] = field(default_factory=dict)

    # --- what the book holds, as the domain's values -----------------------------------------

    @property
    def positions(self) -> dict[PositionKey, Position]:
        """Every position touched, as it stands."""
        return {k: p.freeze() for k, p in self._positions.items()}

    @property
    def figures(self) -> dict[FiguresKey, Figures]:
        """Every scope's figures touched, as they stand."""
        return {k: f.freeze() for k, f in self._figures_.items()}

    @property
    def buckets(self) -> dict[BucketKey, Bucket]:
        """Every bucket touched, with its sums (the same as folding domain.add_fill)."""
        return {
            k: Bucket(period_start=k[3], realized_pnl=r, fees=f, trades=t, winning_trades=w)
            for k, (r, f, t, w) in self.sums.items()
        }

    # --- folding ---------------------------------------------------------------------------

    def figures_held(self, key: FiguresKey) -> Figures | None:
        """The scope's figures as the book holds them now, None when it has not touched them
        (then they are as stored). Neither loads nor rolls the day: a look, not a change."""
        f = self._figures_.get(key)
        return None if f is None else f.freeze()

    def positions_held(self, currency: str) -> dict[PositionKey, tuple[Decimal, Decimal]]:
        """The positions in this quote currency the book has touched: (signed amount, cost)
        of each, as they stand now (the same figures position_rows stores)."""
        return {
            key: p.amount_and_cost()
            for key, p in self._positions.items()
            if self.position_currency.get(key, key[1].split("/")[-1]) == currency
        }

    def _position(self, key: PositionKey) -> _Position:
        p = self._positions.get(key)
        if p is None:
            stored = self.loader.position(key)
            p = self._positions[key] = (
                _Position() if stored is None else _Position.from_json(stored)
            )
        return p

    def position_rows(self) -> list[tuple[PositionKey, str, Decimal, Decimal]]:
        """Every position touched: (key, its JSON, signed amount, cost), ready to store."""
        return [(k, p.to_json(), *p.amount_and_cost()) for k, p in self._positions.items()]

    def _figures(self, key: FiguresKey) -> _Figures:
        """The scope's figures, rolled to the current day (domain.roll_day)."""
        f = self._figures_.get(key)
        if f is None:
            f = self._figures_[key] = _Figures(self.loader.figures(key) or Figures())
        day = self.day
        if day is not None and (f.day_start is None or day > f.day_start):
            f.day_start = day
            f.day_start_equity = f.equity()
            f.mark_drawdown()
        return f

    def _bucket(self, key: BucketKey) -> list:
        """The sums of a bucket not touched yet: [realized, fees, trades, wins] as stored."""
        b = self.loader.bucket(key) or Bucket(period_start=key[3])
        acc = self.sums[key] = [b.realized_pnl, b.fees, b.trades, b.winning_trades]
        return acc

    def _scopes(self, bot_id: str) -> list[str]:
        return [ACCOUNT, bot_id] if bot_id else [ACCOUNT]

    def _note_day(self, entry: Entry, day: datetime | None = None) -> None:
        day = day or bucket_start(entry.at, "daily")
        equity = self._figures((ACCOUNT, entry.currency)).equity()
        self.days[(entry.currency, day)] = (entry.at, equity)

    def apply_baseline(self, key: FiguresKey, at: datetime) -> None:
        """A breaker reset: the scope's risk figures start afresh at its equity now."""
        self.day = bucket_start(at, "daily")
        with localcontext(CTX):
            f = self._figures(key)  # domain.reset_risk
            equity = f.equity()
            f.risk_peak = equity
            f.risk_losses = 0
            f.day_start = self.day
            f.day_start_equity = equity
            f.mark_drawdown()

    def apply(self, entry: Entry, recorded_at: datetime) -> Derived:
        self.day = bucket_starts(recorded_at)[0][1]
        with localcontext(CTX):
            if entry.kind == FILL:
                return self._apply_fill(entry)
            self._apply_event(entry)
        return Derived()

    def _apply_fill(self, e: Entry) -> Derived:
        """domain.apply_fill, apply_fill_outcome and add_fill, folded in place."""
        key = (e.bot_id, e.symbol)
        price = e.price
        assert price is not None and e.fee is not None
        direction, q, fee_quote = effective(
            e.side, e.amount, price, e.fee, e.fee_currency, e.fee_quote, e.base, e.currency
        )
        when = as_utc(e.at, "executed_at")
        pos = self._position(key)
        lots = pos.lots
        remaining = q
        realized = ZERO
        entry_share = ZERO
        side = pos.side
        if side == -direction:  # close lots oldest first, until the fill is used
            while lots and remaining:
                lot = lots[0]
                qty, lot_price, lot_fee = lot
                take = qty if qty < remaining else remaining  # min(remaining, qty)
                if take == qty:
                    share = lot_fee
                    lots.popleft()
                else:
                    share = pro_rata(lot_fee, take, qty)
                    lot[0] = qty - take
                    lot[2] = lot_fee - share
                realized += (price - lot_price) * take * side
                entry_share += share
                remaining -= take
        closed = q - remaining
        own_share = pro_rata(fee_quote, closed, q)
        if not lots:
            pos.side = 0
        if remaining > 0:
            lots.append([remaining, price, fee_quote - own_share])
            pos.side = direction
        is_trade = closed > 0
        net = realized - own_share - entry_share if is_trade else None
        won = is_trade and net > 0
        currency = e.currency
        self.position_currency[key] = currency
        starts = bucket_starts(e.at)
        sums = self.sums
        account_equity = ZERO
        for scope in self._scopes(e.bot_id):
            f = self._figures((scope, currency))
            f.realized_pnl += realized
            f.fees += fee_quote
            if is_trade:
                f.trades += 1
                if net > 0:
                    f.winning_trades += 1
                    f.consecutive_losses = f.risk_losses = 0
                elif net < 0:
                    f.losing_trades += 1
                    f.consecutive_losses += 1
                    f.risk_losses += 1
                else:
                    f.consecutive_losses = f.risk_losses = 0  # break-even ends a losing streak
            first = f.first_trade_at
            if first is None or when < first:
                f.first_trade_at = when
            equity = f.mark_drawdown()
            if scope == ACCOUNT:
                account_equity = equity
            for period, start in starts:
                bkey = (scope, currency, period, start)
                acc = sums.get(bkey)
                if acc is None:
                    acc = self._bucket(bkey)
                acc[0] += realized
                acc[1] += fee_quote
                if is_trade:
                    acc[2] += 1
                    if won:
                        acc[3] += 1
        self.days[(currency, starts[0][1])] = (e.at, account_equity)  # the account's equity now
        return Derived(realized_pnl=realized, net_pnl=net, fee_value=fee_quote)

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
            if not isinstance(delta, Decimal) or not delta.is_finite():
                raise DomainError("amount", "funding delta must be a finite Decimal")
            f = self._figures((scope, e.currency))  # domain.apply_funding
            f.net_funding += delta
            f.peak += delta
            f.risk_peak += delta
            f.day_start_equity += delta
            f.mark_drawdown()
        if ACCOUNT in deltas:
            self._note_day(e)


def touched_keys(
    batch: Iterable[Entry],
) -> tuple[list[PositionKey], list[FiguresKey], list[BucketKey]]:
    """The positions, figures and buckets that applying these entries may read."""
    pos: dict[PositionKey, None] = {}
    figs: dict[FiguresKey, None] = {}
    bks: dict[BucketKey, None] = {}
    for e in batch:
        scopes = [ACCOUNT, e.bot_id] if e.bot_id else [ACCOUNT]
        for scope in scopes:
            figs[(scope, e.currency)] = None
        if e.kind == FILL:
            pos[(e.bot_id, e.symbol)] = None
            for period, start in bucket_starts(e.at):
                for scope in scopes:
                    bks[(scope, e.currency, period, start)] = None
    return list(pos), list(figs), list(bks)
