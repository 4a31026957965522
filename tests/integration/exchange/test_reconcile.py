"""place_or_reconcile over real ccxt and the fake Binance: never an order placed twice."""

from decimal import Decimal

import pytest

from services.orders.exchange import (
    ExchangeFill,
    LiveExchange,
    LiveOrderRequest,
    OrderRejected,
    OutcomeUnknown,
    PlaceStats,
    Retryable,
    place_or_reconcile,
)
from tests.fakes.fake_binance import FakeBinance
from tests.integration.exchange.conftest import Sleeps, ccxt_for, closed_port_url

D = Decimal
REQ = LiveOrderRequest("am-key-1", "BTC/USDT", "buy", "market", D("0.002"))
# 0.002 BTC at 60000 = 120 USDT; commission 0.1% = 0.12 USDT
FILL = ExchangeFill("5001", D("0.002"), D(60000), D("0.12"), "USDT")


async def place(venue, stats: PlaceStats, sleeps: Sleeps, req: LiveOrderRequest = REQ):
    return await place_or_reconcile(venue, req, sleep=sleeps, stats=stats)


async def test_rate_limited_once_then_placed_once_with_the_same_client_id(fake, venue):
    fake.fail_next("rate_limit")
    stats, sleeps = PlaceStats(), Sleeps()
    order = await place(venue, stats, sleeps)
    assert order.fills == [FILL]
    assert [(r.client_order_id, r.outcome) for r in fake.order_requests] == [
        ("am-key-1", "error -1003"),
        ("am-key-1", "accepted"),
    ]
    assert len(fake.orders_for("am-key-1")) == 1
    assert (stats.placements, stats.errors, sleeps) == (2, ["place:RATE_LIMITED"], [0.5])


@pytest.mark.parametrize(
    "kind", ["timeout_after_accept", "disconnect_after_accept", "internal_error_after_accept"]
)
async def test_accepted_but_unanswered_is_found_by_client_id_and_not_placed_again(
    fake, venue, kind
):
    fake.fail_next(kind)
    stats, sleeps = PlaceStats(), Sleeps()
    order = await place(venue, stats, sleeps)
    assert len(fake.order_requests) == 1  # exactly ONE order request reached the exchange
    assert len(fake.orders_for("am-key-1")) == 1
    assert order.exchange_order_id == str(fake.orders_for("am-key-1")[0].order_id)
    assert (order.status, order.filled, order.fills) == ("closed", D("0.002"), [FILL])
    assert stats.reconciled and stats.placements == 1 and stats.lookups == 1
    assert sleeps == []
    assert ("GET", "/api/v3/order") in fake.requests


async def test_internal_error_before_accepting_is_placed_once_after_reconciling(fake, venue):
    fake.fail_next("internal_error")
    stats, sleeps = PlaceStats(), Sleeps()
    order = await place(venue, stats, sleeps)
    assert [r.outcome for r in fake.order_requests] == ["error -1001", "accepted"]
    assert {r.client_order_id for r in fake.order_requests} == {"am-key-1"}
    assert len(fake.orders_for("am-key-1")) == 1 and order.fills == [FILL]
    # looked up, none; waited out Binance's recvWindow (10 s) + 1 s; looked up again, none
    assert sleeps == [11.0, 0.5]
    assert (stats.placements, stats.lookups, stats.reconciled) == (2, 2, False)
    assert stats.errors == ["place:OUTCOME_UNKNOWN"]


async def test_lookups_that_fail_leave_it_unknown_and_never_place_again(fake, venue):
    fake.fail_next("timeout_after_accept")
    for _ in range(3):
        fake.fail_next("rate_limit", "GET", "/api/v3/order")
    stats, sleeps = PlaceStats(), Sleeps()
    with pytest.raises(OutcomeUnknown) as err:
        await place(venue, stats, sleeps)
    assert err.value.code == "UNRECONCILED"
    assert len(fake.order_requests) == 1 and len(fake.orders_for("am-key-1")) == 1
    assert stats.errors == ["place:OUTCOME_UNKNOWN"] + ["lookup:READ_FAILED"] * 3
    # later, the orders service reconciles with lookup
    later = await venue.lookup("am-key-1", "BTC/USDT")
    assert later is not None and later.fills == [FILL]


async def test_a_rejection_is_not_retried(fake, venue):
    fake.fail_next("insufficient_funds")
    stats, sleeps = PlaceStats(), Sleeps()
    with pytest.raises(OrderRejected) as err:
        await place(venue, stats, sleeps)
    assert err.value.code == "INSUFFICIENT_FUNDS"
    assert len(fake.order_requests) == 1 and sleeps == []


async def test_a_connection_refused_when_placing_is_retried():
    fake = await FakeBinance(keep_alive=False).start()  # no pooled connection to reuse
    venue = LiveExchange(ccxt_for(fake.url))
    try:
        await venue.lookup("nothing", "BTC/USDT")  # markets loaded
        await fake.stop()
        stats, sleeps = PlaceStats(), Sleeps()
        with pytest.raises(Retryable) as err:
            await place_or_reconcile(venue, REQ, attempts=2, sleep=sleeps, stats=stats)
    finally:
        await venue.close()
    assert stats.errors == ["place:UNREACHABLE"] * 2 and sleeps == [0.5]
    assert err.value.code == "NOT_PLACED"


async def test_an_exchange_unreachable_from_the_start_is_retried_then_given_up():
    venue = LiveExchange(ccxt_for(closed_port_url()))
    stats, sleeps = PlaceStats(), Sleeps()
    try:
        with pytest.raises(Retryable) as err:
            await place(venue, stats, sleeps)
    finally:
        await venue.close()
    assert err.value.code == "NOT_PLACED"
    assert stats.placements == 4 and sleeps == [0.5, 1.0, 2.0]
    assert stats.errors == ["place:MARKETS_UNAVAILABLE"] * 4
