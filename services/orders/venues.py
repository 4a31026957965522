"""One venue per exchange account, reused across orders and reconciler looks.

A ccxt instance loads the exchange's markets once and keeps its client-side throttle; made
afresh per call it would fetch the markets (Binance: exchangeInfo, weight 20) for every order
and every look at a resting order. The pool keeps at most ``size`` venues, least recently used
first out; a venue leaving the pool (or the pool closing) is closed once no call is using it.
Keys are told apart by a digest of the secret, so rotated keys get a new venue.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any


async def close_venue(venue: Any) -> None:
    close = getattr(venue, "close", None)
    if close is not None:
        await close()


@dataclass
class _Entry:
    venue: Any
    users: int = 0
    retired: bool = False


class VenuePool:
    def __init__(self, factory: Callable[[str, str, str, str], Any], size: int = 32) -> None:
        self.factory = factory  # (exchange, api_key, secret, passphrase) -> venue
        self.size = size
        self._entries: OrderedDict[tuple[str, str, str], _Entry] = OrderedDict()

    @asynccontextmanager
    async def use(
        self, exchange: str, api_key: str, secret: str, passphrase: str = ""
    ) -> AsyncIterator[Any]:
        digest = hashlib.sha256(f"{secret}\x00{passphrase}".encode()).hexdigest()
        key = (exchange, api_key, digest)
        entry = self._entries.get(key)
        if entry is None:
            entry = _Entry(self.factory(exchange, api_key, secret, passphrase))
            self._entries[key] = entry
        self._entries.move_to_end(key)
        entry.users += 1
        while len(self._entries) > self.size:
            _, old = self._entries.popitem(last=False)
            await self._retire(old)
        try:
            yield entry.venue
        finally:
            entry.users -= 1
            if entry.retired and entry.users == 0:
                await close_venue(entry.venue)

    async def _retire(self, entry: _Entry) -> None:
        entry.retired = True
        if entry.users == 0:
            await close_venue(entry.venue)

    async def close(self) -> None:
        entries = list(self._entries.values())
        self._entries.clear()
        for entry in entries:
            await self._retire(entry)
