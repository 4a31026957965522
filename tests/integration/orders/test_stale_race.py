"""An order whose transaction fails while its gates are being decided (the database lost, say)
leaves nothing behind: no order, no claim of its key, no limiter slot. Nothing executes, and a
retry with the same key executes it once. (The order is stored only at the end of its gates,
with the claim, in one transaction.)"""

from __future__ import annotations

import grpc
import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from amarktai.orders.v1 import orders_pb2 as pb
from services.orders import store
from services.orders.schema import idempotency_claims, limiter_days, orders
from tests.integration.orders.helpers import md, user


def _lose_the_database_when_storing(monkeypatch):
    def lost(*args, **kwargs):
        raise OperationalError(
            "INSERT INTO orders ...", {}, Exception("server closed the connection")
        )

    monkeypatch.setattr(store, "orders_steps", lost)


def _counts(db, user_id: str) -> tuple[int, int, int]:
    with db.read() as conn:
        n_orders = conn.execute(
            select(func.count()).select_from(orders).where(orders.c.user_id == user_id)
        ).scalar_one()
        n_claims = conn.execute(
            select(func.count())
            .select_from(idempotency_claims)
            .where(idempotency_claims.c.user_id == user_id)
        ).scalar_one()
        used = conn.execute(
            select(func.coalesce(func.sum(limiter_days.c.used), 0)).where(
                limiter_days.c.user_id == user_id
            )
        ).scalar_one()
    return n_orders, n_claims, used


async def test_an_order_interrupted_during_its_gates_leaves_nothing_and_its_key_is_free(
    h, monkeypatch
):
    u = user()
    bot = await h.bot(u)
    await h.fund(u, "100000")
    with monkeypatch.context() as m:
        _lose_the_database_when_storing(m)
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await h.submit(u, bot, idempotency_key="interrupted")
    assert caught.value.code() == grpc.StatusCode.UNAVAILABLE  # retryable
    assert _counts(h.app.pipeline.db, u) == (0, 0, 0)
    await h.drain()
    assert await h.ledger_fills(u) == []

    order = await h.submit(u, bot, idempotency_key="interrupted")  # the retry: executed once
    assert order.state == pb.ORDER_STATE_FILLED and len(order.fills) == 1
    again = await h.submit(u, bot, idempotency_key="interrupted")
    assert again.id == order.id and again.replayed
    # one order, one claim, one slot (counted for the user and for the bot)
    assert _counts(h.app.pipeline.db, u) == (1, 1, 2)
    await h.drain()
    fills = await h.ledger_fills(u)
    assert [f.order_id for f in fills] == [order.id]
    listed = await h.orders.ListOrders(pb.ListOrdersRequest(), metadata=md(u))
    assert [o.id for o in listed.items] == [order.id]
