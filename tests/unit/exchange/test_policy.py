"""place_or_reconcile against a scripted venue: no network, every step by hand."""

import logging
from decimal import Decimal

import pytest

from services.orders.exchange import (
    ExchangeLayerError,
    ExchangeOrder,
    LiveOrderRequest,
    OrderRejected,
    OutcomeUnknown,
    PlaceStats,
    Retryable,
    client_order_id,
    place_or_reconcile,
)

REQ = LiveOrderRequest("am-test-1", "BTC/USDT", "buy", "market", Decimal("0.01"))


def order(oid: str = "9001", side: str = "buy") -> ExchangeOrder:
    return ExchangeOrder(oid, REQ.client_order_id, "BTC/USDT", side, "market", "closed",
                         Decimal("0.01"), None, Decimal("0.01"), Decimal(60000), [])  # fmt: skip


class Venue:
    """Answers each call with the next scripted outcome (an order, None or an exception)."""

    settle_seconds = 11.0

    def __init__(self, places: list, lookups: list | None = None) -> None:
        self.places, self.lookups = list(places), list(lookups or [])
        self.placed: list[LiveOrderRequest] = []
        self.looked_up: list[tuple[str, str]] = []

    @staticmethod
    def _answer(outcome):
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    async def place(self, req):
        self.placed.append(req)
        return self._answer(self.places.pop(0))

    async def lookup(self, client_order_id, symbol):
        self.looked_up.append((client_order_id, symbol))
        return self._answer(self.lookups.pop(0))


class Sleeps(list):
    async def __call__(self, seconds: float) -> None:
        self.append(seconds)


async def run(venue: Venue, **kw) -> tuple[ExchangeOrder, PlaceStats, Sleeps]:
    sleeps, stats = Sleeps(), PlaceStats()
    result = await place_or_reconcile(venue, REQ, sleep=sleeps, stats=stats, **kw)
    return result, stats, sleeps


async def test_success_first_time():
    venue = Venue([order()])
    result, stats, sleeps = await run(venue)
    assert result == order()
    assert (stats.placements, stats.lookups, stats.errors, sleeps) == (1, 0, [], [])


async def test_rate_limited_twice_then_placed_with_the_same_client_id(caplog):
    caplog.set_level(logging.INFO, "orders.exchange")
    venue = Venue([Retryable("429", "RATE_LIMITED"), Retryable("429", "RATE_LIMITED"), order()])
    result, stats, sleeps = await run(venue)
    assert result == order()
    assert [r.client_order_id for r in venue.placed] == ["am-test-1"] * 3
    assert sleeps == [0.5, 1.0]  # default backoff after attempts 1 and 2
    assert stats.errors == ["place:RATE_LIMITED", "place:RATE_LIMITED"]
    retries = [r for r in caplog.records if r.getMessage() == "exchange_place_retry"]
    assert [r.fields["attempt"] for r in retries] == [1, 2]
    assert retries[0].fields["client_order_id"] == "am-test-1"


async def test_rejected_is_raised_at_once():
    venue = Venue([OrderRejected("insufficient funds", "INSUFFICIENT_FUNDS"), order()])
    sleeps, stats = Sleeps(), PlaceStats()
    with pytest.raises(OrderRejected) as err:
        await place_or_reconcile(venue, REQ, sleep=sleeps, stats=stats)
    assert err.value.code == "INSUFFICIENT_FUNDS"
    assert (len(venue.placed), sleeps, stats.errors) == (1, [], ["place:INSUFFICIENT_FUNDS"])


async def test_unknown_outcome_found_by_client_id_is_not_placed_again():
    venue = Venue([OutcomeUnknown("timeout"), order()], lookups=[order("7")])
    result, stats, sleeps = await run(venue)
    assert result.exchange_order_id == "7"
    assert len(venue.placed) == 1
    assert venue.looked_up == [("am-test-1", "BTC/USDT")]
    assert stats.reconciled and sleeps == []


