"""A stateful property test of the service itself (SQLite): random moves, single and bulk, of
several users' bots against a plain model; states, counts and event sequences must agree."""

import asyncio
import tempfile
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from services.bots.domain import Action, BotSpec
from services.bots.runner import Runner, RunnerConfig
from services.bots.schema import MIGRATIONS
from services.bots.service import BotService
from services.common.db import Database
from services.common.errors import AppError
from tests.integration.bots.fake_markets import Exchange, FakeMarkets

USERS = ["u1", "u2"]
SPEC = BotSpec("m", "binance", "BTC/USDT", "manual", {}, Decimal(100), 60)
SINGLE = {  # action -> the states it moves from, and to
    "start": ({"STOPPED", "ERROR"}, "RUNNING"),
    "pause": ({"RUNNING"}, "PAUSED"),
    "resume": ({"PAUSED"}, "RUNNING"),
    "stop": ({"STOPPED", "RUNNING", "PAUSED", "ERROR"}, "STOPPED"),
    "trip": ({"STOPPED", "RUNNING", "PAUSED", "ERROR", "CIRCUIT_TRIPPED"}, "CIRCUIT_TRIPPED"),
    "clear": ({"CIRCUIT_TRIPPED"}, "PAUSED"),
    "fail": ({"RUNNING"}, "ERROR"),
}
_TMP = Path(tempfile.gettempdir())


class ServiceModel(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.path = _TMP / f"bots-model-{uuid.uuid4().hex}.db"
        self.db = Database(f"sqlite:///{self.path}", "main")
        self.db.migrate(MIGRATIONS)
        self.service = BotService(self.db, clock=lambda: datetime(2026, 1, 1, tzinfo=UTC))
        self.bots: list[tuple[str, str]] = []  # (user, bot id)
        self.state: dict[str, str] = {}
        self.events = dict.fromkeys(USERS, 0)

    def teardown(self) -> None:
        self.db.dispose()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)

    @rule(user=st.sampled_from(USERS))
    def create(self, user):
        bot, _ = self.service.create(user, SPEC)
        self.bots.append((user, bot.id))
        self.state[bot.id] = "STOPPED"
        self.events[user] += 1

    @precondition(lambda self: self.bots)
    @rule(data=st.data(), action=st.sampled_from(list(SINGLE)), as_other=st.booleans())
    def move_one(self, data, action, as_other):
        user, bot_id = data.draw(st.sampled_from(self.bots))
        caller = next(u for u in USERS if u != user) if as_other else user
        sources, target = SINGLE[action]
        if action in ("trip", "clear"):  # the service's idempotent form
            try:
                changed = self.service.transition_all(caller, Action(action), "", bot_id)
            except AppError as exc:
                assert as_other and exc.code.name == "NOT_FOUND"
                return
            assert not as_other
            moves = self.state[bot_id] in sources and self.state[bot_id] != target
            assert changed == int(moves)
        else:
            try:
                bot = self.service.transition(caller, bot_id, Action(action))
            except AppError as exc:
                if as_other:
                    assert exc.code.name == "NOT_FOUND"
                else:
                    assert self.state[bot_id] not in sources
                    assert exc.reason == "INVALID_TRANSITION"
                    assert self.state[bot_id] in exc.message
                return
            assert not as_other and self.state[bot_id] in sources
            assert bot.state.value == target
            moves = self.state[bot_id] != target
        if moves:
            self.state[bot_id] = target
            self.events[user] += 1

    @rule(user=st.sampled_from(USERS), action=st.sampled_from(["pause", "resume", "trip", "clear"]))
    def move_all(self, user, action):
        sources, target = SINGLE[action]
        mine = [b for u, b in self.bots if u == user]
        expected = [b for b in mine if self.state[b] in sources and self.state[b] != target]
        assert self.service.transition_all(user, Action(action)) == len(expected)
        for b in expected:
            self.state[b] = target
        self.events[user] += len(expected)

    @invariant()
    def agree(self):
        for user, bot_id in self.bots:
            assert self.service.get(user, bot_id).state.value == self.state[bot_id]
        for user in USERS:
            events = self.service.events_after(user, 0, 10_000)
            assert [e.sequence for e in events] == list(range(1, self.events[user] + 1))
            last = {e.bot_id: e.to_state.value for e in events}
            assert last == {b: self.state[b] for u, b in self.bots if u == user}


TestServiceModel = ServiceModel.TestCase
TestServiceModel.settings = settings(max_examples=25, stateful_step_count=25, deadline=None)


SMA = BotSpec("s", "binance", "BTC/USDT", "sma_crossover",
              {"fast": "1", "slow": "2", "amount": "1"}, Decimal(100), 60)  # fmt: skip


class RunnerModel(ServiceModel):
    """The same lifecycle, with the runner stepping the bots minute by minute in between: no
    order is ever submitted for a bot that is not RUNNING at that moment, and every running
    strategy bot is stepped. The candles zigzag so the strategy decides on every minute."""

    def __init__(self) -> None:
        super().__init__()
        self.now = datetime(2026, 1, 1, tzinfo=UTC)
        self.service = BotService(self.db, clock=lambda: self.now)
        self.exchange = Exchange(clock=lambda: self.now)
        self.violations: list[str] = []
        self.submitted = 0

    @rule(user=st.sampled_from(USERS))
    def create_strategy_bot(self, user):
        bot, _ = self.service.create(user, SMA)
        self.bots.append((user, bot.id))
        self.state[bot.id] = "STOPPED"
        self.events[user] += 1

    @precondition(lambda self: any(s in ("STOPPED", "ERROR") for s in self.state.values()))
    @rule(data=st.data())
    def start_one(self, data):
        """Starting is one move in fourteen above; this makes running bots common."""
        startable = [(u, b) for u, b in self.bots if self.state[b] in ("STOPPED", "ERROR")]
        user, bot_id = data.draw(st.sampled_from(startable))
        assert self.service.transition(user, bot_id, Action("start")).state.value == "RUNNING"
        self.state[bot_id] = "RUNNING"
        self.events[user] += 1

    @rule(minutes=st.integers(1, 3))
    def minutes_pass(self, minutes):
        model = self

        class Checked(FakeMarkets):
            async def submit(self, bot, intent):
                state = model.service.get(bot.user_id, bot.id).state.value
                if state != "RUNNING":
                    model.violations.append(f"{intent.idempotency_key} sent while {state}")
                model.submitted += 1
                return await super().submit(bot, intent)

        for _ in range(minutes):  # the runner acts from the second minute a bot runs
            self.now += timedelta(minutes=1)
            runner = Runner(
                self.service,
                Checked(self.exchange, "r1"),
                holder="r1",
                clock=lambda: self.now,
                config=RunnerConfig(lease_seconds=600, renew_seconds=200, tick_seconds=0.01),
            )
            asyncio.run(runner.run_once())

    @invariant()
    def nothing_sent_unless_running(self):
        assert not self.violations, self.violations


TestRunnerModel = RunnerModel.TestCase
TestRunnerModel.settings = settings(max_examples=20, stateful_step_count=25, deadline=None)
