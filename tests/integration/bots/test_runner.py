"""The runner over a real database: one runner per bot through leases, takeover when a runner
dies, no decision executed twice, nothing placed for bots that are not RUNNING."""

import asyncio
import contextlib
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from services.bots.domain import Action, BotSpec, State
from services.bots.runner import RunnerConfig
from services.bots.schema import MIGRATIONS, leases
from services.bots.service import BotService
from services.common.db import Database
from services.common.errors import invalid
from tests.integration.bots.conftest import Clock
from tests.integration.bots.fake_markets import Exchange, FakeMarkets, ObservedRunner

ALICE, BOB = "user-alice", "user-bob"
CONFIG = RunnerConfig(lease_seconds=15, renew_seconds=5, tick_seconds=0.02)
STEP = timedelta(seconds=5)


def spec(strategy: str = "sma_crossover", interval: int = 60) -> BotSpec:
    params = {"fast": "1", "slow": "2", "amount": "1"} if strategy != "manual" else {}
    return BotSpec(
        name="r",
        exchange="binance",
        symbol="BTC/USDT",
        strategy=strategy,
        params=params,
        allocated_capital=Decimal(1000),
        interval_seconds=interval,
    )


class Harness:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.clock = clock
        self.exchange = Exchange(clock)
        self.dbs: list[Database] = []
        self.tasks: dict[str, asyncio.Task] = {}
        self.runners: dict = {}
        self.url, self.schema = db.url, db.schema
        self.service = BotService(db, clock=clock)

    def start(self, holder: str):
        db = Database(self.url, self.schema)  # its own engine, as another process would have
        self.dbs.append(db)
        runner = ObservedRunner(
            BotService(db, clock=self.clock),
            FakeMarkets(self.exchange, holder),
            holder=holder,
            clock=self.clock,
            config=CONFIG,
            exchange=self.exchange,
        )
        self.runners[holder] = runner
        self.tasks[holder] = asyncio.create_task(runner.run())
        return runner

    async def kill(self, holder: str) -> None:
        """Stop the runner's task with no goodbye: its leases stay until they expire."""
        task = self.tasks.pop(holder)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    async def advance(self, total: timedelta, on_step=None) -> None:
        """Move the clock by 5 s steps, letting the runners tick a few times at each."""
        end = self.clock.now + total
        while self.clock.now < end:
            self.clock.advance(seconds=STEP.total_seconds())
            await self.settle()
            if on_step is not None:
                on_step()

    async def settle(self) -> None:
        """Wait until every live runner has ticked twice at the new time and its steps ended."""
        live = [self.runners[h] for h in self.tasks if self.runners[h].may_tick.is_set()]
        start = {id(r): r.ticks for r in live}
        for _ in range(2000):
            if all(r.ticks >= start[id(r)] + 2 and not r.steps for r in live):
                return
            await asyncio.sleep(0.005)
        raise AssertionError("the runners did not tick")

    def holders(self) -> dict[str, str]:
        with self.service.db.read() as conn:
            now = self.clock()
            return {
                r.bot_id: r.holder
                for r in conn.execute(select(leases))
                if r.expires_at > now and r.holder
            }

    async def close(self) -> None:
        for holder in list(self.tasks):
            await self.kill(holder)
        for db in self.dbs:
            db.dispose()

    def bot(
        self,
        user: str,
        state: State = State.RUNNING,
        strategy: str = "sma_crossover",
        interval: int = 60,
    ):
        bot, _ = self.service.create(user, spec(strategy, interval))
        if state in (State.RUNNING, State.PAUSED):
            self.service.transition(user, bot.id, Action.START)
        if state == State.PAUSED:
            self.service.transition(user, bot.id, Action.PAUSE)
        return bot.id


@pytest.fixture
async def h(fresh_db):
    fresh_db.migrate(MIGRATIONS)
    harness = Harness(fresh_db, Clock(datetime(2026, 3, 10, 12, 0, 30, tzinfo=UTC)))
    yield harness
    await harness.close()


def check_orders(x: Exchange, bot_id: str) -> list[str]:
    """The executed orders of a bot: keys unique and in time order, buy and sell alternating
    (one entry per position, exits reduce-only of what is held)."""
    done = x.executed(bot_id)
    keys = [s.key for s in done]
    assert len(keys) == len(set(keys))
    steps = [int(k.split(":")[1]) for k in keys]
    assert steps == sorted(steps)
    for i, s in enumerate(done):
        assert s.side == ("buy" if i % 2 == 0 else "sell")
        assert s.reduce_only == (s.side == "sell")
        assert s.amount == 1
    return keys


