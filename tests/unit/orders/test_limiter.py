"""Gate C's decision given the counts: the 50th order of a day is accepted, the 51st not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from services.orders.domain.limiter import (
    BOT_DAILY,
    BURST,
    USER_DAILY,
    Limits,
    Usage,
    decide,
)

LIMITS = Limits(per_bot_daily=50, per_user_daily=500, burst_orders=10, burst_window_seconds=10)
NOW = datetime(2026, 3, 10, 23, 59, 30, tzinfo=UTC)


def test_bot_daily_boundary():
    assert decide(LIMITS, Usage(49, 49, 0), NOW).passed  # this is the 50th
    refused = decide(LIMITS, Usage(50, 50, 0), NOW)
    assert not refused.passed
    assert refused.code == "BOT_DAILY_LIMIT"
    assert refused.figures["limit"] == BOT_DAILY
    assert refused.retry_after_seconds == 30  # midnight UTC is 30 s away


def test_user_daily_boundary():
    assert decide(LIMITS, Usage(0, 499, 0), NOW).passed
    refused = decide(LIMITS, Usage(0, 500, 0), NOW)
    assert refused.figures["limit"] == USER_DAILY
    assert refused.retry_after_seconds == 30


def test_burst_boundary_and_retry_time():
    t0 = NOW - timedelta(seconds=7.5)  # the oldest of the window leaves it in 2.5 s
    times = tuple(t0 + timedelta(seconds=0.1 * i) for i in range(10))
    assert decide(LIMITS, Usage(0, 0, 9, times[:9]), NOW).passed
    refused = decide(LIMITS, Usage(0, 0, 10, times), NOW)
    assert not refused.passed
    assert refused.figures["limit"] == BURST
    assert refused.retry_after_seconds == 3  # 2.5 s rounded up


def test_first_full_limit_is_named():
    refused = decide(LIMITS, Usage(50, 500, 10), NOW)
    assert refused.figures["limit"] == BOT_DAILY


@given(bot=st.integers(0, 100), user=st.integers(0, 1000), burst=st.integers(0, 20))
def test_accepts_exactly_when_every_count_is_below_capacity(bot, user, burst):
    times = tuple(NOW - timedelta(seconds=5) for _ in range(burst))
    decision = decide(LIMITS, Usage(bot, user, burst, times), NOW)
    assert decision.passed == (bot < 50 and user < 500 and burst < 10)
    if not decision.passed:
        assert decision.retry_after_seconds >= 1
