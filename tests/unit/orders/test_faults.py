"""Fault points: only the named point fires; an unknown name is refused."""

from __future__ import annotations

import pytest

from services.orders.faults import AFTER_COMMIT, AFTER_EXCHANGE_ACK, POINTS, Faults


def test_only_the_named_point_fires():
    hits: list[str] = []
    faults = Faults(AFTER_COMMIT, hits.append)
    for point in POINTS:
        faults.hit(point)
    assert hits == [AFTER_COMMIT]


def test_no_point_never_fires_and_an_unknown_point_is_refused():
    hits: list[str] = []
    Faults("", hits.append).hit(AFTER_EXCHANGE_ACK)
    assert hits == []
    with pytest.raises(ValueError, match="unknown fault point"):
        Faults("after_lunch")
