"""An order the sweep failed as stale while its own submission was still deciding its gates
(a database outage, a very slow gate) must not execute afterwards: its key answers FAILED."""

from __future__ import annotations

from amarktai.ledger.v1 import ledger_pb2 as lpb
from amarktai.orders.v1 import orders_pb2 as pb
from services.orders import store
from tests.integration.orders.helpers import md, user


async def test_an_order_failed_as_stale_during_its_gates_never_executes(h):
    u = user()
    bot = await h.bot(u)
    await h.fund(u, "100000")
    pipeline = h.app.pipeline
    accept = pipeline._accept

    def sweep_first(order_id, *args, **kwargs):
        # the sweep (another task or process) gets there first: RECEIVED -> FAILED
        with pipeline.db.write() as conn:
            assert store.update_order(
                conn, order_id, ["RECEIVED"], state="FAILED", done=True,
                state_reason="interrupted before its gates were decided",
            )  # fmt: skip
        return accept(order_id, *args, **kwargs)

    pipeline._accept = sweep_first
    try:
        order = await h.submit(u, bot)
    finally:
        pipeline._accept = accept
    assert order.state == pb.ORDER_STATE_FAILED
    assert list(order.fills) == []
    await h.app.outbox.drain()
    again = await h.orders.GetOrder(pb.GetOrderRequest(id=order.id), metadata=md(u))
    assert again.order.state == pb.ORDER_STATE_FAILED and list(again.order.fills) == []
    fills = await h.ledger.ListFills(lpb.ListFillsRequest(), metadata=md(u))
    assert list(fills.items) == []
