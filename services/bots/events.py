"""StreamBotEvents: the stored events after a sequence, then new ones as they happen.

The events table is the source: a stream reads it by sequence, so it sees changes made by any
replica. It reads again every ``poll_seconds``, or at once when this process made a change for
the user (the Wakeups below). Sequences of a user commit in order (see service.py), so reading
``sequence > last sent`` neither loses nor repeats an event.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator

from services.bots.model import BotEvent
from services.bots.service import BotService

BATCH = 500


class Wakeups:
    """In-process nudges: a change made here wakes this user's streams before the next poll."""

    def __init__(self) -> None:
        self._waiters: dict[str, set[asyncio.Event]] = defaultdict(set)

    def notify(self, user_id: str) -> None:
        for event in self._waiters.get(user_id, ()):
            event.set()

    def register(self, user_id: str) -> asyncio.Event:
        event = asyncio.Event()
        self._waiters[user_id].add(event)
        return event

    def unregister(self, user_id: str, event: asyncio.Event) -> None:
        waiters = self._waiters.get(user_id)
        if waiters is not None:
            waiters.discard(event)
            if not waiters:
                del self._waiters[user_id]


async def stream_events(
    service: BotService,
    wakeups: Wakeups,
    user_id: str,
    after: int,
    poll_seconds: float,
) -> AsyncIterator[BotEvent]:
    wake = wakeups.register(user_id)
    try:
        while True:
            wake.clear()  # before the read: a change committed after it sets it again
            events = await asyncio.to_thread(service.events_after, user_id, after, BATCH)
            for event in events:
                yield event
                after = event.sequence
            if len(events) == BATCH:
                continue
            try:
                await asyncio.wait_for(wake.wait(), poll_seconds)
            except TimeoutError:
                pass
    finally:
        wakeups.unregister(user_id, wake)