async def test_two_runners_share_the_bots_and_one_takes_over_when_the_other_dies(h):
    quiet = [
        h.bot(ALICE, State.PAUSED),
        h.bot(ALICE, State.STOPPED),
        h.bot(BOB, State.RUNNING, strategy="manual"),
    ]
    running = [h.bot(ALICE), h.bot(BOB)]
    a = h.start("A")
    await h.settle()  # A takes the first two bots
    a.may_tick.clear()
    running += [h.bot(ALICE), h.bot(BOB)]
    h.start("B")
    await h.settle()  # B takes the other two, A's being held
    assert sorted(h.holders().values()) == ["A", "A", "B", "B"]
    a.may_tick.set()
    await h.advance(timedelta(minutes=2))

    x = h.exchange
    assert x.violations == []
    first = h.holders()
    assert set(first) == set(running)  # every runnable bot is held, the others never
    for bot_id in running:
        stepped_by = {holder for holder, b, _ in x.stepped if b == bot_id}
        assert stepped_by == {first[bot_id]}  # one runner only, while both are alive
        assert len(check_orders(x, bot_id)) >= 2
    assert not any(b in quiet for _, b, _ in x.stepped)

    # A dies; its bots' leases run out and B takes them over within the lease time
    a_bots = [b for b, holder in first.items() if holder == "A"]
    assert a_bots, "both runners should hold some bots"
    killed_at = h.clock.now
    await h.kill("A")
    taken: dict[str, datetime] = {}

    def note() -> None:
        for b, holder in h.holders().items():
            if holder == "B" and b in a_bots and b not in taken:
                taken[b] = h.clock.now

    await h.advance(timedelta(seconds=25), on_step=note)
    assert set(taken) == set(a_bots)
    assert max(taken.values()) <= killed_at + timedelta(seconds=CONFIG.lease_seconds) + STEP

    before = {b: len(x.executed(b)) for b in running}
    await h.advance(timedelta(seconds=90))
    assert x.violations == []
    for bot_id in running:
        check_orders(x, bot_id)  # no decision executed twice across the takeover
        assert len(x.executed(bot_id)) >= before[bot_id] + 1
        assert h.holders()[bot_id] == "B"
    # a decision is sent again only in the crash window, and then with the same key
    assert len({s.key for s in x.sent}) == len(x.orders)


async def test_a_graceful_stop_hands_over_at_once(h):
    bot_id = h.bot(ALICE)
    runner = h.start("A")
    await h.advance(STEP)
    assert h.holders() == {bot_id: "A"}
    await h.kill("A")
    await runner.release_all()
    h.start("B")
    await h.advance(STEP)
    assert h.holders() == {bot_id: "B"}


async def test_a_bot_paused_mid_step_places_nothing(h):
    bot_id = h.bot(ALICE)
    h.clock.now = datetime(2026, 3, 10, 12, 1, 30, tzinfo=UTC)  # minute 12:00 closed: a buy

    async def pause_now(bot):
        h.service.transition(ALICE, bot.id, Action.PAUSE, "user paused")

    h.exchange.on_candles = pause_now
    h.start("A")
    await h.advance(STEP)
    assert [b for _, b, _ in h.exchange.stepped] == [bot_id]  # it did step ...
    assert h.exchange.sent == []  # ... and the re-check before submitting stopped it
    h.exchange.on_candles = None
    await h.advance(timedelta(minutes=1))
    assert h.exchange.sent == []  # a paused bot is not run at all
    assert h.holders() == {}  # and its lease was given back


async def test_stopped_and_tripped_bots_stop_placing(h):
    a, b = h.bot(ALICE), h.bot(BOB)
    h.start("A")
    await h.advance(timedelta(seconds=90))
    assert h.exchange.executed(a) and h.exchange.executed(b)
    h.service.transition(ALICE, a, Action.STOP)
    h.service.transition_all(BOB, Action.TRIP, "breaker")
    sent = len(h.exchange.sent)
    await h.advance(timedelta(seconds=90))
    assert len(h.exchange.sent) == sent


async def test_a_refusal_that_retrying_cannot_fix_puts_the_bot_in_error(h):
    bot_id = h.bot(ALICE)
    h.exchange.fail_with = invalid("symbol", "BTC/USDT is not traded on binance")
    h.start("A")
    await h.advance(STEP)
    bot = h.service.get(ALICE, bot_id)
    assert bot.state == State.ERROR
    assert "not traded" in bot.state_reason


async def test_a_short_interval_looks_at_each_candle_once(h):
    bot_id = h.bot(ALICE, interval=5)  # every 5 s, on 1m candles
    h.start("A")
    await h.advance(timedelta(minutes=3))
    # from 12:00:30 to 12:03:30: 36 due times, but the candles of 11:59 (the last closed at
    # the start), 12:00, 12:01 and 12:02: the market is asked once per candle, and each of
    # them (buy on odd minutes, sell on even ones) is one order
    assert h.exchange.candle_calls == 4
    assert [s.side for s in h.exchange.executed(bot_id)] == ["buy", "sell", "buy", "sell"]
