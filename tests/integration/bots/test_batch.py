"""GetBotBatch: several GetBot calls of several users in one, for the orders service. Each item
is answered as its own GetBot by its token's user would be, or with the error that GetBot would
give; all the items' bots are read by one statement."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import grpc
import pytest
from grpc_status import rpc_status
from opentelemetry.sdk.trace import TracerProvider
from sqlalchemy import event

from amarktai.bots.v1 import bots_pb2 as pb
from amarktai.bots.v1 import bots_pb2_grpc
from services.bots.grpc_api import SERVICE_NAME, BotServicer
from services.common.auth import issue_service_token, issue_user_token
from services.common.server import build_server, start_server
from tests.conftest import JWT_SECRET
from tests.integration.bots.conftest import service_md, user_md
from tests.integration.bots.helpers import item_refusal, refused

ALICE, BOB, ORDERS = "user-alice", "user-bob", "user-orders-desk"
DENIED = (grpc.StatusCode.PERMISSION_DENIED, "SERVICE_TOKEN_REQUIRED")


def item(user: str, bot_id: str, token: str | None = None) -> pb.GetBotBatchItem:
    """One item acting for ``user`` (with a service token of the orders service, unless
    ``token`` is given)."""
    if token is None:
        token = issue_service_token(JWT_SECRET, "orders", user)
    return pb.GetBotBatchItem(service_token=token, request=pb.GetBotRequest(id=bot_id))


async def batch(bots, items, md=None) -> list[pb.GetBotBatchResult]:
    request = pb.GetBotBatchRequest(items=items)
    response = await bots.stub.GetBotBatch(request, metadata=md or service_md(ORDERS))
    assert len(response.results) == len(items)
    return list(response.results)


async def get_bot(bots, user: str, bot_id: str) -> pb.GetBotResponse:
    return await bots.stub.GetBot(pb.GetBotRequest(id=bot_id), metadata=service_md(user))


async def get_bot_status(bots, user: str, bot_id: str):
    """The google.rpc.Status that GetBot by ``user`` fails with."""
    try:
        await get_bot(bots, user, bot_id)
    except grpc.aio.AioRpcError as err:
        return rpc_status.from_call(err)
    raise AssertionError("GetBot succeeded but should have been refused")


async def test_each_item_is_answered_as_its_own_get_bot(bots):
    a1 = await bots.create(ALICE, name="a1")
    a2 = await bots.create(ALICE, name="a2", strategy="sma_crossover", params={"amount": "0.5"})
    b1 = await bots.create(BOB, name="b1", symbol="ETH/USDT", allocated_capital="12.50")
    await bots.stub.StartBot(pb.StartBotRequest(id=a2.id), metadata=user_md(ALICE))
    asks = [(ALICE, a1.id), (BOB, b1.id), (ALICE, a2.id), (ALICE, a1.id), (BOB, b1.id)]

    results = await batch(bots, [item(user, bot_id) for user, bot_id in asks])

    for (user, bot_id), result in zip(asks, results, strict=True):
        assert result.WhichOneof("outcome") == "response"
        assert result.response == await get_bot(bots, user, bot_id)
    assert [r.response.bot.name for r in results] == ["a1", "b1", "a2", "a1", "b1"]
    assert results[2].response.bot.state == pb.BOT_STATE_RUNNING
    assert results[1].response.bot.allocated_capital == "12.5"


async def test_another_users_bot_is_not_found_for_that_item_only(bots):
    alices = await bots.create(ALICE, name="secret-name")
    bobs = await bots.create(BOB)

    results = await batch(
        bots, [item(BOB, bobs.id), item(BOB, alices.id), item(ALICE, "no-such-bot")]
    )

    assert results[0].response == await get_bot(bots, BOB, bobs.id)
    assert results[1].WhichOneof("outcome") == "error"
    assert results[1].error == await get_bot_status(bots, BOB, alices.id)  # the same Status
    r = item_refusal(results[1].error)
    assert (r.code, r.reason) == (grpc.StatusCode.NOT_FOUND, "NOT_FOUND")
    assert "secret" not in r.message and "alice" not in r.message.lower()
    assert results[2].error == await get_bot_status(bots, ALICE, "no-such-bot")
    # and an unknown id is answered exactly as another user's bot
    unknown = item_refusal(results[2].error)
    assert (unknown.code, unknown.reason) == (r.code, r.reason)
    assert unknown.message == r.message.replace(alices.id, "no-such-bot")


async def test_the_call_needs_a_service_token(bots):
    bot = await bots.create(ALICE)
    r = await refused(batch(bots, [item(ALICE, bot.id)], md=user_md(ALICE)))
    assert (r.code, r.reason) == DENIED
    r = await refused(bots.stub.GetBotBatch(pb.GetBotBatchRequest(items=[item(ALICE, bot.id)])))
    assert r.code == grpc.StatusCode.UNAUTHENTICATED


async def test_each_item_needs_its_own_valid_service_token(bots):
    bot = await bots.create(ALICE)
    user_token, _ = issue_user_token(JWT_SECRET, ALICE)
    long_ago = datetime.now(UTC) - timedelta(hours=1)
    expired = issue_service_token(JWT_SECRET, "orders", ALICE, now=long_ago)
    forged = issue_service_token("another-secret-" + "y" * 40, "orders", ALICE)

    results = await batch(
        bots,
        [
            item(ALICE, bot.id, token=user_token),
            item(ALICE, bot.id),
            item(ALICE, bot.id, token=expired),
            item(ALICE, bot.id, token=forged),
            item(ALICE, bot.id, token=""),
        ],
    )

    r = item_refusal(results[0].error)
    assert (r.code, r.reason) == DENIED
    assert results[1].response == await get_bot(bots, ALICE, bot.id)
    for result in results[2:]:
        assert item_refusal(result.error).code == grpc.StatusCode.UNAUTHENTICATED
    assert "expired" in results[2].error.message


async def test_a_bad_id_names_the_items_field(bots):
    bot = await bots.create(ALICE)
    bad = pb.GetBotBatchItem(service_token=issue_service_token(JWT_SECRET, "orders", ALICE))

    results = await batch(bots, [item(ALICE, bot.id), item(ALICE, "has space"), bad])

    assert results[0].response == await get_bot(bots, ALICE, bot.id)
    for i in (1, 2):
        r = item_refusal(results[i].error)
        assert r.code == grpc.StatusCode.INVALID_ARGUMENT
        assert r.fields == [f"items[{i}].request.id"]
        assert f"items[{i}].request.id" in r.message


@pytest.mark.parametrize("size", [0, 1001])
async def test_a_batch_holds_1_to_1000_items(bots, size):
    bot = await bots.create(ALICE)
    r = await refused(batch(bots, [item(ALICE, bot.id)] * size))
    assert r.code == grpc.StatusCode.INVALID_ARGUMENT
    assert r.fields == ["items"]


async def test_a_full_batch_of_distinct_ids(bots):
    bot = await bots.create(ALICE)
    token = issue_service_token(JWT_SECRET, "orders", ALICE)
    ids = [bot.id] + [f"missing-{i}" for i in range(999)]  # 1000 values in the IN list

    results = await batch(bots, [item(ALICE, bot_id, token) for bot_id in ids])

    assert results[0].response.bot == bot
    assert {item_refusal(r.error).code for r in results[1:]} == {grpc.StatusCode.NOT_FOUND}
    assert results[-1].error.message == "bot 'missing-998' not found"


async def test_a_state_change_is_seen_by_the_next_batch(bots, second_bots):
    bot = await bots.create(ALICE)
    await bots.stub.StartBot(pb.StartBotRequest(id=bot.id), metadata=user_md(ALICE))
    [before] = await batch(bots, [item(ALICE, bot.id)])
    assert before.response.bot.state == pb.BOT_STATE_RUNNING

    # paused through the other replica: nothing this one remembers can hide it
    await second_bots.stub.PauseBot(
        pb.PauseBotRequest(id=bot.id, reason="for lunch"), metadata=user_md(ALICE)
    )
    [after] = await batch(bots, [item(ALICE, bot.id)])

    assert after.response.bot.state == pb.BOT_STATE_PAUSED
    assert after.response.bot.state_reason == "for lunch"


class Statements:
    """The SQL statements an engine runs while counting."""

    def __init__(self, engine) -> None:
        self.engine = engine
        self.seen: list[str] = []

    def _before(self, conn, cursor, statement, parameters, context, executemany) -> None:
        self.seen.append(statement)

    def __enter__(self) -> list[str]:
        event.listen(self.engine, "before_cursor_execute", self._before)
        return self.seen

    def __exit__(self, *exc) -> None:
        event.remove(self.engine, "before_cursor_execute", self._before)


async def test_all_the_items_bots_are_read_by_one_statement(bots):
    alices = [await bots.create(ALICE, name=f"a{i}") for i in range(5)]
    bobs = [await bots.create(BOB, name=f"b{i}") for i in range(5)]
    items = [item(ALICE, b.id) for b in alices] + [item(BOB, b.id) for b in bobs]
    items += [item(BOB, alices[0].id), item(ALICE, "no-such-bot"), item(ALICE, "bad id")]
    items *= 3  # 39 items, each bot several times

    with Statements(bots.db.engine) as one_get:
        await get_bot(bots, ALICE, alices[0].id)
    with Statements(bots.db.engine) as seen:
        results = await batch(bots, items)

    assert sum(r.WhichOneof("outcome") == "response" for r in results) == 30
    reads = [s for s in seen if "FROM bots" in s]
    assert len(reads) == 1, seen
    assert len(seen) == len(one_get)  # all of them cost what one GetBot costs

    with Statements(bots.db.engine) as seen:
        await batch(bots, [item(ALICE, "bad id"), item(ALICE, alices[0].id, token="x")])
    assert seen == []  # no item got as far as the read


async def test_a_server_without_a_verifier_says_unimplemented(bots):
    # what a caller falls back from to plain GetBot calls
    server = build_server("bots", JWT_SECRET, TracerProvider())
    bots_pb2_grpc.add_BotServiceServicer_to_server(BotServicer(bots.service, None), server)
    port, _ = await start_server(server, "127.0.0.1:0", [SERVICE_NAME])
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = bots_pb2_grpc.BotServiceStub(channel)
            request = pb.GetBotBatchRequest(items=[item(ALICE, "some-bot")])
            r = await refused(stub.GetBotBatch(request, metadata=service_md(ORDERS)))
        assert r.code == grpc.StatusCode.UNIMPLEMENTED
    finally:
        await server.stop(None)
