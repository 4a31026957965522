"""Every lifecycle move over gRPC, legal and illegal; pause-all/resume-all; trip and clear."""

import asyncio

import grpc
import pytest

from amarktai.bots.v1 import bots_pb2 as pb
from services.bots.domain import Action
from tests.integration.bots.conftest import service_md, user_md
from tests.integration.bots.helpers import refused

ALICE, BOB = "user-alice", "user-bob"
STOPPED, RUNNING, PAUSED = pb.BOT_STATE_STOPPED, pb.BOT_STATE_RUNNING, pb.BOT_STATE_PAUSED
ERROR, TRIPPED = pb.BOT_STATE_ERROR, pb.BOT_STATE_CIRCUIT_TRIPPED

MOVES = {
    "start": ("StartBot", pb.StartBotRequest),
    "pause": ("PauseBot", pb.PauseBotRequest),
    "resume": ("ResumeBot", pb.ResumeBotRequest),
    "stop": ("StopBot", pb.StopBotRequest),
}


async def move(bots, user, bot_id, name, reason=""):
    method, req = MOVES[name]
    r = await getattr(bots.stub, method)(req(id=bot_id, reason=reason), metadata=user_md(user))
    return r.bot


async def trip(bots, user, bot_id=""):
    r = await bots.stub.TripBots(pb.TripBotsRequest(bot_id=bot_id), metadata=service_md(user))
    return r.changed


async def clear(bots, user, bot_id=""):
    r = await bots.stub.ClearTrippedBots(
        pb.ClearTrippedBotsRequest(bot_id=bot_id), metadata=service_md(user)
    )
    return r.changed


async def bot_in(bots, state) -> str:
    """A new bot of ALICE brought into ``state`` through the API."""
    bot = await bots.create(ALICE)
    path = {
        STOPPED: [],
        RUNNING: ["start"],
        PAUSED: ["start", "pause"],
        TRIPPED: ["trip"],
        ERROR: ["start", "fail"],
    }[state]
    for step in path:
        if step == "trip":
            await trip(bots, ALICE, bot.id)
        elif step == "fail":
            # only the runner moves a bot to ERROR (a use case, not an RPC)
            bots.service.transition(ALICE, bot.id, Action.FAIL, "exchange refused the symbol")
        else:
            await move(bots, ALICE, bot.id, step)
    return bot.id


# (from state, move) -> to state; every other pair must be refused
LEGAL = {
    (STOPPED, "start"): RUNNING,
    (ERROR, "start"): RUNNING,
    (RUNNING, "pause"): PAUSED,
    (PAUSED, "resume"): RUNNING,
    (STOPPED, "stop"): STOPPED,
    (RUNNING, "stop"): STOPPED,
    (PAUSED, "stop"): STOPPED,
    (ERROR, "stop"): STOPPED,
}
NAMES = {
    STOPPED: "STOPPED",
    RUNNING: "RUNNING",
    PAUSED: "PAUSED",
    ERROR: "ERROR",
    TRIPPED: "CIRCUIT_TRIPPED",
}


@pytest.mark.parametrize("state", [STOPPED, RUNNING, PAUSED, ERROR, TRIPPED])
async def test_every_user_move_from_every_state(bots, state):
    for name in MOVES:
        bot_id = await bot_in(bots, state)
        if (state, name) in LEGAL:
            bot = await move(bots, ALICE, bot_id, name, reason="by hand")
            assert bot.state == LEGAL[(state, name)]
        else:
            r = await refused(move(bots, ALICE, bot_id, name))
            assert r.code == grpc.StatusCode.FAILED_PRECONDITION
            assert r.reason == "INVALID_TRANSITION"
            assert NAMES[state] in r.message
            got = await bots.stub.GetBot(pb.GetBotRequest(id=bot_id), metadata=user_md(ALICE))
            assert got.bot.state == state  # nothing changed


async def test_reason_is_kept(bots):
    bot = await bots.create(ALICE)
    started = await move(bots, ALICE, bot.id, "start", reason="go")
    assert started.state_reason == "go"
    r = await refused(move(bots, ALICE, bot.id, "pause", reason="x" * 501))
    assert r.fields == ["reason"]


async def test_another_users_bot_is_not_found_for_every_move(bots):
    bot_id = await bot_in(bots, RUNNING)
    for name in MOVES:
        r = await refused(move(bots, BOB, bot_id, name))
        assert r.code == grpc.StatusCode.NOT_FOUND
    r = await refused(
        bots.stub.TripBots(pb.TripBotsRequest(bot_id=bot_id), metadata=service_md(BOB))
    )
    assert r.code == grpc.StatusCode.NOT_FOUND
    r = await refused(bots.stub.PromoteBot(pb.PromoteBotRequest(id=bot_id), metadata=user_md(BOB)))
    assert r.code == grpc.StatusCode.NOT_FOUND
    got = await bots.stub.GetBot(pb.GetBotRequest(id=bot_id), metadata=user_md(ALICE))
    assert got.bot.state == RUNNING


