"""Coalescer: a lone call goes at once, calls made while a batch is on its way go together in
the next one, and every caller gets its own item's outcome."""

from __future__ import annotations

import asyncio
import contextvars

import grpc
import pytest

from services.common.coalesce import Batching, Coalescer
from services.common.errors import AppError, invalid


class Peer:
    """A batch call the test releases by hand; it records every batch it was sent."""

    def __init__(self) -> None:
        self.batches: list[list] = []
        self.gate: asyncio.Event | None = None
        self.answer = lambda items: [x * 10 for x in items]

    async def send(self, items: list) -> list:
        self.batches.append(list(items))
        if self.gate is not None:
            await self.gate.wait()
        return self.answer(items)


async def test_a_lone_call_is_sent_alone_at_once():
    peer = Peer()
    c = Coalescer(peer.send)
    assert await asyncio.wait_for(c.call(4), 1) == 40
    assert peer.batches == [[4]]


async def test_calls_made_while_a_batch_is_on_its_way_go_together_in_the_next():
    peer = Peer()
    peer.gate = asyncio.Event()
    c = Coalescer(peer.send)
    first = asyncio.create_task(c.call(1))
    await asyncio.sleep(0)  # the first batch leaves with the one call
    await asyncio.sleep(0)
    rest = [asyncio.create_task(c.call(n)) for n in (2, 3, 4)]
    await asyncio.sleep(0.01)
    assert peer.batches == [[1]]  # the others wait for it
    peer.gate.set()
    assert await first == 10
    assert [await t for t in rest] == [20, 30, 40]
    assert peer.batches == [[1], [2, 3, 4]]
    assert (c.batches, c.items) == (2, 4)


async def test_calls_of_one_turn_of_the_loop_go_together_and_max_batch_splits_them():
    peer = Peer()
    c = Coalescer(peer.send, Batching(max_batch=3), max_in_flight=2)
    results = await asyncio.gather(*(c.call(n) for n in range(7)))
    assert results == [n * 10 for n in range(7)]
    assert [len(b) for b in peer.batches] == [3, 3, 1]
    assert [x for b in peer.batches for x in b] == list(range(7))


async def test_an_items_error_is_its_callers_alone():
    peer = Peer()
    peer.answer = lambda items: [invalid("amount", "bad") if x == 2 else x for x in items]
    c = Coalescer(peer.send)
    out = await asyncio.gather(*(c.call(n) for n in (1, 2, 3)), return_exceptions=True)
    assert out[0] == 1 and out[2] == 3
    assert isinstance(out[1], AppError) and out[1].violations == [("amount", "bad")]


async def test_an_error_of_the_whole_batch_is_every_callers():
    async def send(items):
        raise AppError(grpc.StatusCode.UNAVAILABLE, "LEDGER_UNAVAILABLE", "down")

    c = Coalescer(send)
    out = await asyncio.gather(*(c.call(n) for n in range(3)), return_exceptions=True)
    assert all(isinstance(e, AppError) and e.reason == "LEDGER_UNAVAILABLE" for e in out)


async def test_an_answer_of_the_wrong_length_is_an_error_not_a_misdelivery():
    peer = Peer()
    peer.answer = lambda items: items[:-1]
    c = Coalescer(peer.send)
    out = await asyncio.gather(*(c.call(n) for n in range(3)), return_exceptions=True)
    assert all(isinstance(e, RuntimeError) for e in out)


async def test_a_caller_that_stops_waiting_does_not_disturb_the_others():
    peer = Peer()
    peer.gate = asyncio.Event()
    c = Coalescer(peer.send)
    first = asyncio.create_task(c.call(1))
    await asyncio.sleep(0.01)
    gone = asyncio.create_task(c.call(2))
    kept = asyncio.create_task(c.call(3))
    await asyncio.sleep(0)
    gone.cancel()
    peer.gate.set()
    assert await first == 10 and await kept == 30
    with pytest.raises(asyncio.CancelledError):
        await gone
    assert peer.batches == [[1], [3]]  # a call cancelled before its batch left is not sent


async def test_the_batch_is_sent_in_no_callers_context():
    var: contextvars.ContextVar[str] = contextvars.ContextVar("who", default="nobody")
    seen = []

    async def send(items):
        seen.append(var.get())
        return items

    c = Coalescer(send)

    async def caller(name):
        var.set(name)
        return await c.call(name)

    assert await asyncio.gather(caller("a"), caller("b")) == ["a", "b"]
    assert seen == ["nobody"]


def test_bad_sizes_are_refused():
    for bad in (dict(max_batch=0), dict(linger=-1), dict(linger_after=1)):
        with pytest.raises(ValueError):
            Batching(**bad)
    with pytest.raises(ValueError):
        Coalescer(Peer().send, max_in_flight=0)


async def test_under_load_a_batch_waits_its_linger_for_more():
    """After a batch of linger_after items or more, the next waits up to the linger: the calls
    made meanwhile, a little apart, all go with it."""
    peer = Peer()
    c = Coalescer(peer.send, Batching(linger=0.05, linger_after=3))
    assert await asyncio.gather(*(c.call(n) for n in range(3))) == [0, 10, 20]  # at once
    loop = asyncio.get_running_loop()
    started = loop.time()
    late = []
    for n in range(4):  # four calls 10 ms apart, within the 50 ms
        late.append(asyncio.create_task(c.call(n)))
        await asyncio.sleep(0.01)
    assert [await t for t in late] == [0, 10, 20, 30]
    assert peer.batches == [[0, 1, 2], [0, 1, 2, 3]]
    assert loop.time() - started >= 0.05


async def test_a_lone_call_never_waits_for_the_linger():
    peer = Peer()
    c = Coalescer(peer.send, Batching(linger=5.0, linger_after=3))
    for n in range(3):  # each alone: batches of 1 stay below linger_after
        assert await asyncio.wait_for(c.call(n), 1) == n * 10
    assert peer.batches == [[0], [1], [2]]
