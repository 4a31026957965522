"""Gate A: a key executes once, however many times and however concurrently it is sent."""

from __future__ import annotations

import asyncio

import grpc
import pytest

from amarktai.orders.v1 import orders_pb2 as pb
from tests.integration.orders.helpers import S, md, refusal, user


async def test_same_key_replays_the_original_and_other_params_conflict(h):
    u = user()
    bot = await h.bot(u)
    first = await h.submit(u, bot, idempotency_key="key-1")
    again = await h.submit(u, bot, idempotency_key="key-1", amount="0.010")  # same by value
    assert again.replayed and not first.replayed
    assert again.id == first.id and again.state == S.ORDER_STATE_FILLED
    assert list(again.fills) == list(first.fills)
    assert len(await h.ledger_fills(u)) == 1
    with pytest.raises(grpc.aio.AioRpcError) as e:
        await h.submit(u, bot, idempotency_key="key-1", amount="0.02")
    r = refusal(e.value)
    assert r.code == grpc.StatusCode.ALREADY_EXISTS and r.reason == "IDEMPOTENCY_KEY_REUSED"
    # a key is per user: another user's same key is a new order
    v = user()
    other = await h.submit(v, await h.bot(v), idempotency_key="key-1")
    assert other.id != first.id and not other.replayed
    # a rejected order is replayed too (its key is spent)
    no = await h.submit(u, bot, idempotency_key="key-2", expected_edge_bps="1")
    assert (await h.submit(u, bot, idempotency_key="key-2", expected_edge_bps="1")).replayed
    assert no.state == S.ORDER_STATE_REJECTED


async def test_key_is_free_again_after_its_ttl(h):
    u = user()
    bot = await h.bot(u)
    first = await h.submit(u, bot, idempotency_key="k")
    h.clock.advance(hours=24, seconds=1)
    second = await h.submit(u, bot, idempotency_key="k")
    assert second.id != first.id and not second.replayed


@pytest.mark.parametrize("tracing", [True, False], ids=["traced", "batched"])
async def test_concurrent_submissions_of_one_key_execute_once(h):
    u = user()
    bot = await h.bot(u)
    request = h.request(bot, idempotency_key="burst-key")
    results = await asyncio.gather(
        *(h.orders.SubmitOrder(request, metadata=md(u)) for _ in range(100)),
        return_exceptions=True,
    )
    orders = [r.order for r in results if not isinstance(r, BaseException)]
    errors = [refusal(r) for r in results if isinstance(r, grpc.aio.AioRpcError)]
    assert len(orders) + len(errors) == 100
    assert all(e.reason == "IDEMPOTENCY_KEY_IN_USE" for e in errors), errors[:3]
    assert len({o.id for o in orders}) == 1
    assert sum(not o.replayed for o in orders) == 1
    assert all(o.state == S.ORDER_STATE_FILLED for o in orders)
    assert len(await h.ledger_fills(u)) == 1
    listed = await h.orders.ListOrders(pb.ListOrdersRequest(), metadata=md(u))
    assert len(listed.items) == 1
