"""LiveExchange.place/lookup/cancel: real ccxt against the fake Binance."""

import decimal
from decimal import Decimal

import pytest

from services.orders.exchange import (
    ExchangeFill,
    LiveExchange,
    LiveOrderRequest,
    OrderRejected,
    OutcomeUnknown,
)
from services.orders.exchange.live import assert_no_retries
from tests.integration.exchange.conftest import ccxt_for

D = Decimal


def market(cid: str, side: str, amount: str, symbol: str = "BTC/USDT") -> LiveOrderRequest:
    return LiveOrderRequest(cid, symbol, side, "market", D(amount))


def limit(cid: str, side: str, amount: str, price: str, symbol: str = "ETH/USDT"):
    return LiveOrderRequest(cid, symbol, side, "limit", D(amount), D(price))


async def test_market_buy_reports_the_exchanges_fill_and_fee(fake, venue):
    order = await venue.place(market("c-1", "buy", "0.001234567"))
    # BTCUSDT stepSize 0.00001: 0.001234567 is sent as 0.00123 (rounded down)
    (request,) = fake.order_requests
    assert request.client_order_id == "c-1"
    assert request.params["quantity"] == "0.00123"
    assert request.params["newOrderRespType"] == "FULL"
    # filled at 60000: cost 0.00123 * 60000 = 73.8 USDT, commission 0.1% = 0.0738 USDT
    assert (order.status, order.filled, order.average) == ("closed", D("0.00123"), D(60000))
    assert (order.client_order_id, order.side, order.type) == ("c-1", "buy", "market")
    assert order.exchange_order_id == str(fake.orders_for("c-1")[0].order_id)
    assert order.fills == [ExchangeFill("5001", D("0.00123"), D(60000), D("0.0738"), "USDT")]
    assert fake.book.free["USDT"] == D(100000) - D("73.8") - D("0.0738")
    assert fake.book.free["BTC"] == D(1) + D("0.00123")


async def test_the_order_is_what_the_exchange_did_not_what_was_asked(fake, venue):
    # a buy limited at 3100 while ETH trades at 3000 fills at 3000
    order = await venue.place(limit("c-2", "buy", "0.5", "3100"))
    assert order.price == D(3100) and order.average == D(3000)
    # 0.5 * 3000 = 1500 USDT, commission 1.5 USDT
    assert order.fills == [ExchangeFill("5001", D("0.5"), D(3000), D("1.5"), "USDT")]


async def test_limit_price_is_rounded_to_the_tick_and_the_order_rests(fake, venue):
    order = await venue.place(limit("c-3", "buy", "0.12345", "2950.555"))
    # ETHUSDT tickSize 0.01 (half up) and stepSize 0.0001 (down)
    assert fake.order_requests[0].params["price"] == "2950.56"
    assert fake.order_requests[0].params["quantity"] == "0.1234"
    assert (order.status, order.filled, order.fills) == ("open", D(0), [])
    assert order.amount == D("0.1234") and order.price == D("2950.56")


@pytest.mark.parametrize("order_trades", [True, False])
async def test_a_resting_order_filled_later_is_seen_with_its_fills(fake, venue, order_trades):
    venue._x.has["fetchOrderTrades"] = order_trades  # False: the account's trades, filtered
    await venue.place(limit("c-0", "buy", "0.1", "3000"))  # another order's trade: not ours
    await venue.place(limit("c-4", "sell", "0.2", "3050"))
    fake.set_price("ETH/USDT", "3060")  # crosses: fills at its limit, 3050
    order = await venue.lookup("c-4", "ETH/USDT")
    assert order is not None
    assert (order.status, order.filled, order.average) == ("closed", D("0.2"), D(3050))
    # 0.2 * 3050 = 610 USDT, commission 0.61 USDT; the fills come from the trade list
    assert order.fills == [ExchangeFill("5002", D("0.2"), D(3050), D("0.61"), "USDT")]


async def test_cancel_a_resting_order(fake, venue):
    await venue.place(limit("c-5", "buy", "1", "2000"))
    canceled = await venue.cancel("c-5", "ETH/USDT")
    assert canceled is not None and canceled.status == "canceled"
    assert (await venue.lookup("c-5", "ETH/USDT")).status == "canceled"
    assert await venue.cancel("c-5", "ETH/USDT") is None  # nothing open any more
    assert fake.book.free["USDT"] == D(100000) and fake.book.locked["USDT"] == 0


async def test_lookup_of_an_unknown_client_id_is_none(venue):
    assert await venue.lookup("never-placed", "BTC/USDT") is None


async def test_insufficient_funds_is_rejected(fake, venue):
    fake.set_balance("USDT", "10")
    with pytest.raises(OrderRejected) as err:
        await venue.place(market("c-6", "buy", "0.01"))  # 600 USDT needed
    assert err.value.code == "INSUFFICIENT_FUNDS"
    assert fake.orders_for("c-6") == []


@pytest.mark.parametrize(
    ("kind", "code"),
    [("insufficient_funds", "INSUFFICIENT_FUNDS"), ("invalid_order", "INVALID_ORDER")],
)
async def test_exchange_refusals_are_rejections(fake, venue, kind, code):
    fake.fail_next(kind)
    with pytest.raises(OrderRejected) as err:
        await venue.place(market("c-7", "buy", "0.001"))
    assert err.value.code == code
    assert len(fake.order_requests) == 1 and fake.orders_for("c-7") == []


async def test_an_amount_below_the_step_is_rejected_without_sending(fake, venue):
    with pytest.raises(OrderRejected) as err:
        await venue.place(market("c-8", "buy", "0.000009"))  # rounds down to 0
    assert err.value.code == "AMOUNT_TOO_SMALL"
    assert fake.order_requests == []


async def test_an_unknown_symbol_is_rejected_without_sending(fake, venue):
    with pytest.raises(OrderRejected) as err:
        await venue.place(market("c-9", "buy", "1", symbol="DOGE/USDT"))
    assert err.value.code == "UNKNOWN_SYMBOL"
    assert fake.order_requests == []


async def test_a_duplicate_client_id_while_open_is_an_unknown_outcome(fake, venue):
    await venue.place(limit("c-10", "buy", "1", "2000"))
    with pytest.raises(OutcomeUnknown):  # Binance: -2010 "Duplicate order sent."
        await venue.place(limit("c-10", "buy", "1", "2000"))
    assert len(fake.orders_for("c-10")) == 1


async def test_ccxt_does_not_retry(fake, venue):
    x = ccxt_for(fake.url)
    try:
        assert x.options["maxRetriesOnFailure"] == 0
        assert x.handle_option("order", "maxRetriesOnFailure", None) == 0
        assert_no_retries(x)
        x.options["maxRetriesOnFailure"] = 2
        with pytest.raises(RuntimeError, match="retry"):
            LiveExchange(x)
    finally:
        await x.close()
    # an HTTP 503 -1001 is ccxt's OperationFailed, which ccxt would retry if allowed
    fake.fail_next("internal_error")
    with pytest.raises(OutcomeUnknown):
        await venue.place(market("c-11", "buy", "0.001"))
    assert [r.outcome for r in fake.order_requests] == ["error -1001"]


async def test_placing_leaves_the_decimal_context_alone(venue):
    before = decimal.getcontext().copy()
    await venue.place(market("c-12", "buy", "0.001234567"))
    await venue.lookup("c-12", "BTC/USDT")
    after = decimal.getcontext()
    assert (after.rounding, after.prec) == (before.rounding, before.prec)
    assert dict(after.traps) == dict(before.traps)
