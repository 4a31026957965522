"""Profit series buckets (UTC daily / ISO-weekly / monthly) and the equity countdown."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_CEILING, Decimal, localcontext
from functools import lru_cache

from .fifo import FillOutcome
from .money import CTX, DomainError

__all__ = [
    "PERIODS",
    "Bucket",
    "Countdown",
    "add_fill",
    "bucket_start",
    "bucket_starts",
    "countdown",
]

PERIODS = ("daily", "weekly", "monthly")
ZERO = Decimal(0)
WINDOW = timedelta(days=30)
GROWTH_QUANTUM = Decimal("1E-10")
DAYS_QUANTUM = Decimal("0.01")
# The projected days are first rounded to 12 places (half-even) to drop the noise of the
# 50-digit ln/power arithmetic, then rounded up to 2 places: a true 10 days shows 10.00.
_NOISE_QUANTUM = Decimal("1E-12")


def _aware_utc(ts: datetime, name: str) -> datetime:
    if type(ts) is datetime and ts.tzinfo is UTC:
        return ts
    if not isinstance(ts, datetime):
        raise TypeError(f"{name} must be a datetime")
    if ts.tzinfo is None or ts.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")
    return ts.astimezone(UTC)


def bucket_start(ts: datetime, period: str) -> datetime:
    """Start (UTC) of the daily, ISO-weekly (Monday) or monthly bucket holding ts."""
    if period not in PERIODS:
        raise ValueError(f"unknown period {period!r}; expected one of {', '.join(PERIODS)}")
    day = _aware_utc(ts, "ts").replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "daily":
        return day
    if period == "weekly":
        return day - timedelta(days=day.weekday())  # weekday(): Monday == 0
    return day.replace(day=1)


def bucket_starts(ts: datetime) -> tuple[tuple[str, datetime], ...]:
    """(period, start) of the daily, weekly and monthly buckets holding ts, memoised per UTC
    day (every entry asks; a ledger's entries fall on few days)."""
    day = _aware_utc(ts, "ts")
    return _starts_of(day.year, day.month, day.day)


@lru_cache(maxsize=4096)
def _starts_of(year: int, month: int, day: int) -> tuple[tuple[str, datetime], ...]:
    midnight = datetime(year, month, day, tzinfo=UTC)
    return tuple((p, bucket_start(midnight, p)) for p in PERIODS)


@dataclass(frozen=True)
class Bucket:
    period_start: datetime
    realized_pnl: Decimal = ZERO
    fees: Decimal = ZERO
    trades: int = 0
    winning_trades: int = 0

    @property
    def net_pnl(self) -> Decimal:
        with localcontext(CTX):
            return self.realized_pnl - self.fees


def add_fill(b: Bucket, outcome: FillOutcome) -> Bucket:
    """Add one fill: its realized PnL, its whole fee, and the trade it closes (if any)."""
    with localcontext(CTX):
        won = outcome.is_trade and outcome.trade_net is not None and outcome.trade_net > 0
        return Bucket(
            period_start=b.period_start,
            realized_pnl=b.realized_pnl + outcome.realized_pnl,
            fees=b.fees + outcome.fee_quote,
            trades=b.trades + (1 if outcome.is_trade else 0),
            winning_trades=b.winning_trades + (1 if won else 0),
        )


@dataclass(frozen=True)
class Countdown:
    current_equity: Decimal
    target: Decimal
    daily_growth: Decimal | None
    days_to_target: Decimal | None
    reached: bool


def _days(delta: timedelta) -> Decimal:
    """A timedelta in days, exactly (no float)."""
    seconds = Decimal(delta.days) * 86400 + delta.seconds + Decimal(delta.microseconds) / 10**6
    return seconds / 86400


def _start_point(
    points: Sequence[tuple[datetime, Decimal]], now: datetime
) -> tuple[datetime, Decimal]:
    """The latest point at least 30 days old (latest in time, then in recording order)."""
    cutoff = now - WINDOW
    best: tuple[datetime, Decimal] | None = None
    for ts, equity in points:
        at = _aware_utc(ts, "point time")
        if at <= cutoff and (best is None or at >= best[0]):
            best = (at, equity)
    if best is None:
        first_ts, first_equity = points[0]
        best = (_aware_utc(first_ts, "point time"), first_equity)
    return best


def countdown(
    points: Sequence[tuple[datetime, Decimal]], now: datetime, target: Decimal
) -> Countdown:
    """Average daily compound growth over the last 30 days and the days it needs to reach target.

    ``points`` are (time, equity after that entry) in recording order.
    """
    now = _aware_utc(now, "now")
    for value in (target, *(equity for _, equity in points)):
        if not isinstance(value, Decimal) or not value.is_finite():
            raise DomainError("target", "target and equities must be finite Decimals")
    if not points:
        reached = target <= 0
        return Countdown(ZERO, target, None, ZERO if reached else None, reached)
    with localcontext(CTX):
        current = points[-1][1]
        start_ts, start_equity = _start_point(points, now)
        days = max(_days(now - start_ts), Decimal(1))
        growth: Decimal | None = None
        if start_equity > 0 and current > 0:
            g = (current / start_equity) ** (Decimal(1) / days) - 1
            growth = g if g > 0 else None
        if current >= target:
            return Countdown(current, target, _quantize_growth(growth), ZERO, True)
        if growth is None:
            return Countdown(current, target, None, None, False)
        projected = (target / current).ln() / (1 + growth).ln()
        days_left = projected.quantize(_NOISE_QUANTUM).quantize(DAYS_QUANTUM, ROUND_CEILING)
        return Countdown(current, target, _quantize_growth(growth), days_left, False)


def _quantize_growth(growth: Decimal | None) -> Decimal | None:
    if growth is None:
        return None
    with localcontext(CTX):
        return growth.quantize(GROWTH_QUANTUM)
