"""Queries of the circuit breaker's tables: breakers, their events, execution errors."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import Connection, Row, bindparam, func, select

from services.orders import store
from services.orders.domain.breaker import BreakerView, Trigger
from services.orders.schema import breaker_events, breakers, exec_errors
from services.orders.store import for_update, insert

ACCOUNT = ""


def views(conn: Connection, user_id: str, bot_ids: list[str]) -> list[BreakerView]:
    """The account's breaker and each named bot's (not tripped when never stored)."""
    scopes = [ACCOUNT, *[b for b in bot_ids if b]]
    rows = {
        r.bot_id: r
        for r in conn.execute(
            select(breakers).where(breakers.c.user_id == user_id, breakers.c.bot_id.in_(scopes))
        )
    }
    return views_of(rows, bot_ids)


def views_of(rows: dict[str, Row], bot_ids: list[str]) -> list[BreakerView]:
    """views() from the user's breakers read already (rows_of)."""
    scopes = [ACCOUNT, *[b for b in bot_ids if b]]
    out = []
    for scope in scopes:
        r = rows.get(scope)
        kind = "account" if scope == ACCOUNT else "bot"
        if r is None or not r.tripped:
            out.append(BreakerView(kind, scope, False))
        else:
            out.append(BreakerView(kind, scope, True, Trigger(r.trigger), r.reason))
    return out


_ROWS_OF = select(breakers).where(breakers.c.user_id == bindparam("user_id"))


def rows_of(conn: Connection, user_id: str) -> dict[str, Row]:
    return {r.bot_id: r for r in conn.execute(_ROWS_OF, {"user_id": user_id})}


def _ensure(conn: Connection, user_id: str, bot_id: str) -> Row:
    conn.execute(
        insert(conn, breakers)
        .values(user_id=user_id, bot_id=bot_id, tripped=False, trigger="", reason="", metrics="{}")
        .on_conflict_do_nothing(index_elements=["user_id", "bot_id"])
    )
    q = select(breakers).where(breakers.c.user_id == user_id, breakers.c.bot_id == bot_id)
    return conn.execute(for_update(conn, q)).one()


def trip(
    conn: Connection,
    user_id: str,
    bot_id: str,
    trigger: Trigger,
    reason: str,
    metrics: dict,
    now: datetime,
) -> bool:
    """Trip a breaker and record the event; False when it was already tripped."""
    row = _ensure(conn, user_id, bot_id)
    if row.tripped:
        return False
    text = json.dumps(metrics, sort_keys=True)
    conn.execute(
        breakers.update()
        .where(breakers.c.user_id == user_id, breakers.c.bot_id == bot_id)
        .values(tripped=True, trigger=str(trigger), reason=reason, metrics=text, tripped_at=now)
    )
    conn.execute(
        breaker_events.insert().values(
            user_id=user_id,
            bot_id=bot_id,
            kind="TRIP",
            trigger=str(trigger),
            reason=reason,
            metrics=text,
            at=now,
        )
    )
    return True


def reset(conn: Connection, user_id: str, bot_id: str, reason: str, now: datetime) -> None:
    """Reset one breaker; the account's reset resets every bot's breaker of the user too."""
    _ensure(conn, user_id, bot_id)
    q = breakers.update().where(breakers.c.user_id == user_id)
    if bot_id != ACCOUNT:
        q = q.where(breakers.c.bot_id == bot_id)
    conn.execute(q.values(tripped=False, trigger="", reason="", reset_at=now))
    conn.execute(
        breaker_events.insert().values(
            user_id=user_id, bot_id=bot_id, kind="RESET", trigger="", reason=reason, at=now
        )
    )


def history(conn: Connection, user_id: str, before_id: int | None, limit: int) -> list[Row]:
    q = select(breaker_events).where(breaker_events.c.user_id == user_id)
    if before_id is not None:
        q = q.where(breaker_events.c.id < before_id)
    return list(conn.execute(q.order_by(breaker_events.c.id.desc()).limit(limit)))


def add_error(
    conn: Connection, user_id: str, bot_id: str, order_id: str, message: str, now: datetime
) -> None:
    conn.execute(
        exec_errors.insert().values(
            user_id=user_id, bot_id=bot_id, order_id=order_id, message=message[:2000], at=now
        )
    )


def snapshot_steps(user_id: str, quote: str, now: datetime) -> list:
    """What gate D reads here for an order, as statements to send together: the user's
    breakers (rows_of), the markets the user has fills in for the quote currency
    (store.traded_markets) and the execution errors of the last hour (error_counts)."""
    return [
        (_ROWS_OF, {"user_id": user_id}),
        (store.MARKETS, {"user_id": user_id, "quote": quote, "limit": store.MARKETS_MARKED}),
        (_RECENT_ERRORS, {"user_id": user_id, "since": now - timedelta(hours=1)}),
    ]


def error_counts(
    rows: dict[str, Row], recent: Sequence[Row], bot_id: str, now: datetime
) -> tuple[int, int]:
    """errors_since_reset of the account and of one bot, from the errors of the last hour."""
    since_account = _since(rows, {ACCOUNT}, now)
    since_bot = _since(rows, {ACCOUNT, bot_id}, now)
    account = sum(1 for e in recent if e.at > since_account)
    return account, sum(1 for e in recent if e.bot_id == bot_id and e.at > since_bot)


def _at(name: str):
    return bindparam(name, type_=exec_errors.c.at.type)


_RECENT_ERRORS = select(exec_errors.c.bot_id, exec_errors.c.at).where(
    exec_errors.c.user_id == bindparam("user_id"), exec_errors.c.at > _at("since")
)


def _since(rows: dict[str, Row], scopes: set[str], now: datetime) -> datetime:
    since = now - timedelta(hours=1)
    for scope in scopes:
        r = rows.get(scope)
        if r is not None and r.reset_at is not None and r.reset_at > since:
            since = r.reset_at
    return since


def errors_since_reset(
    conn: Connection, user_id: str, bot_id: str, now: datetime, rows: dict | None = None
) -> int:
    """Execution errors of the last hour after the scope's last reset (account: all bots);
    ``rows`` are the user's breakers when the caller has read them already."""
    rows = rows_of(conn, user_id) if rows is None else rows
    since = _since(rows, {ACCOUNT, bot_id}, now)
    q = (
        select(func.count())
        .select_from(exec_errors)
        .where(exec_errors.c.user_id == user_id, exec_errors.c.at > since)
    )
    if bot_id != ACCOUNT:
        q = q.where(exec_errors.c.bot_id == bot_id)
    return conn.execute(q).scalar_one()
