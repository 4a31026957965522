"""The bots service's use cases, one method per operation. No gRPC here: AppError for refusals.

Every state change runs in one transaction: the user's event counter row is locked first (so
changes of one user, from any replica, queue in one order and their events commit in sequence
order), then the bot rows (FOR UPDATE on PostgreSQL; SQLite's BEGIN IMMEDIATE serialises all
writers), then the change and its event are written together.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict, replace
from datetime import UTC, datetime

from sqlalchemy import Connection, Row

from services.bots import store
from services.bots.domain import Action, BotSpec, InvalidTransition, State, changes, next_state
from services.bots.model import LIVE, PAPER, Bot, BotEvent, Page
from services.common.db import Database, decimal_text
from services.common.errors import (
    AppError,
    already_exists,
    failed_precondition,
    invalid,
    not_found,
)

Clock = Callable[[], datetime]
MAX_PK = 2**62
DEFAULT_REASONS = {
    Action.START: "started",
    Action.PAUSE: "paused",
    Action.RESUME: "resumed",
    Action.STOP: "stopped",
    Action.TRIP: "circuit breaker tripped",
    Action.CLEAR: "circuit breaker reset",
    Action.FAIL: "the runner could not run the bot",
}


def encode_token(pk: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"k": pk}).encode()).decode()


def decode_token(token: str) -> int:
    try:
        value = json.loads(base64.urlsafe_b64decode(token.encode()))["k"]
        if type(value) is not int or not 0 <= value <= MAX_PK:
            raise ValueError
        return value
    except (ValueError, KeyError, TypeError):
        raise invalid("page_token", "is not a token this service gave") from None


def missing(bot_id: str) -> AppError:
    """A bot that is not there, or not the user's: the same answer either way."""
    return not_found(f"bot {bot_id!r}")


def refused(exc: InvalidTransition):
    return failed_precondition(
        "INVALID_TRANSITION", str(exc), state=exc.state.value, action=exc.action.value
    )


def _request_text(spec: BotSpec) -> str:
    data = asdict(spec) | {"allocated_capital": decimal_text(spec.allocated_capital)}
    return json.dumps(data, sort_keys=True, separators=(",", ":"))


