"""Every fill reaches the ledger exactly once, even when the ledger is down when it happens
and the orders process that made it is gone by the time the ledger is back."""

from __future__ import annotations

import asyncio

import pytest
from opentelemetry.sdk.trace import TracerProvider

from amarktai.orders.v1 import orders_pb2 as pb
from services.common.db import Database
from services.orders.app import OrdersApp
from tests.integration.orders.conftest import TUNING, make_prices
from tests.integration.orders.helpers import LIMIT, S, md, user

# each test as traced (every call alone) and untraced (calls of concurrent orders batched)
pytestmark = pytest.mark.parametrize("tracing", [True, False], ids=["traced", "batched"])


async def test_fills_made_while_the_ledger_is_down_arrive_once_when_it_returns(h):
    u = user()
    bot = await h.bot(u)
    resting = await h.submit(u, bot, type=LIMIT, price="49000", amount="0.1")
    await h.ledger_server.stop()
    h.market.move("BTC/USDT", "48000")
    assert await h.app.executor.sweep() == 1  # filled in orders; the ledger cannot be told
    order = (await h.orders.GetOrder(pb.GetOrderRequest(id=resting.id), metadata=md(u))).order
    assert order.state == S.ORDER_STATE_FILLED
    assert await asyncio.to_thread(h.app.outbox.pending) == 1
    await h.app.outbox.drain()  # still down: kept, retried later
    assert await asyncio.to_thread(h.app.outbox.pending) == 1
    # the first process is gone; a new one on the same database delivers when the ledger is back
    await h.ledger_server.start()
    db = Database(h.db.url, h.db.schema)
    h.extra_dbs.append(db)
    app = OrdersApp(db, h.peers, make_prices(h.market), TUNING, TracerProvider(), h.clock)
    for _ in range(100):
        await app.outbox.drain()
        if await asyncio.to_thread(app.outbox.pending) == 0:
            break
        await asyncio.sleep(0.1)
    assert await asyncio.to_thread(app.outbox.pending) == 0
    [lf] = await h.ledger_fills(u)
    assert lf.fill_id == order.fills[0].fill_id and lf.order_id == order.id
    # a delivery repeated (a second replica, a lost acknowledgement) records nothing new
    await h.app.outbox._send("fill", u, _payload_of(h, order.fills[0].fill_id))
    assert len(await h.ledger_fills(u)) == 1


def _payload_of(h, fill_id: str) -> dict:
    import json

    from sqlalchemy import select

    from services.orders.schema import outbox

    with h.db.read() as conn:
        row = conn.execute(select(outbox).where(outbox.c.ref == fill_id)).one()
    payload = json.loads(row.payload)
    payload.pop("_trace")
    return payload


async def test_a_delivered_fill_is_marked_soon_after_the_answer(h):
    """The order's answer waits for the ledger, not for its outbox row's delivered mark, which
    follows (batched with other orders'); nothing is left for the worker to deliver again."""
    u = user()
    bot = await h.bot(u)
    orders = await asyncio.gather(*(h.submit(u, bot) for _ in range(5)))
    assert [o.state for o in orders] == [S.ORDER_STATE_FILLED] * 5
    assert len(await h.ledger_fills(u)) == 5  # in the ledger when the answer came
    for _ in range(100):
        if await asyncio.to_thread(h.app.outbox.pending) == 0:
            break
        await asyncio.sleep(0.02)
    assert await asyncio.to_thread(h.app.outbox.pending) == 0
    assert await h.app.outbox.drain() == 0  # nothing delivered twice
