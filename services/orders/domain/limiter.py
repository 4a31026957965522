"""Gate C, the trade limiter: a decision given what is already used.

Accepted orders per bot per UTC day, per user per UTC day, and per (user, exchange) in a
sliding window. An order is accepted when every count is below its capacity; the refusal names
the first limit that is full and when a retry can succeed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from services.orders.domain.model import Gate, GateDecision

BOT_DAILY = "trades_per_bot_daily"
USER_DAILY = "trades_per_user_daily"
BURST = "burst_per_exchange"


@dataclass(frozen=True)
class Limits:
    per_bot_daily: int
    per_user_daily: int
    burst_orders: int
    burst_window_seconds: int


@dataclass(frozen=True)
class Usage:
    """Accepted orders counted now: the bot's and the user's today, the exchange's in window."""

    bot_today: int
    user_today: int
    burst_in_window: int
    # The burst window's accepted times, oldest first (at least the oldest few).
    burst_times: tuple[datetime, ...] = ()


def day_start(now: datetime) -> datetime:
    return now.replace(hour=0, minute=0, second=0, microsecond=0)


def next_midnight(now: datetime) -> datetime:
    return day_start(now) + timedelta(days=1)


def window_start(now: datetime, limits: Limits) -> datetime:
    return now - timedelta(seconds=limits.burst_window_seconds)


def burst_frees_at(usage: Usage, limits: Limits) -> datetime | None:
    """When the window has room for one more: the time the order that must leave it leaves."""
    excess = usage.burst_in_window - limits.burst_orders  # >= 0 when full
    if excess < 0 or not usage.burst_times:
        return None
    index = min(excess, len(usage.burst_times) - 1)
    return usage.burst_times[index] + timedelta(seconds=limits.burst_window_seconds)


def _seconds_until(when: datetime, now: datetime) -> int:
    return max(1, math.ceil((when - now).total_seconds()))


def decide(limits: Limits, usage: Usage, now: datetime) -> GateDecision:
    figures = {
        "bot_today": str(usage.bot_today),
        "bot_daily_capacity": str(limits.per_bot_daily),
        "user_today": str(usage.user_today),
        "user_daily_capacity": str(limits.per_user_daily),
        "burst_in_window": str(usage.burst_in_window),
        "burst_capacity": str(limits.burst_orders),
        "burst_window_seconds": str(limits.burst_window_seconds),
    }
    midnight = next_midnight(now)
    if usage.bot_today >= limits.per_bot_daily:
        return _refuse(
            BOT_DAILY,
            f"the bot has {usage.bot_today} accepted orders today, the limit is "
            f"{limits.per_bot_daily} per UTC day (MAX_TRADES_PER_BOT_DAILY)",
            "BOT_DAILY_LIMIT",
            figures,
            _seconds_until(midnight, now),
        )
    if usage.user_today >= limits.per_user_daily:
        return _refuse(
            USER_DAILY,
            f"the account has {usage.user_today} accepted orders today, the limit is "
            f"{limits.per_user_daily} per UTC day (MAX_TRADES_PER_USER_DAILY)",
            "USER_DAILY_LIMIT",
            figures,
            _seconds_until(midnight, now),
        )
    if usage.burst_in_window >= limits.burst_orders:
        frees = burst_frees_at(usage, limits) or now + timedelta(
            seconds=limits.burst_window_seconds
        )
        return _refuse(
            BURST,
            f"{usage.burst_in_window} orders on this exchange in the last "
            f"{limits.burst_window_seconds} s, the limit is {limits.burst_orders} "
            "(BURST_LIMIT_ORDERS_PER_EXCHANGE)",
            "BURST_LIMIT",
            figures,
            _seconds_until(frees, now),
        )
    return GateDecision(Gate.TRADE_LIMIT, True, "within every trade limit", figures=figures)


def _refuse(
    limit: str, reason: str, code: str, figures: dict[str, str], retry: int
) -> GateDecision:
    return GateDecision(
        Gate.TRADE_LIMIT,
        False,
        f"{reason}; retry in {retry} s",
        code=code,
        figures={**figures, "limit": limit, "retry_after_seconds": str(retry)},
        retry_after_seconds=retry,
    )
