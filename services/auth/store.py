"""Queries of the auth tables. Every function takes the connection of a unit of work."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, Row, func, select
from sqlalchemy.dialects import postgresql, sqlite

from services.auth.domain import TotpState
from services.auth.schema import exchange_keys, recovery_codes, users


def _insert(conn: Connection, table):
    return (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(table)


# --- users -------------------------------------------------------------------------------------


def insert_user(
    conn: Connection, user_id: str, email: str, password_hash: str, now: datetime
) -> bool:
    """Insert a user; False when the email is taken (nothing inserted)."""
    result = conn.execute(
        _insert(conn, users)
        .values(id=user_id, email=email, password_hash=password_hash, created_at=now)
        .on_conflict_do_nothing(index_elements=["email"])
        .returning(users.c.id)
    )
    return result.first() is not None


def user_by_email(conn: Connection, email: str) -> Row | None:
    return conn.execute(select(users).where(users.c.email == email)).one_or_none()


def get_user(conn: Connection, user_id: str) -> Row | None:
    return conn.execute(select(users).where(users.c.id == user_id)).one_or_none()


def lock_user(conn: Connection, user_id: str) -> Row | None:
    """The user's row, locked until the transaction ends (SQLite: BEGIN IMMEDIATE already
    serialises write transactions)."""
    q = select(users).where(users.c.id == user_id)
    if conn.dialect.name == "postgresql":
        q = q.with_for_update()
    return conn.execute(q).one_or_none()


def set_password_hash(conn: Connection, user_id: str, password_hash: str) -> None:
    conn.execute(users.update().where(users.c.id == user_id).values(password_hash=password_hash))


def totp_state(row: Row) -> TotpState:
    return TotpState(
        last_step=row.totp_last_step,
        failures=row.totp_failures,
        first_failure_at=row.totp_first_failure_at,
        locked_until=row.totp_locked_until,
    )


def save_totp_state(conn: Connection, user_id: str, state: TotpState) -> None:
    conn.execute(
        users.update()
        .where(users.c.id == user_id)
        .values(
            totp_last_step=state.last_step,
            totp_failures=state.failures,
            totp_first_failure_at=state.first_failure_at,
            totp_locked_until=state.locked_until,
        )
    )


def set_totp(
    conn: Connection, user_id: str, *, enabled: bool, secret: str | None, pending: str | None
) -> None:
    conn.execute(
        users.update()
        .where(users.c.id == user_id)
        .values(totp_enabled=enabled, totp_secret=secret, totp_pending=pending)
    )


# --- recovery codes ----------------------------------------------------------------------------


def replace_recovery_codes(
    conn: Connection, user_id: str, hashes: list[str], now: datetime
) -> None:
    conn.execute(recovery_codes.delete().where(recovery_codes.c.user_id == user_id))
    if hashes:
        conn.execute(
            recovery_codes.insert(),
            [{"user_id": user_id, "code_hash": h, "created_at": now} for h in hashes],
        )


def use_recovery_code(conn: Connection, user_id: str, code_hash: str, now: datetime) -> bool:
    """Mark an unused code used; False when there is no such unused code."""
    result = conn.execute(
        recovery_codes.update()
        .where(
            recovery_codes.c.user_id == user_id,
            recovery_codes.c.code_hash == code_hash,
            recovery_codes.c.used_at.is_(None),
        )
        .values(used_at=now)
    )
    return result.rowcount == 1


def unused_recovery_codes(conn: Connection, user_id: str) -> int:
    q = select(func.count()).where(
        recovery_codes.c.user_id == user_id, recovery_codes.c.used_at.is_(None)
    )
    return conn.execute(q).scalar_one()


# --- exchange keys -----------------------------------------------------------------------------


def upsert_keys(
    conn: Connection,
    user_id: str,
    exchange: str,
    *,
    api_key: str,
    api_secret: str,
    passphrase: str | None,
    now: datetime,
) -> bool:
    """Store the sealed keys of one exchange; True when they replaced keys stored before."""
    old = conn.execute(
        select(exchange_keys.c.created_at).where(
            exchange_keys.c.user_id == user_id, exchange_keys.c.exchange == exchange
        )
    ).one_or_none()
    values = {"api_key": api_key, "api_secret": api_secret, "passphrase": passphrase}
    stmt = (
        _insert(conn, exchange_keys)
        .values(user_id=user_id, exchange=exchange, created_at=now, updated_at=now, **values)
        .on_conflict_do_update(
            index_elements=["user_id", "exchange"], set_={**values, "updated_at": now}
        )
    )
    conn.execute(stmt)
    return old is not None


def list_keys(conn: Connection, user_id: str) -> list[Row]:
    q = (
        select(exchange_keys)
        .where(exchange_keys.c.user_id == user_id)
        .order_by(exchange_keys.c.exchange)
    )
    return list(conn.execute(q))


def get_keys(conn: Connection, user_id: str, exchange: str) -> Row | None:
    q = select(exchange_keys).where(
        exchange_keys.c.user_id == user_id, exchange_keys.c.exchange == exchange
    )
    return conn.execute(q).one_or_none()


def delete_keys(conn: Connection, user_id: str, exchange: str) -> bool:
    result = conn.execute(
        exchange_keys.delete().where(
            exchange_keys.c.user_id == user_id, exchange_keys.c.exchange == exchange
        )
    )
    return result.rowcount == 1
