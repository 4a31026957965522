"""Live execution with a fake venue behind the real exchange-layer policy: keys from the real
auth service, the client order id saved before the call, fills as the exchange reports them,
refusals FAILED and counted as execution errors, which trip the breaker at 10 an hour."""

from __future__ import annotations

from decimal import Decimal

import pytest

from amarktai.auth.v1 import auth_pb2
from amarktai.orders.v1 import orders_pb2 as pb
from services.orders.exchange import (
    ExchangeFill,
    ExchangeOrder,
    OrderRejected,
    client_order_id,
)
from services.orders.live import LiveExecution
from tests.integration.orders.helpers import S, md

D = Decimal


class FakeVenue:
    settle_seconds = 0.0

    def __init__(self, log: list) -> None:
        self.log = log

    async def place(self, req):
        self.log.append(req)
        if req.amount > D("1"):
            raise OrderRejected("Account has insufficient balance", "INSUFFICIENT_FUNDS")
        fills = [
            ExchangeFill("t1", req.amount / 2, D("50100"), D("0.25"), "USDT"),
            ExchangeFill("t2", req.amount / 2, D("50120"), D("0.25"), "USDT"),
        ]
        return ExchangeOrder(
            "X-1", req.client_order_id, req.symbol, req.side, req.type, "closed", req.amount,
            None, req.amount, D("50110"), fills,
        )  # fmt: skip

    async def lookup(self, client_order_id, symbol):
        return None


@pytest.fixture
def auth_addr(auth_server) -> str:
    return auth_server.addr


@pytest.fixture
def placed() -> list:
    return []


@pytest.fixture
def live_factory(placed):
    def venue(exchange, key, secret, passphrase):
        assert (key, secret) == ("my-key", "my-secret")
        return FakeVenue(placed)

    return lambda app: LiveExecution(app, venue)


async def _user_with_keys(auth_server) -> str:
    r = await auth_server.stub.Register(
        auth_pb2.RegisterRequest(email="live@example.com", password="correct horse battery")
    )
    await auth_server.stub.StoreExchangeKeys(
        auth_pb2.StoreExchangeKeysRequest(
            exchange="binance", api_key="my-key", api_secret="my-secret"
        ),
        metadata=md(r.user.id),
    )
    return r.user.id


async def test_live_order_is_placed_once_and_keeps_what_the_exchange_reports(
    h, auth_server, placed
):
    u = await _user_with_keys(auth_server)
    bot = await h.bot(u, live=True)
    o = await h.submit(u, bot, amount="0.02", idempotency_key="live-1")
    assert o.mode == pb.ORDER_MODE_LIVE and o.state == S.ORDER_STATE_FILLED
    assert o.client_order_id == client_order_id(u, "live-1", o.id)
    assert [r.client_order_id for r in placed] == [o.client_order_id]
    assert o.exchange_order_id == "X-1"
    assert [(f.trade_id, D(f.price)) for f in o.fills] == [("t1", D("50100")), ("t2", D("50120"))]
    assert D(o.average_price) == D("50110")
    fills = await h.ledger_fills(u)
    assert sorted(f.fill_id for f in fills) == [f"{o.id}:t1", f"{o.id}:t2"]
    again = await h.submit(u, bot, amount="0.02", idempotency_key="live-1")
    assert again.replayed and len(placed) == 1


async def test_exchange_refusals_fail_the_order_and_trip_the_breaker_at_10(h, auth_server):
    u = await _user_with_keys(auth_server)
    bot = await h.bot(u, live=True)
    await h.fund(u, "1000")
    for i in range(10):
        o = await h.submit(u, bot, amount="5")
        assert o.state == S.ORDER_STATE_FAILED, i
        assert "INSUFFICIENT_FUNDS" in o.state_reason
        h.clock.advance(seconds=60)
    blocked = await h.submit(u, bot, amount="0.01")
    assert blocked.rejection.code == "BREAKER_TRIPPED"
    status = await h.orders.GetBreakerStatus(pb.GetBreakerStatusRequest(), metadata=md(u))
    assert status.items[0].trigger == pb.BREAKER_TRIGGER_ERROR_RATE
    assert status.items[0].metrics.errors_last_hour == 10
    assert await h.bot_state(u, bot) == "BOT_STATE_CIRCUIT_TRIPPED"


async def test_a_live_order_interrupted_during_its_gates_is_never_sent(
    h, auth_server, placed, monkeypatch
):
    import grpc
    from sqlalchemy.exc import OperationalError

    from services.orders import store

    u = await _user_with_keys(auth_server)
    bot = await h.bot(u, live=True)

    def lost(*args, **kwargs):  # the database lost as the accepted order is stored
        raise OperationalError("INSERT INTO orders ...", {}, Exception("connection lost"))

    with monkeypatch.context() as m:
        m.setattr(store, "orders_steps", lost)
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await h.submit(u, bot, amount="0.02", idempotency_key="stale-live")
    assert caught.value.code() == grpc.StatusCode.UNAVAILABLE
    assert placed == []  # nothing reached the exchange
    assert await h.ledger_fills(u) == []
    o = await h.submit(u, bot, amount="0.02", idempotency_key="stale-live")  # the retry
    assert o.state == S.ORDER_STATE_FILLED
    assert len(placed) == 1  # sent once, by the retry
