"""Bot events: per-user sequences, the stream (stored, then live, across replicas), resuming."""

import asyncio

import grpc

from amarktai.bots.v1 import bots_pb2 as pb
from tests.integration.bots.conftest import service_md, user_md
from tests.integration.bots.helpers import refused

ALICE, BOB = "user-alice", "user-bob"
S = pb.BotState


async def start(h, user, bot_id):
    await h.stub.StartBot(pb.StartBotRequest(id=bot_id), metadata=user_md(user))


async def pause(h, user, bot_id):
    await h.stub.PauseBot(pb.PauseBotRequest(id=bot_id, reason="lunch"), metadata=user_md(user))


async def read(call, n: int, timeout: float = 5.0) -> list[pb.BotEvent]:
    out = []
    for _ in range(n):
        out.append(await asyncio.wait_for(call.read(), timeout))
    return out


async def nothing_more(call, wait: float = 0.6) -> bool:
    try:
        await asyncio.wait_for(call.read(), wait)
    except TimeoutError:
        return True
    return False


def stream(h, user, after=0):
    return h.stub.StreamBotEvents(
        pb.StreamBotEventsRequest(after_sequence=after), metadata=user_md(user)
    )


async def test_every_change_is_an_event_in_sequence(bots):
    bot = await bots.create(ALICE)
    await start(bots, ALICE, bot.id)
    await pause(bots, ALICE, bot.id)
    # refused and no-op moves are no events
    await refused(bots.stub.PauseBot(pb.PauseBotRequest(id=bot.id), metadata=user_md(ALICE)))
    await bots.stub.StopBot(pb.StopBotRequest(id=bot.id), metadata=user_md(ALICE))
    await bots.stub.StopBot(pb.StopBotRequest(id=bot.id), metadata=user_md(ALICE))  # no-op
    bob_bot = await bots.create(BOB)

    call = stream(bots, ALICE)
    events = await read(call, 4)
    assert [(e.sequence, e.from_state, e.to_state, e.reason) for e in events] == [
        (1, S.BOT_STATE_UNSPECIFIED, S.BOT_STATE_STOPPED, "created"),
        (2, S.BOT_STATE_STOPPED, S.BOT_STATE_RUNNING, "started"),
        (3, S.BOT_STATE_RUNNING, S.BOT_STATE_PAUSED, "lunch"),
        (4, S.BOT_STATE_PAUSED, S.BOT_STATE_STOPPED, "stopped"),
    ]
    assert {e.bot_id for e in events} == {bot.id}
    assert events[1].at.ToDatetime().isoformat() == "2026-03-10T12:00:00"
    assert await nothing_more(call)
    call.cancel()

    bob = stream(bots, BOB)
    [only] = await read(bob, 1)
    assert (only.sequence, only.bot_id) == (1, bob_bot.id)  # Bob's own numbering
    assert await nothing_more(bob)
    bob.cancel()


async def test_a_change_through_another_replica_reaches_the_stream(bots, second_bots):
    bot = await bots.create(ALICE)
    call = stream(bots, ALICE)
    [created] = await read(call, 1)
    assert created.sequence == 1
    await start(second_bots, ALICE, bot.id)  # the other replica, the same database
    [started] = await read(call, 1, timeout=3.0)
    assert (started.sequence, started.to_state) == (2, S.BOT_STATE_RUNNING)
    await second_bots.stub.TripBots(pb.TripBotsRequest(), metadata=service_md(ALICE))
    [tripped] = await read(call, 1, timeout=3.0)
    assert (tripped.sequence, tripped.to_state) == (3, S.BOT_STATE_CIRCUIT_TRIPPED)
    call.cancel()


async def test_resume_from_a_sequence_gives_no_loss_and_no_repeat(bots, second_bots):
    bot = await bots.create(ALICE)  # 1
    await start(bots, ALICE, bot.id)  # 2
    await pause(bots, ALICE, bot.id)  # 3
    first = stream(bots, ALICE)
    got = await read(first, 3)
    first.cancel()  # the client goes away after sequence 3 ...
    await second_bots.stub.ResumeBot(pb.ResumeBotRequest(id=bot.id), metadata=user_md(ALICE))
    await pause(second_bots, ALICE, bot.id)  # 4, 5 while it is away
    again = stream(second_bots, ALICE, after=got[-1].sequence)  # ... and comes back elsewhere
    got += await read(again, 2)
    await bots.stub.ResumeBot(pb.ResumeBotRequest(id=bot.id), metadata=user_md(ALICE))  # 6
    got += await read(again, 1)
    assert [e.sequence for e in got] == [1, 2, 3, 4, 5, 6]
    assert await nothing_more(again)
    again.cancel()


async def test_concurrent_changes_on_two_replicas_stream_without_gaps(bots, second_bots):
    ids = [(await bots.create(ALICE, name=f"b{i}")).id for i in range(6)]  # 1..6
    call = stream(bots, ALICE, after=6)

    async def cycle(h, bot_id):
        for _ in range(3):
            await start(h, ALICE, bot_id)
            await h.stub.StopBot(pb.StopBotRequest(id=bot_id), metadata=user_md(ALICE))

    await asyncio.gather(*(cycle(bots if i % 2 else second_bots, b) for i, b in enumerate(ids)))
    events = await read(call, 36)  # 6 bots x 3 x (start + stop)
    assert [e.sequence for e in events] == list(range(7, 43))
    assert await nothing_more(call)
    call.cancel()


async def test_negative_sequence_is_refused(bots):
    call = stream(bots, ALICE, after=-1)
    try:
        await call.read()
    except grpc.aio.AioRpcError as err:
        assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
    else:
        raise AssertionError("expected INVALID_ARGUMENT")
