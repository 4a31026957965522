"""The lockout rule: 5 failures lock for 15 minutes; old failures are forgotten."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.auth.domain import TotpState

T0 = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def fail(state: TotpState, times: int, at: datetime) -> TotpState:
    for _ in range(times):
        state = state.after_failure(at)
    return state


def test_fifth_failure_locks_for_fifteen_minutes():
    s = fail(TotpState(), 4, T0)
    assert s.failures == 4 and s.attempts_left == 1 and s.locked_at(T0) is None
    s = s.after_failure(T0 + timedelta(seconds=10))
    until = T0 + timedelta(minutes=15, seconds=10)
    assert s.locked_until == until
    assert s.locked_at(until - timedelta(seconds=1)) == until
    assert s.locked_at(until) is None
    # after the lock, counting starts again from zero
    assert s.after_failure(until).failures == 1


def test_failures_older_than_fifteen_minutes_start_a_new_count():
    s = fail(TotpState(), 4, T0)
    s = s.after_failure(T0 + timedelta(minutes=15))
    assert s.failures == 1 and s.locked_until is None


def test_success_clears_failures_and_keeps_the_highest_step():
    s = fail(TotpState(last_step=50), 3, T0)
    assert s.after_success(60) == TotpState(last_step=60)
    assert s.after_success(None) == TotpState(last_step=50)  # a recovery code
    assert TotpState(last_step=70).after_success(60).last_step == 70
