"""Profit buckets (UTC daily, ISO weekly, monthly) and the countdown to a target equity."""

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal as D
from decimal import localcontext

import pytest

from services.ledger.domain import (
    CTX,
    PERIODS,
    Bucket,
    FillIn,
    Position,
    add_fill,
    apply_fill,
    bucket_start,
    bucket_starts,
    countdown,
)


def utc(*args):
    return datetime(*args, tzinfo=UTC)


# --- bucket boundaries ------------------------------------------------------------------------


def test_periods():
    assert PERIODS == ("daily", "weekly", "monthly")


def test_daily_boundary_is_utc_midnight():
    assert bucket_start(utc(2026, 3, 4, 23, 59, 59, 999999), "daily") == utc(2026, 3, 4)
    assert bucket_start(utc(2026, 3, 5, 0, 0), "daily") == utc(2026, 3, 5)


def test_weekly_starts_on_monday():
    # 2026-03-08 is a Sunday: still the week of Monday 2026-03-02
    assert bucket_start(utc(2026, 3, 8, 23, 59, 59, 999999), "weekly") == utc(2026, 3, 2)
    # 2026-03-09 is the next Monday: a new week starts
    assert bucket_start(utc(2026, 3, 9, 0, 0), "weekly") == utc(2026, 3, 9)
    assert bucket_start(utc(2026, 3, 2, 0, 0), "weekly") == utc(2026, 3, 2)


def test_weekly_across_the_year_boundary():
    # 2026-01-01 is a Thursday; its ISO week (2026-W01) starts Monday 2025-12-29
    assert utc(2026, 1, 1).isoweekday() == 4
    assert bucket_start(utc(2026, 1, 1, 8, 0), "weekly") == utc(2025, 12, 29)


def test_monthly_boundary():
    assert bucket_start(utc(2026, 2, 28, 23, 59, 59, 999999), "monthly") == utc(2026, 2, 1)
    assert bucket_start(utc(2026, 3, 1, 0, 0), "monthly") == utc(2026, 3, 1)


def test_other_timezones_are_converted_to_utc_first():
    # 2026-03-01 01:30 at +02:00 is 2026-02-28 23:30 UTC (a Saturday)
    ts = datetime(2026, 3, 1, 1, 30, tzinfo=timezone(timedelta(hours=2)))
    assert bucket_start(ts, "daily") == utc(2026, 2, 28)
    assert bucket_start(ts, "monthly") == utc(2026, 2, 1)
    assert bucket_start(ts, "weekly") == utc(2026, 2, 23)
    assert bucket_start(ts, "daily").tzinfo == UTC


def test_naive_time_and_unknown_period_are_refused():
    with pytest.raises(ValueError):
        bucket_start(datetime(2026, 1, 1), "daily")
    with pytest.raises(ValueError):
        bucket_start(utc(2026, 1, 1), "yearly")


# --- bucket contents --------------------------------------------------------------------------


def test_bucket_adds_fills_and_counts_winning_trades():
    def f(side, amount, price, fee):
        return FillIn(side, D(amount), D(price), D(fee), "USDT", None, "BTC", "USDT")

    bucket = Bucket(period_start=utc(2026, 3, 2))
    position = Position()
    for fl in [
        f("BUY", "2", "100", "1"),  # opens: fee 1, no trade
        f("SELL", "1", "110", "1"),  # trade: 10 - 1 - 0.5 = 8.5 (wins)
        f("SELL", "1", "99", "1"),  # trade: -1 - 1 - 0.5 = -2.5 (loses)
    ]:
        outcome = apply_fill(position, fl)
        position = outcome.position
        bucket = add_fill(bucket, outcome)
    assert bucket.realized_pnl == D("9")  # 10 - 1
    assert bucket.fees == D("3")
    assert bucket.net_pnl == D("6")  # = 8.5 - 2.5 + 0 (every fee charged once)
    assert (bucket.trades, bucket.winning_trades) == (2, 1)


# --- countdown --------------------------------------------------------------------------------

NOW = utc(2026, 4, 1, 12, 0)


def compound(start, rate, days):
    with localcontext(CTX):
        return D(start) * D(rate) ** days


