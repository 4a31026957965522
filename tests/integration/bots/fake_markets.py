"""A fake of what the runner needs (candles, positions, order submission), shared by several
runners as one orders service would be, and a Runner that reports when it steps a bot."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import select

from services.bots.domain import Candle
from services.bots.model import Bot
from services.bots.ports import OrderIntent, Submitted
from services.bots.runner import Runner
from services.bots.schema import leases


def zigzag(now: datetime, limit: int) -> list[Candle]:
    """1m candles up to the one forming at ``now``: close 10 on even minutes, 11 on odd ones.
    With SMA1/SMA2 the last closed candle says buy when its minute is odd, sell when even."""
    minute = int(now.timestamp()) // 60
    out = []
    for m in range(minute - limit + 1, minute + 1):
        price = Decimal(10 if m % 2 == 0 else 11)
        at = datetime.fromtimestamp(m * 60, UTC)
        out.append(Candle(at, price, price, price, price))
    return out


@dataclass
class Sent:
    holder: str
    bot_id: str
    key: str
    side: str
    amount: Decimal
    reduce_only: bool
    replayed: bool


@dataclass
class Exchange:
    """The state all runners share: like the orders service, a key executes once."""

    clock: object
    sent: list[Sent] = field(default_factory=list)
    orders: dict[str, Sent] = field(default_factory=dict)  # key -> the executed order
    positions: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    active: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    stepped: list[tuple[str, str, datetime]] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    on_candles: object = None  # a hook the tests set: called with the bot before answering
    fail_with: Exception | None = None
    candle_calls: int = 0

    def executed(self, bot_id: str) -> list[Sent]:
        return [s for s in self.orders.values() if s.bot_id == bot_id]


class FakeMarkets:
    def __init__(self, exchange: Exchange, holder: str) -> None:
        self.x = exchange
        self.holder = holder

    async def candles(self, bot: Bot, timeframe: str, limit: int) -> list[Candle]:
        assert timeframe == "1m"
        self.x.candle_calls += 1
        if self.x.fail_with is not None:
            raise self.x.fail_with
        if self.x.on_candles is not None:
            await self.x.on_candles(bot)
        await asyncio.sleep(0.005)  # a step takes a moment: a window for overlaps to show
        return zigzag(self.x.clock(), limit)

    async def position(self, bot: Bot) -> Decimal:
        return self.x.positions[bot.id]

    async def submit(self, bot: Bot, intent: OrderIntent) -> Submitted:
        first = self.x.orders.get(intent.idempotency_key)
        sent = Sent(
            self.holder,
            bot.id,
            intent.idempotency_key,
            intent.side,
            intent.amount,
            intent.reduce_only,
            first is not None,
        )
        self.x.sent.append(sent)
        if first is None:
            self.x.orders[intent.idempotency_key] = sent
            sign = 1 if intent.side == "buy" else -1
            self.x.positions[bot.id] += sign * intent.amount
        return Submitted(intent.idempotency_key, "FILLED", first is not None)


class ObservedRunner(Runner):
    """Checks, at every step, that no other runner is stepping the bot and that this runner
    holds the bot's lease in the database."""

    def __init__(self, *args, exchange: Exchange, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.x = exchange
        self.ticks = 0
        self.may_tick = asyncio.Event()  # cleared by a test to hold this runner still
        self.may_tick.set()

    async def tick(self) -> None:
        await self.may_tick.wait()
        await super().tick()
        self.ticks += 1

    async def step(self, bot: Bot) -> None:
        others = self.x.active[bot.id] - {self.holder}
        if others:
            self.x.violations.append(f"{bot.id} stepped by {self.holder} and {others}")
        with self.db.read() as conn:
            row = conn.execute(select(leases).where(leases.c.bot_id == bot.id)).one()
        if row.holder != self.holder or row.expires_at <= self.clock():
            self.x.violations.append(f"{self.holder} stepped {bot.id} without its lease")
        self.x.active[bot.id].add(self.holder)
        self.x.stepped.append((self.holder, bot.id, self.clock()))
        try:
            await super().step(bot)
        finally:
            self.x.active[bot.id].discard(self.holder)
