"""Queries of the bots tables. Every function takes the connection of a unit of work."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from sqlalchemy import Connection, Row, and_, bindparam, or_, select
from sqlalchemy.dialects import postgresql, sqlite

from services.bots.domain import MANUAL, State
from services.bots.model import Bot, BotEvent
from services.bots.schema import bot_events, bots, event_heads, leases


def _insert(conn: Connection, table):
    return (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(table)


def _for_update(conn: Connection, q):
    return q.with_for_update() if conn.dialect.name == "postgresql" else q


def row_to_bot(row: Row) -> Bot:
    return Bot(
        id=row.id,
        user_id=row.user_id,
        name=row.name,
        exchange=row.exchange,
        symbol=row.symbol,
        strategy=row.strategy,
        params=json.loads(row.params),
        allocated_capital=row.allocated_capital,
        interval_seconds=row.interval_seconds,
        mode=row.mode,
        state=State(row.state),
        state_reason=row.state_reason or "",
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def params_json(params: dict[str, str]) -> str:
    return json.dumps(params, sort_keys=True, separators=(",", ":"))


def insert_bot(conn: Connection, bot: Bot, create_key: str | None, request: str | None) -> None:
    conn.execute(
        bots.insert().values(
            id=bot.id,
            user_id=bot.user_id,
            name=bot.name,
            exchange=bot.exchange,
            symbol=bot.symbol,
            strategy=bot.strategy,
            params=params_json(bot.params),
            allocated_capital=bot.allocated_capital,
            interval_seconds=bot.interval_seconds,
            mode=bot.mode,
            state=bot.state.value,
            state_reason=bot.state_reason,
            created_at=bot.created_at,
            updated_at=bot.updated_at,
            create_key=create_key,
            create_request=request,
        )
    )


def find_by_create_key(conn: Connection, user_id: str, key: str) -> Row | None:
    q = select(bots).where(bots.c.user_id == user_id, bots.c.create_key == key)
    return conn.execute(q).one_or_none()


# Built once with bind parameters: the orders service reads a bot on every order.
_GET_BOT = select(bots).where(bots.c.user_id == bindparam("user_id"), bots.c.id == bindparam("id"))
_GET_BOT_FOR_UPDATE = _GET_BOT.with_for_update()


def get_bot(conn: Connection, user_id: str, bot_id: str, *, lock: bool = False) -> Row | None:
    """The user's bot (another user's is None, as if it did not exist); ``lock``: FOR UPDATE."""
    q = _GET_BOT_FOR_UPDATE if lock and conn.dialect.name == "postgresql" else _GET_BOT
    return conn.execute(q, {"user_id": user_id, "id": bot_id}).one_or_none()


# One statement for the bots of a whole batch (GetBotBatch): an IN list expanded at execution,
# and only the columns a Bot is made of.
_BOT_COLUMNS = [c for c in bots.c if c.name not in ("pk", "create_key", "create_request")]
_GET_BOTS = select(*_BOT_COLUMNS).where(bots.c.id.in_(bindparam("ids", expanding=True)))


def get_bots(conn: Connection, bot_ids: Iterable[str]) -> list[Row]:
    """The bots with these ids, of whichever users (the caller matches each to its user)."""
    return list(conn.execute(_GET_BOTS, {"ids": list(bot_ids)}))


def lock_user_bots(conn: Connection, user_id: str, states: Iterable[State]) -> list[Row]:
    q = (
        select(bots)
        .where(bots.c.user_id == user_id, bots.c.state.in_([s.value for s in states]))
        .order_by(bots.c.pk)
    )
    return list(conn.execute(_for_update(conn, q)))


def page_bots(conn: Connection, user_id: str, after_pk: int, limit: int) -> list[Row]:
    q = (
        select(bots)
        .where(bots.c.user_id == user_id, bots.c.pk > after_pk)
        .order_by(bots.c.pk)
        .limit(limit)
    )
    return list(conn.execute(q))


def set_state(conn: Connection, pk: int, state: State, reason: str, now: datetime) -> None:
    conn.execute(
        bots.update()
        .where(bots.c.pk == pk)
        .values(state=state.value, state_reason=reason, updated_at=now)
    )


def set_mode(conn: Connection, pk: int, mode: str, now: datetime) -> None:
    conn.execute(bots.update().where(bots.c.pk == pk).values(mode=mode, updated_at=now))


# --- events ---------------------------------------------------------------------------------


def lock_head(conn: Connection, user_id: str) -> int:
    """The user's last event sequence, with the counter row locked until the transaction ends."""
    conn.execute(
        _insert(conn, event_heads)
        .values(user_id=user_id, last_sequence=0)
        .on_conflict_do_nothing(index_elements=["user_id"])
    )
    q = select(event_heads.c.last_sequence).where(event_heads.c.user_id == user_id)
    return conn.execute(_for_update(conn, q)).scalar_one()