def test_one_percent_a_day_for_30_days():
    # an old point (40 days back) is ignored: the window starts at the latest point >= 30 days old
    points = [(NOW - timedelta(days=40), D("500"))]
    points += [(NOW - timedelta(days=30 - i), compound(1000, "1.01", i)) for i in range(31)]
    current = compound(1000, "1.01", 30)
    target = compound(1000, "1.01", 40)  # ten more days of 1 %
    result = countdown(points, NOW, target)
    assert result.current_equity == current
    assert result.daily_growth == D("0.0100000000")
    assert result.days_to_target == D("10.00")
    assert result.reached is False


def test_days_to_target_rounds_up():
    points = [(NOW - timedelta(days=30), D("1000")), (NOW, compound(1000, "1.01", 30))]
    # target 1.5 times the current equity: ln 1.5 / ln 1.01 = 40.749... -> 40.75
    target = compound(1000, "1.01", 30) * D("1.5")
    result = countdown(points, NOW, target)
    assert result.days_to_target == D("40.75")
    # 1.01 ** 40.74 < 1.5 <= 1.01 ** 40.75: so 40.75 days, not fewer
    with localcontext(CTX):
        assert D("1.01") ** D("40.74") < D("1.5") <= D("1.01") ** D("40.75")


def test_shorter_history_uses_the_first_point():
    # 10 days of 2 % a day
    points = [(NOW - timedelta(days=10), D("1000")), (NOW, compound(1000, "1.02", 10))]
    result = countdown(points, NOW, compound(1000, "1.02", 15))
    assert result.daily_growth == D("0.0200000000")
    assert result.days_to_target == D("5.00")


def test_history_shorter_than_a_day_counts_as_one_day():
    points = [(NOW - timedelta(hours=1), D("1000")), (NOW, D("1010"))]
    result = countdown(points, NOW, D("2000"))
    assert result.daily_growth == D("0.0100000000")  # 1010 / 1000 over 1 day


def test_no_growth_gives_no_projection():
    flat = [(NOW - timedelta(days=30), D("1000")), (NOW, D("1000"))]
    falling = [(NOW - timedelta(days=30), D("1000")), (NOW, D("900"))]
    for points in (flat, falling):
        result = countdown(points, NOW, D("2000"))
        assert result.daily_growth is None
        assert result.days_to_target is None
        assert result.reached is False


def test_non_positive_start_or_no_points():
    points = [(NOW - timedelta(days=30), D("0")), (NOW, D("100"))]
    assert countdown(points, NOW, D("200")).days_to_target is None
    empty = countdown([], NOW, D("200"))
    assert (empty.daily_growth, empty.days_to_target, empty.reached) == (None, None, False)


def test_target_reached():
    points = [(NOW - timedelta(days=30), D("1000")), (NOW, D("900"))]
    result = countdown(points, NOW, D("900"))
    assert result.reached is True
    assert result.days_to_target == 0
    assert result.daily_growth is None  # falling equity has no growth to show


def test_countdown_refuses_a_non_finite_target():
    with pytest.raises(ValueError):
        countdown([(NOW, D("1"))], NOW, D("NaN"))


def test_bucket_starts_follow_the_utc_day_whatever_the_offset():
    """01:00 and 05:00 on 5 Jan 2026 at UTC+2 are 23:00 on Sunday 4 Jan and 03:00 on Monday
    5 Jan in UTC: two days, and two ISO weeks (Monday 29 Dec 2025 and Monday 5 Jan 2026)."""
    plus2 = timezone(timedelta(hours=2))
    late_sunday = bucket_starts(datetime(2026, 1, 5, 1, tzinfo=plus2))
    monday = bucket_starts(datetime(2026, 1, 5, 5, tzinfo=plus2))
    assert late_sunday == (
        ("daily", datetime(2026, 1, 4, tzinfo=UTC)),
        ("weekly", datetime(2025, 12, 29, tzinfo=UTC)),
        ("monthly", datetime(2026, 1, 1, tzinfo=UTC)),
    )
    assert monday == (
        ("daily", datetime(2026, 1, 5, tzinfo=UTC)),
        ("weekly", datetime(2026, 1, 5, tzinfo=UTC)),
        ("monthly", datetime(2026, 1, 1, tzinfo=UTC)),
    )
    with pytest.raises(ValueError):
        bucket_starts(datetime(2026, 1, 5))  # naive
