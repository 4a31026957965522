"""Creating, reading and listing bots over gRPC; bad input names its field and stores nothing."""

import grpc
import pytest

from amarktai.bots.v1 import bots_pb2 as pb
from tests.integration.bots.conftest import user_md
from tests.integration.bots.helpers import refused

ALICE, BOB = "user-alice", "user-bob"


async def test_create_and_get(bots, clock):
    bot = await bots.create(
        ALICE,
        name="Trend",
        exchange="Binance",
        symbol="eth/usdt",
        strategy="sma_crossover",
        params={"fast": "5", "slow": "20", "amount": "0.50"},
        allocated_capital="2500.00",
    )
    assert bot.id
    assert (bot.name, bot.exchange, bot.symbol) == ("Trend", "binance", "ETH/USDT")
    assert dict(bot.params) == {"fast": "5", "slow": "20", "amount": "0.5"}
    assert bot.allocated_capital == "2500"
    assert bot.mode == pb.BOT_MODE_PAPER
    assert bot.state == pb.BOT_STATE_STOPPED
    assert bot.interval_seconds == 60
    assert bot.created_at.ToDatetime().isoformat() == "2026-03-10T12:00:00"
    got = await bots.stub.GetBot(pb.GetBotRequest(id=bot.id), metadata=user_md(ALICE))
    assert got.bot == bot


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"name": ""}, "name"),
        ({"exchange": "nowhere"}, "exchange"),
        ({"symbol": "BTC-USDT"}, "symbol"),
        ({"strategy": "magic"}, "strategy"),
        ({"allocated_capital": "0"}, "allocated_capital"),
        ({"allocated_capital": "1e999"}, "allocated_capital"),
        ({"interval_seconds": 3}, "interval_seconds"),
        (
            {"strategy": "sma_crossover", "params": {"fast": "9", "slow": "3", "amount": "1"}},
            "params.fast",
        ),
        ({"strategy": "sma_crossover", "params": {"amount": "1", "extra": "1"}}, "params.extra"),
        ({"strategy": "rsi_reversion", "params": {"amount": "-1"}}, "params.amount"),
        ({"idempotency_key": "has space"}, "idempotency_key"),
    ],
)
async def test_bad_input_names_the_field_and_stores_nothing(bots, fields, field):
    r = await refused(bots.create(ALICE, **fields))
    assert r.code == grpc.StatusCode.INVALID_ARGUMENT
    assert r.fields == [field]
    assert field in r.message
    listed = await bots.stub.ListBots(pb.ListBotsRequest(), metadata=user_md(ALICE))
    assert list(listed.items) == []


async def test_another_users_bot_is_not_found(bots):
    bot = await bots.create(ALICE)
    r = await refused(bots.stub.GetBot(pb.GetBotRequest(id=bot.id), metadata=user_md(BOB)))
    assert r.code == grpc.StatusCode.NOT_FOUND
    assert "alice" not in r.message.lower()
    listed = await bots.stub.ListBots(pb.ListBotsRequest(), metadata=user_md(BOB))
    assert list(listed.items) == []


async def test_list_pages_in_creation_order(bots):
    ids = [(await bots.create(ALICE, name=f"b{i}")).id for i in range(5)]
    await bots.create(BOB, name="other")
    seen, token = [], ""
    for expected_size in (2, 2, 1):
        page = await bots.stub.ListBots(
            pb.ListBotsRequest(page_size=2, page_token=token), metadata=user_md(ALICE)
        )
        assert len(page.items) == expected_size
        seen += [b.id for b in page.items]
        token = page.next_page_token
    assert token == ""
    assert seen == ids


async def test_list_refuses_bad_paging(bots):
    r = await refused(
        bots.stub.ListBots(pb.ListBotsRequest(page_size=1001), metadata=user_md(ALICE))
    )
    assert r.fields == ["page_size"]
    r = await refused(
        bots.stub.ListBots(pb.ListBotsRequest(page_token="garbage"), metadata=user_md(ALICE))
    )
    assert r.fields == ["page_token"]


async def test_create_with_a_key_happens_once(bots):
    first = await bots.create(ALICE, name="once", idempotency_key="k-1")
    again = await bots.create(ALICE, name="once", idempotency_key="k-1")
    assert again.id == first.id
    r = await refused(bots.create(ALICE, name="different", idempotency_key="k-1"))
    assert (r.code, r.reason) == (grpc.StatusCode.ALREADY_EXISTS, "IDEMPOTENCY_KEY_REUSED")
    # the key is the user's own: another user with the same key gets a new bot
    other = await bots.create(BOB, name="once", idempotency_key="k-1")
    assert other.id != first.id
    listed = await bots.stub.ListBots(pb.ListBotsRequest(), metadata=user_md(ALICE))
    assert [b.id for b in listed.items] == [first.id]


async def test_no_token_is_unauthenticated(bots):
    r = await refused(bots.stub.ListBots(pb.ListBotsRequest()))
    assert r.code == grpc.StatusCode.UNAUTHENTICATED