async def test_unknown_outcome_not_found_waits_for_the_request_to_expire_then_places_again():
    venue = Venue([OutcomeUnknown("503"), order("8")], lookups=[None, None])
    result, stats, sleeps = await run(venue)
    assert result.exchange_order_id == "8"
    assert [r.client_order_id for r in venue.placed] == ["am-test-1", "am-test-1"]
    assert sleeps == [11.0, 0.5]  # the venue's settle time, then the backoff
    assert (stats.placements, stats.lookups, stats.reconciled) == (2, 2, False)


async def test_an_order_that_shows_up_after_the_wait_is_not_placed_again():
    venue = Venue([OutcomeUnknown("503"), order("8")], lookups=[None, order("7")])
    result, _, sleeps = await run(venue, settle_seconds=3)
    assert result.exchange_order_id == "7"
    assert len(venue.placed) == 1 and sleeps == [3]


async def test_lookups_failing_leave_the_outcome_unknown_and_never_place_again():
    failing = [Retryable("timeout", "READ_FAILED")] * 3
    venue = Venue([OutcomeUnknown("timeout"), order()], lookups=failing)
    sleeps, stats = Sleeps(), PlaceStats()
    with pytest.raises(OutcomeUnknown) as err:
        await place_or_reconcile(venue, REQ, sleep=sleeps, stats=stats)
    assert err.value.code == "UNRECONCILED"
    assert len(venue.placed) == 1
    assert stats.errors == ["place:OUTCOME_UNKNOWN"] + ["lookup:READ_FAILED"] * 3
    assert sleeps == [0.5, 1.0]  # between the three lookups


async def test_a_lookup_refused_for_good_leaves_the_outcome_unknown():
    venue = Venue([OutcomeUnknown("timeout")], lookups=[ExchangeLayerError("bad key", "X")])
    with pytest.raises(OutcomeUnknown, match="bad key"):
        await run(venue)
    assert len(venue.placed) == 1


async def test_an_order_of_the_other_side_under_our_id_is_not_taken_for_ours():
    venue = Venue([OutcomeUnknown("timeout")], lookups=[order("7", side="sell")])
    with pytest.raises(OutcomeUnknown, match="sell"):
        await run(venue)


async def test_every_attempt_refused_raises_retryable_not_placed():
    venue = Venue([Retryable("down", "UNREACHABLE")] * 3)
    sleeps, stats = Sleeps(), PlaceStats()
    with pytest.raises(Retryable) as err:
        await place_or_reconcile(venue, REQ, attempts=3, backoff=lambda n: n, sleep=sleeps,
                                 stats=stats)  # fmt: skip
    assert err.value.code == "NOT_PLACED"
    assert (stats.placements, len(stats.errors), sleeps) == (3, 3, [1, 2])


def test_client_order_ids_are_stable_short_and_distinct():
    a = client_order_id("user-1", "key-1", "order-1")
    assert a == client_order_id("user-1", "key-1", "order-1")
    assert a != client_order_id("user-1", "key-1", "order-2")
    assert a != client_order_id("user-2", "key-1", "order-1")
    assert len(a) == 36 and a.startswith("am-")
    LiveOrderRequest(a, "BTC/USDT", "buy", "market", Decimal(1))  # accepted as a client id


@pytest.mark.parametrize(
    "kwargs",
    [
        {"client_order_id": ""},
        {"client_order_id": "x" * 37},
        {"client_order_id": "has space"},
        {"side": "BUY"},
        {"type": "stop"},
        {"amount": Decimal(0)},
        {"amount": Decimal("NaN")},
        {"amount": 1.5},
        {"type": "limit"},  # no price
        {"type": "limit", "price": Decimal(-1)},
        {"price": Decimal(100)},  # a market order with a price
    ],
)
def test_malformed_requests(kwargs):
    fields = {"client_order_id": "am-1", "symbol": "BTC/USDT", "side": "buy", "type": "market",
              "amount": Decimal("0.01"), "price": None} | kwargs  # fmt: skip
    with pytest.raises(ValueError):
        LiveOrderRequest(**fields)
