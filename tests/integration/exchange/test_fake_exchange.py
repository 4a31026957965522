"""The fake Binance itself: the parts of the API the tests rely on behave like Binance."""

from decimal import Decimal

import httpx
import pytest

from services.orders.exchange import LiveExchange, LiveOrderRequest, OrderRejected
from tests.integration.exchange.conftest import ccxt_for

D = Decimal


async def test_balances_through_ccxt(fake):
    x = ccxt_for(fake.url)
    try:
        balance = await x.fetch_balance()
    finally:
        await x.close()
    assert D(balance["USDT"]["free"]) == D(100000)
    assert D(balance["BTC"]["free"]) == D(1)


async def test_signed_endpoints_need_the_api_key_header(fake):
    async with httpx.AsyncClient(base_url=fake.url) as http:
        r = await http.get("/api/v3/account", params={"timestamp": 1, "signature": "x"})
        assert (r.status_code, r.json()["code"]) == (401, -2014)
        r = await http.get("/api/v3/account", headers={"X-MBX-APIKEY": "any"})
        assert r.status_code == 200
        r = await http.get("/api/v3/ticker/24hr", params={"symbol": "BTCUSDT"})  # public
        assert r.status_code == 200


async def test_without_keys_ccxt_does_not_send_orders(fake):
    venue = LiveExchange(ccxt_for(fake.url, keys=False))
    try:
        req = LiveOrderRequest("no-keys", "BTC/USDT", "buy", "market", D("0.001"))
        with pytest.raises(OrderRejected, match="apiKey"):
            await venue.place(req)
    finally:
        await venue.close()
    assert fake.order_requests == []


async def test_order_lookup_errors_are_binances(fake):
    async with httpx.AsyncClient(base_url=fake.url, headers={"X-MBX-APIKEY": "k"}) as http:
        r = await http.get("/api/v3/order", params={"symbol": "BTCUSDT", "origClientOrderId": "x"})
        assert (r.status_code, r.json()) == (400, {"code": -2013, "msg": "Order does not exist."})
        r = await http.delete("/api/v3/order", params={"symbol": "BTCUSDT", "orderId": "1"})
        assert (r.status_code, r.json()["code"]) == (400, -2011)
        form = {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.000015"}
        r = await http.post("/api/v3/order", data=form)  # not a multiple of stepSize 0.00001
        assert (r.status_code, r.json()["code"]) == (400, -1013)
