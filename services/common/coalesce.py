"""Calls of concurrent requests sent together: what waits while a batch is on its way goes in
the next one.

An order makes a few calls that are the same for every order (the bot check, the breaker's
figures, its fill's delivery; the gateway's SubmitOrder itself); under load many orders make
them at once. A Coalescer sends the
first call at once, alone; calls made while ``max_in_flight`` batches are on their way wait and
then go together, up to ``max_batch`` in one. A lone call is therefore never delayed by more
than a turn of the event loop, and a busy process sends a few large batches instead of many
calls, each of which costs both sides far more than an item of a batch.

Under load a batch may wait a little for more (``Batching.linger``): only when the batch before
it was already large (``linger_after`` items or more), so a lone call, or the calls of a few
callers, are never held back; under load the wait costs little (the callers queue anyway) and
makes each batch carry many more items: per call, both sides spend about as much as for ten
items of a batch.

``send`` answers every item of a batch with its result or the AppError of that item alone; an
error of the whole batch (the peer cannot be reached) is every item's error. A caller that
stops waiting (cancelled) leaves its item in the batch, whose answer to it is then dropped.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from opentelemetry import trace

from services.common.errors import AppError

I = TypeVar("I")  # noqa: E741 - an item
R = TypeVar("R")

Send = Callable[[list[I]], Awaitable[Sequence["R | AppError"]]]


@dataclass(frozen=True)
class Batching:
    """How calls are batched: at most ``max_batch`` items a batch (1: no batching); a batch
    waits up to ``linger`` seconds for more when the one before had ``linger_after`` items or
    more (0: never waits)."""

    max_batch: int = 256
    linger: float = 0.0
    linger_after: int = 4

    def __post_init__(self) -> None:
        if self.max_batch < 1 or self.linger < 0 or self.linger_after < 2:
            raise ValueError(f"bad batching: {self}")


DEFAULT = Batching()  # batches of up to 256, sent without waiting


class Coalescer(Generic[I, R]):
    def __init__(self, send: Send, batching: Batching = DEFAULT, max_in_flight: int = 1) -> None:
        if max_in_flight < 1:
            raise ValueError("max_in_flight must be at least 1")
        self.send = send
        self.max_batch = batching.max_batch
        self.linger = batching.linger
        self.linger_after = batching.linger_after
        self.max_in_flight = max_in_flight
        self._waiting: list[tuple[I, asyncio.Future]] = []
        self._in_flight: set[asyncio.Task] = set()
        self._scheduled = False
        self.batches = 0  # sent so far, and the items in them: what a test or a log can read
        self.items = 0
        self._last = 0  # the size of the batch sent last

    async def call(self, item: I) -> R:
        future = asyncio.get_running_loop().create_future()
        self._waiting.append((item, future))
        self._schedule()
        return await future

    def _schedule(self) -> None:
        if self._scheduled or not self._waiting or len(self._in_flight) >= self.max_in_flight:
            return
        self._scheduled = True
        # the calls made in this turn of the loop join the batch (under load: in the linger);
        # the batch belongs to none of its callers, so it is sent in an empty context (no
        # caller's span is its parent)
        loop, empty = asyncio.get_running_loop(), contextvars.Context()
        if self.linger and self._last >= self.linger_after:
            loop.call_later(self.linger, self._flush, context=empty)
        else:
            loop.call_soon(self._flush, context=empty)

    def _flush(self) -> None:
        self._scheduled = False
        batch = [(i, f) for i, f in self._waiting[: self.max_batch] if not f.done()]
        del self._waiting[: self.max_batch]
        if not batch:
            self._schedule()
            return
        self._last = len(batch)
        task = asyncio.get_running_loop().create_task(self._send(batch))
        self._in_flight.add(task)
        task.add_done_callback(self._sent)

    def _sent(self, task: asyncio.Task) -> None:
        self._in_flight.discard(task)
        self._schedule()

    async def _send(self, batch: list[tuple[I, asyncio.Future]]) -> None:
        self.batches += 1
        self.items += len(batch)
        try:
            results = await self.send([item for item, _ in batch])
            if len(results) != len(batch):
                raise RuntimeError(f"a batch of {len(batch)} answered {len(results)} results")
        except Exception as exc:  # noqa: BLE001 - the outcome of every item of the batch
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        except BaseException:  # cancelled (the process stops): so are the calls waiting on it
            for _, future in batch:
                future.cancel()
            raise
        for (_, future), result in zip(batch, results, strict=True):
            if future.done():
                continue
            if isinstance(result, AppError):
                future.set_exception(result)
            else:
                future.set_result(result)


def traced() -> bool:
    """Inside a span that is recorded (tracing exports): a call made here goes alone, not in
    a batch, so that what it does belongs to this order's trace."""
    return trace.get_current_span().is_recording()