async def test_pause_all_and_resume_all_count_what_moved(bots):
    running = [await bot_in(bots, RUNNING) for _ in range(3)]
    paused = await bot_in(bots, PAUSED)
    stopped = await bot_in(bots, STOPPED)
    tripped = await bot_in(bots, TRIPPED)
    bob_bot = (await bots.create(BOB)).id
    await move(bots, BOB, bob_bot, "start")

    r = await bots.stub.PauseAllBots(pb.PauseAllBotsRequest(), metadata=user_md(ALICE))
    assert r.changed == 3  # the three running ones
    r = await bots.stub.PauseAllBots(pb.PauseAllBotsRequest(), metadata=user_md(ALICE))
    assert r.changed == 0
    r = await bots.stub.ResumeAllBots(pb.ResumeAllBotsRequest(), metadata=user_md(ALICE))
    assert r.changed == 4  # the three plus the one paused before

    states = {}
    for bot_id in [*running, paused, stopped, tripped]:
        got = await bots.stub.GetBot(pb.GetBotRequest(id=bot_id), metadata=user_md(ALICE))
        states[bot_id] = got.bot.state
    assert [states[b] for b in running] == [RUNNING] * 3
    assert (states[paused], states[stopped], states[tripped]) == (RUNNING, STOPPED, TRIPPED)
    got = await bots.stub.GetBot(pb.GetBotRequest(id=bob_bot), metadata=user_md(BOB))
    assert got.bot.state == RUNNING  # Bob's bot was never paused


async def test_trip_and_clear_need_a_service_token(bots):
    bot_id = await bot_in(bots, RUNNING)
    r = await refused(
        bots.stub.TripBots(pb.TripBotsRequest(bot_id=bot_id), metadata=user_md(ALICE))
    )
    assert (r.code, r.reason) == (grpc.StatusCode.PERMISSION_DENIED, "SERVICE_TOKEN_REQUIRED")
    assert await trip(bots, ALICE, bot_id) == 1
    r = await refused(
        bots.stub.ClearTrippedBots(
            pb.ClearTrippedBotsRequest(bot_id=bot_id), metadata=user_md(ALICE)
        )
    )
    assert r.code == grpc.StatusCode.PERMISSION_DENIED
    got = await bots.stub.GetBot(pb.GetBotRequest(id=bot_id), metadata=user_md(ALICE))
    assert got.bot.state == TRIPPED


async def test_a_tripped_bot_leaves_only_by_clear_and_to_paused(bots):
    bot_id = await bot_in(bots, RUNNING)
    assert await trip(bots, ALICE, bot_id) == 1
    assert await trip(bots, ALICE, bot_id) == 0  # already tripped: left as is
    for name in MOVES:
        r = await refused(move(bots, ALICE, bot_id, name))
        assert "CIRCUIT_TRIPPED" in r.message
    assert await clear(bots, ALICE, bot_id) == 1
    assert await clear(bots, ALICE, bot_id) == 0  # a retry changes nothing
    got = await bots.stub.GetBot(pb.GetBotRequest(id=bot_id), metadata=user_md(ALICE))
    assert got.bot.state == PAUSED
    assert (await move(bots, ALICE, bot_id, "resume")).state == RUNNING


async def test_trip_and_clear_all_of_a_users_bots(bots):
    ids = [await bot_in(bots, s) for s in (STOPPED, RUNNING, PAUSED, ERROR)]
    already = await bot_in(bots, TRIPPED)
    bob_bot = (await bots.create(BOB)).id
    assert await trip(bots, ALICE) == 4
    assert await clear(bots, ALICE) == 5  # every tripped one, the earlier one included
    for bot_id in [*ids, already]:
        got = await bots.stub.GetBot(pb.GetBotRequest(id=bot_id), metadata=user_md(ALICE))
        assert got.bot.state == PAUSED
    got = await bots.stub.GetBot(pb.GetBotRequest(id=bob_bot), metadata=user_md(BOB))
    assert got.bot.state == STOPPED


async def test_other_services_read_a_bot_with_a_service_token(bots):
    bot_id = await bot_in(bots, RUNNING)
    got = await bots.stub.GetBot(pb.GetBotRequest(id=bot_id), metadata=service_md(ALICE))
    assert (got.bot.state, got.bot.mode) == (RUNNING, pb.BOT_MODE_PAPER)
    r = await refused(bots.stub.GetBot(pb.GetBotRequest(id=bot_id), metadata=service_md(BOB)))
    assert r.code == grpc.StatusCode.NOT_FOUND


async def test_concurrent_starts_on_two_replicas_move_the_bot_once(bots, second_bots):
    bot = await bots.create(ALICE)
    calls = [
        (bots if i % 2 else second_bots).stub.StartBot(
            pb.StartBotRequest(id=bot.id), metadata=user_md(ALICE)
        )
        for i in range(10)
    ]
    results = await asyncio.gather(*calls, return_exceptions=True)
    ok = [r for r in results if not isinstance(r, Exception)]
    refusals = [r for r in results if isinstance(r, grpc.aio.AioRpcError)]
    assert len(ok) == 1 and len(refusals) == 9
    assert {r.code() for r in refusals} == {grpc.StatusCode.FAILED_PRECONDITION}
    events = bots.service.events_after(ALICE, 0)
    assert [(e.sequence, e.to_state.value) for e in events] == [(1, "STOPPED"), (2, "RUNNING")]
