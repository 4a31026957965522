"""Running figures of one scope (the account or one bot) in one quote currency (DESIGN 5.1).

Equity = net funding + realized PnL - fees. Drawdown is measured on the equity curve after
every entry; deposits and withdrawals move the running peak by the same amount, so they are
neither gains nor losses.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, localcontext

from .fifo import FillOutcome, Position
from .money import CTX, DomainError, fmt, to_decimal

__all__ = [
    "Figures",
    "apply_fill_outcome",
    "apply_funding",
    "as_utc",
    "reset_risk",
    "roll_day",
    "unrealized_pnl",
]

ZERO = Decimal(0)
_DECIMALS = (
    "net_funding",
    "realized_pnl",
    "fees",
    "peak",
    "max_drawdown",
    "risk_peak",
    "day_start_equity",
)
_INTS = ("trades", "winning_trades", "losing_trades", "consecutive_losses", "risk_losses")
_TIMES = ("first_trade_at", "day_start")


def as_utc(ts: datetime, field: str) -> datetime:
    """ts in UTC; DomainError(field) when it is naive."""
    if ts.tzinfo is UTC:
        return ts
    if not isinstance(ts, datetime):
        raise TypeError(f"{field} must be a datetime")
    if ts.tzinfo is None or ts.utcoffset() is None:
        raise DomainError(field, "must be timezone-aware")
    return ts.astimezone(UTC)


@dataclass(frozen=True)
class Figures:
    net_funding: Decimal = ZERO
    realized_pnl: Decimal = ZERO
    fees: Decimal = ZERO
    trades: int = 0
    winning_trades: int = 0
    losing_trades: int = 0
    consecutive_losses: int = 0
    peak: Decimal = ZERO
    max_drawdown: Decimal = ZERO
    first_trade_at: datetime | None = None  # time of the earliest fill
    # The circuit breaker's figures: like peak and consecutive_losses, but started afresh
    # by a risk baseline (a breaker reset).
    risk_peak: Decimal = ZERO
    risk_losses: int = 0
    # UTC midnight of the day the latest entry was recorded, and the equity at its start
    # (moved by deposits and withdrawals of that day, like the peak).
    day_start: datetime | None = None
    day_start_equity: Decimal = ZERO

    @property
    def net_pnl(self) -> Decimal:
        with localcontext(CTX):
            return self.realized_pnl - self.fees

    @property
    def equity(self) -> Decimal:
        with localcontext(CTX):
            return self.net_funding + self.net_pnl

    @property
    def current_drawdown(self) -> Decimal:
        """(peak - equity) / peak when the peak is positive, else 0; never negative."""
        with localcontext(CTX):
            if self.peak <= 0:
                return ZERO
            drawdown = (self.peak - self.equity) / self.peak
            return drawdown if drawdown > 0 else ZERO

    @property
    def win_rate(self) -> Decimal:
        if self.trades == 0:
            return ZERO
        with localcontext(CTX):
            return Decimal(self.winning_trades) / Decimal(self.trades)

    def to_json(self) -> str:
        data: dict[str, object] = {name: fmt(getattr(self, name)) for name in _DECIMALS}
        data.update({name: getattr(self, name) for name in _INTS})
        for name in _TIMES:
            value = getattr(self, name)
            data[name] = None if value is None else as_utc(value, name).isoformat()
        return json.dumps(data, sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, s: str) -> Figures:
        try:
            data = json.loads(s)
            values: dict[str, object] = {n: to_decimal(data[n], n) for n in _DECIMALS}
            for name in _INTS:
                value = data[name]
                if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                    raise ValueError(f"{name} must be a non-negative integer")
                values[name] = value
            for name in _TIMES:
                raw = data[name]
                values[name] = None if raw is None else as_utc(datetime.fromisoformat(raw), name)
        except (ValueError, KeyError, TypeError) as exc:
            raise DomainError("figures", f"malformed figures JSON: {exc}") from exc
        return cls(**values)  # type: ignore[arg-type]


def _with_drawdown(f: Figures, **changes: object) -> Figures:
    """f with ``changes``, the peak raised to the new equity and the drawdown seen now recorded.

    Built in one constructor call: this runs for every entry recorded and verified.
    """
    values = {
        "net_funding": f.net_funding,
        "realized_pnl": f.realized_pnl,
        "fees": f.fees,
        "trades": f.trades,
        "winning_trades": f.winning_trades,
        "losing_trades": f.losing_trades,
        "consecutive_losses": f.consecutive_losses,
        "peak": f.peak,
        "max_drawdown": f.max_drawdown,
        "first_trade_at": f.first_trade_at,
        "risk_peak": f.risk_peak,
        "risk_losses": f.risk_losses,
        "day_start": f.day_start,
        "day_start_equity": f.day_start_equity,
    }
    values.update(changes)
    equity = values["net_funding"] + values["realized_pnl"] - values["fees"]
    if equity > values["risk_peak"]:
        values["risk_peak"] = equity
    peak = values["peak"]
    if equity > peak:
        peak = values["peak"] = equity
    if peak > 0:
        drawdown = (peak - equity) / peak
        if drawdown > values["max_drawdown"]:
            values["max_drawdown"] = drawdown
    return Figures(**values)  # type: ignore[arg-type]


def apply_funding(f: Figures, delta: Decimal) -> Figures:
    """A deposit (delta > 0), withdrawal (< 0) or adjustment of net funding."""
    if not isinstance(delta, Decimal) or not delta.is_finite():
        raise DomainError("amount", "funding delta must be a finite Decimal")
    with localcontext(CTX):
        return _with_drawdown(
            f,
            net_funding=f.net_funding + delta,
            peak=f.peak + delta,
            risk_peak=f.risk_peak + delta,
            day_start_equity=f.day_start_equity + delta,
        )


def apply_fill_outcome(f: Figures, outcome: FillOutcome, executed_at: datetime) -> Figures:
    """Add one fill's realized PnL, fee and (when it closed something) trade result."""
    when = as_utc(executed_at, "executed_at")
    with localcontext(CTX):
        trades, wins, losses, streak, risk_streak = (
            f.trades,
            f.winning_trades,
            f.losing_trades,
            f.consecutive_losses,
            f.risk_losses,
        )
        if outcome.is_trade:
            net = outcome.trade_net if outcome.trade_net is not None else ZERO
            trades += 1
            if net > 0:
                wins, streak, risk_streak = wins + 1, 0, 0
            elif net < 0:
                losses, streak, risk_streak = losses + 1, streak + 1, risk_streak + 1
            else:
                streak = risk_streak = 0  # a break-even trade ends a losing streak
        first = f.first_trade_at
        first = when if first is None or when < first else first
        return _with_drawdown(
            f,
            realized_pnl=f.realized_pnl + outcome.realized_pnl,
            fees=f.fees + outcome.fee_quote,
            trades=trades,
            winning_trades=wins,
            losing_trades=losses,
            consecutive_losses=streak,
            risk_losses=risk_streak,
            first_trade_at=first,
        )


def roll_day(f: Figures, day: datetime) -> Figures:
    """Before an entry recorded on ``day`` (UTC midnight): a new day starts at this equity."""
    if f.day_start is not None and day <= f.day_start:
        return f
    with localcontext(CTX):
        return _with_drawdown(f, day_start=day, day_start_equity=f.equity)


def reset_risk(f: Figures, day: datetime) -> Figures:
    """A risk baseline: the breaker's peak, losing streak and day start begin at equity now."""
    with localcontext(CTX):
        equity = f.equity
        return _with_drawdown(
            f, risk_peak=equity, risk_losses=0, day_start=day, day_start_equity=equity
        )


def unrealized_pnl(positions: Iterable[tuple[Position, Decimal]]) -> Decimal:
    """Open PnL at the given marks: long (mark - entry) * qty; short (entry - mark) * qty."""
    total = ZERO
    with localcontext(CTX):
        for position, mark in positions:
            if not isinstance(mark, Decimal) or not mark.is_finite():
                raise DomainError("mark", "mark price must be a finite Decimal")
            for lot in position.lots:
                total += (mark - lot.price) * lot.qty * position.side
    return total
