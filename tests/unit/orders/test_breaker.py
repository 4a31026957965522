"""Gate D: each trigger at its threshold; a tripped breaker refuses all but reduce-only."""

from __future__ import annotations

from decimal import Decimal as D

from hypothesis import given
from hypothesis import strategies as st

from services.orders.domain.breaker import (
    BreakerView,
    Metrics,
    Thresholds,
    Trigger,
    decide,
    evaluate,
)

T = Thresholds(D("0.20"), D("0.10"), 5, 10)
CALM = Metrics(D("0.05"), D("0.02"), 1, 0)


def test_calm_metrics_do_not_trip():
    assert evaluate(CALM, T) is None
    assert evaluate(Metrics(D("0.1999"), D("0.0999"), 4, 9), T) is None


def test_each_trigger_at_its_threshold():
    trip = evaluate(Metrics(D("0.20"), D("0"), 0, 0), T)
    assert trip.trigger is Trigger.DRAWDOWN and "20%" in trip.reason
    assert evaluate(Metrics(D("0"), D("0.10"), 0, 0), T).trigger is Trigger.DAILY_LOSS
    assert evaluate(Metrics(D("0"), D("0"), 5, 0), T).trigger is Trigger.CONSECUTIVE_LOSSES
    assert evaluate(Metrics(D("0"), D("0"), 0, 10), T).trigger is Trigger.ERROR_RATE


def test_first_trigger_in_order_is_recorded():
    assert evaluate(Metrics(D("0.5"), D("0.5"), 9, 99), T).trigger is Trigger.DRAWDOWN


def test_tripped_refuses_but_reduce_only_passes():
    views = [
        BreakerView("account", "", False),
        BreakerView("bot", "b1", True, Trigger.DRAWDOWN, "drawdown 25%"),
    ]
    refused = decide(views, False, {})
    assert not refused.passed and refused.code == "BREAKER_TRIPPED"
    assert "bot b1" in refused.reason
    assert decide(views, True, {}).passed
    assert decide([BreakerView("account", "", False)], False, {}).passed


@given(
    dd=st.decimals(0, 1, places=4),
    dl=st.decimals(0, 1, places=4),
    losses=st.integers(0, 20),
    errors=st.integers(0, 50),
)
def test_trips_exactly_when_a_threshold_is_reached(dd, dl, losses, errors):
    tripped = evaluate(Metrics(dd, dl, losses, errors), T) is not None
    assert tripped == (dd >= D("0.2") or dl >= D("0.1") or losses >= 5 or errors >= 10)
