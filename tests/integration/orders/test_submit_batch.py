"""SubmitOrderBatch: the gateway's SubmitOrder calls of concurrent HTTP requests in one, each
item authenticated by its own token, in its own trace, answered as its own call would be.
Then the gateway itself (in-process, nothing exported) sending concurrent POSTs of several
users through the real orders service."""

from __future__ import annotations

import asyncio

import grpc
import httpx
import pytest
from google.rpc import error_details_pb2
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF

from amarktai.orders.v1 import orders_pb2 as pb
from services.common.auth import issue_service_token, issue_user_token
from services.gateway.app import create_app
from services.gateway.routes import RouteTable
from services.gateway.settings import Settings
from tests.conftest import JWT_SECRET
from tests.integration.orders.helpers import S, md, user

pytestmark = pytest.mark.parametrize("tracing", [False])
TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"


def token(user_id: str) -> str:
    return issue_user_token(JWT_SECRET, user_id)[0]


def item(h, user_id: str, bot: str, tok: str | None = None, **kw) -> pb.SubmitOrderBatchItem:
    return pb.SubmitOrderBatchItem(
        access_token=token(user_id) if tok is None else tok,
        traceparent=f"00-{TRACE}-00f067aa0ba902b7-00",
        request=h.request(bot, **kw),
    )


def reason(status) -> tuple[int, str, list[str]]:
    found, fields = "", []
    for detail in status.details:
        info, bad = error_details_pb2.ErrorInfo(), error_details_pb2.BadRequest()
        if detail.Unpack(info):
            found = info.reason
        elif detail.Unpack(bad):
            fields = [v.field for v in bad.field_violations]
    return status.code, found, fields


async def test_each_item_is_answered_as_its_own_call(h):
    alice, bob = user(), user()
    for u in (alice, bob):
        await h.fund(u, "100000")
    a_bot, b_bot, paused = await h.bot(alice), await h.bot(bob), await h.bot(bob, running=False)
    items = [
        item(h, alice, a_bot),
        item(h, bob, b_bot),
        item(h, bob, paused),  # its own refusal
        item(h, alice, a_bot, amount="-1"),  # bad input names its field
        item(h, alice, a_bot, tok="not-a-token"),
        item(h, alice, a_bot, tok=""),
        item(h, alice, b_bot),  # another user's bot: not found, never the data
        item(h, bob, b_bot, tok=issue_service_token(JWT_SECRET, "bots", bob)),  # a service's
    ]
    # the call carries one user's token, and each item is authenticated by its own
    r = await h.orders.SubmitOrderBatch(pb.SubmitOrderBatchRequest(items=items), metadata=md(bob))
    out = list(r.results)
    assert len(out) == len(items)
    filled = [out[i].response.order for i in (0, 1, 7)]
    assert [o.state for o in filled] == [S.ORDER_STATE_FILLED] * 3
    assert [o.bot_id for o in filled] == [a_bot, b_bot, b_bot]
    assert {o.trace_id for o in filled} == {TRACE}  # each keeps its request's trace id
    code = grpc.StatusCode
    assert reason(out[2].error)[:2] == (code.FAILED_PRECONDITION.value[0], "BOT_NOT_RUNNING")
    assert reason(out[3].error) == (code.INVALID_ARGUMENT.value[0], "INVALID_ARGUMENT", ["amount"])
    assert out[4].error.code == out[5].error.code == code.UNAUTHENTICATED.value[0]
    assert reason(out[6].error)[:2] == (code.NOT_FOUND.value[0], "BOT_NOT_FOUND")
    fills = {u: sorted(f.order_id for f in await h.ledger_fills(u)) for u in (alice, bob)}
    assert fills == {alice: [filled[0].id], bob: sorted([filled[1].id, filled[2].id])}


async def test_a_batch_of_no_items_or_too_many_is_refused_naming_items(h):
    for n in (0, 1001):
        items = [pb.SubmitOrderBatchItem()] * n
        with pytest.raises(grpc.aio.AioRpcError) as e:
            await h.orders.SubmitOrderBatch(
                pb.SubmitOrderBatchRequest(items=items), metadata=md(user())
            )
        assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert "items" in e.value.details()


async def test_the_batch_call_itself_needs_a_token(h):
    u = user()
    items = [item(h, u, await h.bot(u))]
    for metadata in ((), (("authorization", "Bearer not-a-token"),)):
        with pytest.raises(grpc.aio.AioRpcError) as e:
            await h.orders.SubmitOrderBatch(
                pb.SubmitOrderBatchRequest(items=items), metadata=metadata
            )
        assert e.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert await h.ledger_fills(u) == []


async def test_the_gateway_sends_concurrent_requests_together(h):
    users = [user() for _ in range(3)]
    bots = {}
    for u in users:
        await h.fund(u, "100000")
        bots[u] = await h.bot(u)
    settings = Settings(service_addrs={"orders": h.orders.addr, "ledger": "127.0.0.1:1",
                                       "bots": h.bots_addr, "auth": "127.0.0.1:1"})  # fmt: skip
    app, gateway = create_app(settings, TracerProvider(sampler=ALWAYS_OFF), RouteTable.discover())
    await gateway.start()
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://gw") as http:

            async def post(u: str, bot: str, **extra):
                body = {"botId": bot, "exchange": "binance", "symbol": "BTC/USDT",
                        "side": "SIDE_BUY", "type": "ORDER_TYPE_MARKET", "amount": "0.01",
                        "expectedEdgeBps": "50", "idempotencyKey": f"k-{id(extra)}-{bot}",
                        **extra}  # fmt: skip
                headers = {"Authorization": f"Bearer {token(u)}"}
                return await http.post("/api/orders/submit", json=body, headers=headers)

            plan = [(u, bots[u], {"idempotencyKey": f"{u}-{i}"}) for i in range(8) for u in users]
            wrong = (users[0], bots[users[1]], {"idempotencyKey": "wrong"})  # not hers
            bad = (users[1], bots[users[1]], {"idempotencyKey": "bad", "amount": "0"})
            calls = [post(u, b, **x) for u, b, x in [*plan, wrong, bad]]
            # a request with a bad token, early: likely the first of a batch (whose token the
            # batch call carries); it is refused, and only it
            calls.insert(1, http.post("/api/orders/submit", json={"botId": bots[users[0]]},
                                      headers={"Authorization": "Bearer not-a-token"}))  # fmt: skip
            answers = await asyncio.gather(*calls)
            assert answers.pop(1).status_code == 401
    finally:
        await gateway.close()
    for r in answers[: len(plan)]:
        assert r.status_code == 200, r.text
        assert r.json()["state"] == "ORDER_STATE_FILLED"
    assert answers[-2].status_code == 404
    assert answers[-1].status_code == 400 and "amount" in answers[-1].json()["message"]
    for u in users:
        assert len(await h.ledger_fills(u)) == 8
    [coalescer] = gateway.downstream._batches.values()
    assert coalescer.items == len(plan) + 3
    assert coalescer.batches < coalescer.items  # they did go together
