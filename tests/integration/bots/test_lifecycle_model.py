"""A stateful property test of the service itself (SQLite): random moves, single and bulk, of
several users' bots against a plain model; states, counts and event sequences must agree."""

import tempfile
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from services.bots.domain import Action, BotSpec
from services.bots.schema import MIGRATIONS
from services.bots.service import BotService
from services.common.db import Database
from services.common.errors import AppError

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