def save_head(conn: Connection, user_id: str, sequence: int) -> None:
    conn.execute(
        event_heads.update().where(event_heads.c.user_id == user_id).values(last_sequence=sequence)
    )


def insert_events(conn: Connection, user_id: str, events: Sequence[BotEvent]) -> None:
    if not events:
        return
    conn.execute(
        bot_events.insert(),
        [
            {
                "user_id": user_id,
                "sequence": e.sequence,
                "bot_id": e.bot_id,
                "from_state": e.from_state.value if e.from_state else "",
                "to_state": e.to_state.value,
                "reason": e.reason,
                "at": e.at,
            }
            for e in events
        ],
    )


def events_after(conn: Connection, user_id: str, after: int, limit: int) -> list[BotEvent]:
    q = (
        select(bot_events)
        .where(bot_events.c.user_id == user_id, bot_events.c.sequence > after)
        .order_by(bot_events.c.sequence)
        .limit(limit)
    )
    return [
        BotEvent(
            sequence=r.sequence,
            bot_id=r.bot_id,
            from_state=State(r.from_state) if r.from_state else None,
            to_state=State(r.to_state),
            reason=r.reason,
            at=r.at,
        )
        for r in conn.execute(q)
    ]


# --- the runner's leases ----------------------------------------------------------------------

_LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)


def runnable_bots(conn: Connection) -> list[tuple[Bot, str, datetime | None]]:
    """Every RUNNING bot of every user whose strategy places orders by itself, with its
    lease's holder and expiry ("" and None when it has none yet)."""
    q = (
        select(
            bots, leases.c.holder.label("lease_holder"), leases.c.expires_at.label("lease_until")
        )
        .select_from(bots.outerjoin(leases, leases.c.bot_id == bots.c.id))
        .where(bots.c.state == State.RUNNING.value, bots.c.strategy != MANUAL)
        .order_by(bots.c.pk)
    )
    return [(row_to_bot(r), r.lease_holder or "", r.lease_until) for r in conn.execute(q)]


def acquire_lease(
    conn: Connection, bot_id: str, holder: str, now: datetime, until: datetime
) -> bool:
    """Take or renew the bot's lease: only when it has expired or is already ours."""
    conn.execute(
        _insert(conn, leases)
        .values(bot_id=bot_id, holder="", expires_at=_LONG_AGO, last_step=0)
        .on_conflict_do_nothing(index_elements=["bot_id"])
    )
    result = conn.execute(
        leases.update()
        .where(
            leases.c.bot_id == bot_id,
            or_(leases.c.expires_at < now, leases.c.holder == holder),
        )
        .values(holder=holder, expires_at=until)
    )
    return result.rowcount == 1


def release_lease(conn: Connection, bot_id: str, holder: str, now: datetime) -> None:
    conn.execute(
        leases.update()
        .where(leases.c.bot_id == bot_id, leases.c.holder == holder)
        .values(expires_at=now)
    )


def lease_check(conn: Connection, bot_id: str, holder: str, now: datetime) -> Row | None:
    """The bot's state and last submitted step, when ``holder`` holds a live lease on it."""
    q = (
        select(bots.c.state, leases.c.last_step)
        .select_from(bots.join(leases, leases.c.bot_id == bots.c.id))
        .where(
            and_(bots.c.id == bot_id, leases.c.holder == holder, leases.c.expires_at > now),
        )
    )
    return conn.execute(q).one_or_none()


def mark_step(conn: Connection, bot_id: str, holder: str, step: int) -> None:
    conn.execute(
        leases.update()
        .where(leases.c.bot_id == bot_id, leases.c.holder == holder, leases.c.last_step < step)
        .values(last_step=step)
    )
