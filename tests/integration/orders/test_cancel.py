"""CancelOrder: a resting paper limit order is canceled here, a live one at the exchange (real
ccxt, the fake Binance); another user's order is NOT_FOUND, a final one FAILED_PRECONDITION."""

from __future__ import annotations

from decimal import Decimal

import grpc
import pytest

from amarktai.orders.v1 import orders_pb2 as pb
from tests.integration.orders.conftest import ccxt_live
from tests.integration.orders.helpers import LIMIT, S, md, refusal, user, user_with_keys

# each test as traced (every call alone) and untraced (calls of concurrent orders batched)
pytestmark = pytest.mark.parametrize("tracing", [True, False], ids=["traced", "batched"])

D = Decimal


@pytest.fixture
def auth_addr(auth_server) -> str:
    return auth_server.addr


@pytest.fixture
def live_factory(fake):
    return ccxt_live(fake)


async def cancel(h, u: str, order_id: str, stub=None) -> pb.Order:
    r = await (stub or h.orders).CancelOrder(pb.CancelOrderRequest(id=order_id), metadata=md(u))
    return r.order


async def refused(h, u: str, order_id: str):
    with pytest.raises(grpc.aio.AioRpcError) as e:
        await cancel(h, u, order_id)
    return refusal(e.value)


async def test_a_resting_paper_limit_order_is_canceled_and_never_fills(h):
    u = user()
    bot = await h.bot(u)
    o = await h.submit(u, bot, type=LIMIT, price="49000", amount="0.1")
    assert o.state == S.ORDER_STATE_ACCEPTED
    c = await cancel(h, u, o.id)
    assert (c.id, c.state, c.state_reason) == (o.id, S.ORDER_STATE_CANCELED, "canceled by the user")
    h.market.move("BTC/USDT", "48000")  # would have filled it
    assert await h.app.executor.sweep() == 0
    assert await h.ledger_fills(u) == []
    pending = await h.orders.ListPendingOrders(pb.ListPendingOrdersRequest(), metadata=md(u))
    assert list(pending.items) == []
    again = await refused(h, u, o.id)
    assert (again.code, again.reason) == (grpc.StatusCode.FAILED_PRECONDITION, "ORDER_FINAL")


async def test_another_users_order_is_not_found_and_a_bad_id_is_invalid(h):
    u, other = user(), user()
    bot = await h.bot(u)
    o = await h.submit(u, bot, type=LIMIT, price="49000", amount="0.1")
    r = await refused(h, other, o.id)
    assert r.code == grpc.StatusCode.NOT_FOUND
    assert (await h.order(u, o.id)).state == S.ORDER_STATE_ACCEPTED  # untouched
    assert (await refused(h, u, "no-such-order")).code == grpc.StatusCode.NOT_FOUND
    bad = await refused(h, u, "")
    assert (bad.code, bad.fields) == (grpc.StatusCode.INVALID_ARGUMENT, ["id"])


async def test_a_filled_paper_order_cannot_be_canceled(h):
    u = user()
    bot = await h.bot(u)
    o = await h.submit(u, bot)
    assert o.state == S.ORDER_STATE_FILLED
    r = await refused(h, u, o.id)
    assert (r.code, r.reason) == (grpc.StatusCode.FAILED_PRECONDITION, "ORDER_FINAL")
    assert (await h.order(u, o.id)).state == S.ORDER_STATE_FILLED


async def test_a_resting_live_order_is_canceled_at_the_exchange(h, auth_server, fake):
    u = await user_with_keys(auth_server)
    bot = await h.bot(u, live=True)
    o = await h.submit(u, bot, type=LIMIT, price="59000", amount="0.01")
    assert o.state == S.ORDER_STATE_SUBMITTED
    c = await cancel(h, u, o.id)
    assert c.state == S.ORDER_STATE_CANCELED and not c.fills
    [at_fake] = fake.orders_for(o.client_order_id)
    assert at_fake.status == "CANCELED" and ("DELETE", "/api/v3/order") in fake.requests
    fake.set_price("BTC/USDT", "58000")  # would have filled it at the exchange
    assert at_fake.fills == []
    h.wall.advance(seconds=6)
    assert await h.app.reconciler.run_once() == 0  # CANCELED is final: nothing to look at
    assert await h.ledger_fills(u) == []


async def test_a_live_order_the_exchange_filled_first_keeps_its_fill(h, auth_server, fake):
    u = await user_with_keys(auth_server)
    bot = await h.bot(u, live=True)
    o = await h.submit(u, bot, type=LIMIT, price="59000", amount="0.01")
    fake.set_price("BTC/USDT", "58500")  # filled at the exchange before the cancel arrives
    r = await refused(h, u, o.id)
    assert (r.code, r.reason) == (grpc.StatusCode.FAILED_PRECONDITION, "ORDER_FINAL")
    done = await h.order(u, o.id)
    assert done.state == S.ORDER_STATE_FILLED
    [lf] = await h.ledger_fills(u)  # 0.01 @ 59000, fee 0.59
    assert (D(lf.amount), D(lf.price), D(lf.fee)) == (D("0.01"), D("59000"), D("0.59"))