class BotService:
    def __init__(
        self,
        db: Database,
        clock: Clock = lambda: datetime.now(UTC),
        new_id: Callable[[], str] = lambda: str(uuid.uuid4()),
    ) -> None:
        self.db = db
        self.clock = clock
        self.new_id = new_id

    # --- records ---------------------------------------------------------------------------

    def create(self, user_id: str, spec: BotSpec, idempotency_key: str = "") -> tuple[Bot, bool]:
        """A new PAPER, STOPPED bot (and its creation event); with a key, at most once."""
        now = self.clock()
        request = _request_text(spec)
        with self.db.write() as conn:
            seq = store.lock_head(conn, user_id)
            if idempotency_key:
                old = store.find_by_create_key(conn, user_id, idempotency_key)
                if old is not None:
                    if old.create_request != request:
                        raise already_exists(
                            "IDEMPOTENCY_KEY_REUSED",
                            f"idempotency_key {idempotency_key!r} was used for another bot",
                        )
                    return store.row_to_bot(old), True
            bot = Bot(
                id=self.new_id(),
                user_id=user_id,
                name=spec.name,
                exchange=spec.exchange,
                symbol=spec.symbol,
                strategy=spec.strategy,
                params=dict(spec.params),
                allocated_capital=spec.allocated_capital,
                interval_seconds=spec.interval_seconds,
                mode=PAPER,
                state=State.STOPPED,
                state_reason="created",
                created_at=now,
                updated_at=now,
            )
            store.insert_bot(conn, bot, idempotency_key or None, request)
            event = BotEvent(seq + 1, bot.id, None, State.STOPPED, "created", now)
            store.insert_events(conn, user_id, [event])
            store.save_head(conn, user_id, seq + 1)
        return bot, False

    def get(self, user_id: str, bot_id: str) -> Bot:
        with self.db.autocommit_read() as conn:  # one statement (the orders service's, per order)
            row = store.get_bot(conn, user_id, bot_id)
        if row is None:
            raise missing(bot_id)
        return store.row_to_bot(row)

    def get_many(self, asks: Sequence[tuple[str, str]]) -> list[Bot | AppError]:
        """``get`` for each (user_id, bot_id), in order, all read by one statement: the bot, or
        the NOT_FOUND that ``get`` would raise (another user's bot is not found, as there)."""
        if not asks:
            return []
        with self.db.autocommit_read() as conn:
            rows = store.get_bots(conn, {bot_id for _user, bot_id in asks})
        found = {(r.user_id, r.id): store.row_to_bot(r) for r in rows}
        return [found[ask] if ask in found else missing(ask[1]) for ask in asks]

    def list(self, user_id: str, page_size: int, page_token: str) -> Page:
        after = decode_token(page_token) if page_token else 0
        with self.db.read() as conn:
            rows = store.page_bots(conn, user_id, after, page_size + 1)
        more = len(rows) > page_size
        rows = rows[:page_size]
        token = encode_token(rows[-1].pk) if more else ""
        return Page([store.row_to_bot(r) for r in rows], token)

    # --- the lifecycle ---------------------------------------------------------------------

    def _move(
        self, conn: Connection, user_id: str, row: Row, action: Action, reason: str, seq: int
    ) -> tuple[Bot, BotEvent | None]:
        """Apply ``action`` to a locked bot row; the event is numbered ``seq``."""
        bot = store.row_to_bot(row)
        try:
            target = next_state(bot.state, action)
        except InvalidTransition as exc:
            raise refused(exc) from None
        if target == bot.state:
            return bot, None  # a no-op (stop a stopped bot, trip a tripped one): no event
        now = self.clock()
        reason = reason or DEFAULT_REASONS[action]
        store.set_state(conn, row.pk, target, reason, now)
        event = BotEvent(seq, bot.id, bot.state, target, reason, now)
        store.insert_events(conn, user_id, [event])
        return replace(bot, state=target, state_reason=reason, updated_at=now), event

    def transition(self, user_id: str, bot_id: str, action: Action, reason: str = "") -> Bot:
        """One bot's move; FAILED_PRECONDITION (INVALID_TRANSITION) when not allowed."""
        with self.db.write() as conn:
            seq = store.lock_head(conn, user_id)
            row = store.get_bot(conn, user_id, bot_id, lock=True)
            if row is None:
                raise missing(bot_id)
            bot, event = self._move(conn, user_id, row, action, reason, seq + 1)
            if event is not None:
                store.save_head(conn, user_id, event.sequence)
        return bot

    def transition_all(
        self, user_id: str, action: Action, reason: str = "", bot_id: str = ""
    ) -> int:
        """Move every bot of the user (or just ``bot_id``) that can make the move and really
        changes by it; the others are left as they are. Returns how many moved."""
        with self.db.write() as conn:
            seq = store.lock_head(conn, user_id)
            if bot_id:
                row = store.get_bot(conn, user_id, bot_id, lock=True)
                if row is None:
                    raise missing(bot_id)
                rows = [row]
            else:
                rows = store.lock_user_bots(conn, user_id, [s for s in State if changes(s, action)])
            moved = 0
            for row in rows:
                if not changes(State(row.state), action):
                    continue
                _bot, event = self._move(conn, user_id, row, action, reason, seq + moved + 1)
                moved += event is not None
            if moved:
                store.save_head(conn, user_id, seq + moved)
        return moved

    def events_after(self, user_id: str, after: int, limit: int = 500) -> list[BotEvent]:
        with self.db.read() as conn:
            return store.events_after(conn, user_id, after, limit)

    # --- promotion -------------------------------------------------------------------------

    def set_live(self, user_id: str, bot_id: str) -> Bot:
        """Switch a bot to LIVE (the criteria were checked by the caller)."""
        now = self.clock()
        with self.db.write() as conn:
            row = store.get_bot(conn, user_id, bot_id, lock=True)
            if row is None:
                raise missing(bot_id)
            if row.mode != LIVE:
                store.set_mode(conn, row.pk, LIVE, now)
            row = store.get_bot(conn, user_id, bot_id)
        return store.row_to_bot(row)
