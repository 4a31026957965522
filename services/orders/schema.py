"""The orders service's tables and their migrations.

- ``orders``: every order with its gate decisions; ``limit_at`` is set while the order holds
  a slot of the trade limiter (from gate C on, released if gate D refuses).
- ``idempotency_claims``: one row per (user, key) for PENDING_ORDER_TTL_HOURS; its primary key
  is what makes one key execute once across processes.
- ``limiter_locks``: one row per user, locked while gate C counts and takes a slot.
- ``limiter_days``: the slots taken per (user, UTC day) (``bot_id`` "") and per (user, bot,
  UTC day), kept with the slots (taken at gate C, given back with them), so that the daily
  limits are one row each, however many orders the day has.
- ``fills`` and ``outbox``: a fill and its delivery to the ledger commit together.
- ``markets``: the (exchange, symbol) pairs each user has fills in, kept with the fills.
- ``breakers``, ``breaker_events``, ``exec_errors``: the circuit breaker's state and history.

A live order's lease (``lease_owner``, ``lease_until``) says which process works on it with the
exchange, and until when; with no owner, ``lease_until`` is when the reconciler next looks at
it. ``submitted_at`` and ``last_attempt_at`` (wall-clock times) are when the order became
SUBMITTED and when a request to place it was last about to be sent (see leases.py).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    inspect,
    select,
)

from services.common.db import Money, UtcDateTime
from services.orders.domain.limiter import day_start

metadata = MetaData()


def _id() -> Column:
    return Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )


orders = Table(
    "orders",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("user_id", String(64), nullable=False),
    Column("bot_id", String(128), nullable=False),
    Column("idempotency_key", String(128), nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("exchange", String(64), nullable=False),
    Column("symbol", String(64), nullable=False),
    Column("side", String(4), nullable=False),
    Column("type", String(8), nullable=False),
    Column("amount", Money, nullable=False),
    Column("price", Money),
    Column("expected_edge_bps", Money, nullable=False),
    Column("reduce_only", Boolean, nullable=False),
    Column("mode", String(8), nullable=False),
    Column("state", String(20), nullable=False),
    Column("state_reason", Text, nullable=False, default=""),
    Column("gates", Text, nullable=False, default="[]"),
    Column("rejection", Text),  # JSON of the refusing GateDecision
    Column("trace_id", String(32), nullable=False, default=""),
    Column("client_order_id", String(64), unique=True),
    Column("exchange_order_id", String(128)),
    Column("filled_amount", Money, nullable=False),
    Column("average_price", Money),
    Column("expected_price", Money),
    Column("expected_fee_bps", Money),
    Column("done", Boolean, nullable=False),  # the submission has its answer
    Column("limit_at", UtcDateTime),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("lease_owner", String(64)),  # added by _v2
    Column("lease_until", UtcDateTime),
    Column("submitted_at", UtcDateTime),
    Column("last_attempt_at", UtcDateTime),
    Index("orders_user_created", "user_id", "created_at", "id"),
    Index("orders_user_exchange_limit", "user_id", "exchange", "limit_at"),
    # gate C's counts: one range over the user's counted orders, read from the index alone
    Index("orders_user_limit", "user_id", "limit_at", "bot_id", "exchange"),
    Index("orders_state_type", "state", "type"),
    Index("orders_live_due", "mode", "state", "lease_until"),
)

idempotency_claims = Table(
    "idempotency_claims",
    metadata,
    Column("user_id", String(64), primary_key=True),
    Column("idempotency_key", String(128), primary_key=True),
    Column("order_id", String(36), nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
)

limiter_locks = Table(
    "limiter_locks",
    metadata,
    Column("user_id", String(64), primary_key=True),
    Column("taken", BigInteger, nullable=False),
)

limiter_days = Table(
    "limiter_days",
    metadata,
    Column("user_id", String(64), primary_key=True),
    Column("day", UtcDateTime, primary_key=True),  # the UTC day's start
    Column("bot_id", String(128), primary_key=True),  # "" for the user's count
    Column("used", Integer, nullable=False),
)

fills = Table(
    "fills",
    metadata,
    Column("fill_id", String(128), primary_key=True),
    Column("order_id", String(36), nullable=False, index=True),
    Column("user_id", String(64), nullable=False),
    Column("bot_id", String(128), nullable=False),
    Column("exchange", String(64), nullable=False),
    Column("symbol", String(64), nullable=False),
    Column("side", String(4), nullable=False),
    Column("amount", Money, nullable=False),
    Column("price", Money, nullable=False),
    Column("fee", Money, nullable=False),
    Column("fee_currency", String(32), nullable=False),
    Column("expected_price", Money),
    Column("expected_fee_bps", Money),
    Column("trade_id", String(128), nullable=False, default=""),
    Column("source", String(8), nullable=False),
    Column("executed_at", UtcDateTime, nullable=False),
    Index("fills_user_bot_symbol", "user_id", "bot_id", "symbol"),
)

# The markets (exchange, symbol) a user has fills in, per quote currency: written with each
# fill, in its transaction, so the breaker knows what to mark without scanning the fills.
markets = Table(
    "markets",
    metadata,
    Column("user_id", String(64), primary_key=True),
    Column("quote", String(32), primary_key=True),
    Column("exchange", String(64), primary_key=True),
    Column("symbol", String(64), primary_key=True),
)

outbox = Table(
    "outbox",
    metadata,
    _id(),
    Column("kind", String(16), nullable=False),  # fill | trip
    Column("user_id", String(64), nullable=False),
    Column("ref", String(128), nullable=False),  # the fill id, or the breaker scope
    Column("payload", Text, nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", UtcDateTime, nullable=False),
    Column("delivered_at", UtcDateTime),
    Column("last_error", Text, nullable=False, default=""),
    Column("created_at", UtcDateTime, nullable=False),
    Index("outbox_pending", "delivered_at", "next_attempt_at"),
)

breakers = Table(
    "breakers",
    metadata,
    Column("user_id", String(64), primary_key=True),
    Column("bot_id", String(128), primary_key=True),  # "" for the account
    Column("tripped", Boolean, nullable=False),
    Column("trigger", String(24), nullable=False, default=""),
    Column("reason", Text, nullable=False, default=""),
    Column("metrics", Text, nullable=False, default="{}"),
    Column("tripped_at", UtcDateTime),
    Column("reset_at", UtcDateTime),
)

breaker_events = Table(
    "breaker_events",
    metadata,
    _id(),
    Column("user_id", String(64), nullable=False),
    Column("bot_id", String(128), nullable=False),
    Column("kind", String(8), nullable=False),  # TRIP | RESET
    Column("trigger", String(24), nullable=False, default=""),
    Column("reason", Text, nullable=False),
    Column("metrics", Text, nullable=False, default="{}"),
    Column("at", UtcDateTime, nullable=False),
    Index("breaker_events_user", "user_id", "id"),
)

exec_errors = Table(
    "exec_errors",
    metadata,
    _id(),
    Column("user_id", String(64), nullable=False),
    Column("bot_id", String(128), nullable=False),
    Column("order_id", String(36), nullable=False),
    Column("message", Text, nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Index("exec_errors_user_at", "user_id", "at"),
)


def _v1(conn: Connection) -> None:
    metadata.create_all(conn)


_V2_COLUMNS = ("lease_owner", "lease_until", "submitted_at", "last_attempt_at")


def _v2(conn: Connection) -> None:
    """The live orders' lease columns (a database made by _v1 today already has them)."""
    if conn.dialect.name == "sqlite":
        have = {r[1] for r in conn.exec_driver_sql("PRAGMA table_info(orders)")}
    else:
        have = set()
    for name in _V2_COLUMNS:
        if name in have:
            continue
        column = orders.c[name]
        kind = column.type.compile(dialect=conn.dialect)
        guard = "" if conn.dialect.name == "sqlite" else "IF NOT EXISTS "
        conn.exec_driver_sql(f"ALTER TABLE orders ADD COLUMN {guard}{name} {kind}")
    conn.exec_driver_sql(
        "CREATE INDEX IF NOT EXISTS orders_live_due ON orders (mode, state, lease_until)"
    )


def _v3(conn: Connection) -> None:
    """Gate C's covering index (a database made by _v1 today already has it)."""
    conn.exec_driver_sql(
        "CREATE INDEX IF NOT EXISTS orders_user_limit "
        "ON orders (user_id, limit_at, bot_id, exchange)"
    )


def _v4(conn: Connection) -> None:
    """The markets table, filled from the fills already stored (a database made by _v1 today
    already has the table, empty)."""
    markets.create(conn, checkfirst=True)
    if not inspect(conn).has_table("fills"):
        return
    q = select(fills.c.user_id, fills.c.exchange, fills.c.symbol).distinct()
    rows = [
        {"user_id": u, "quote": s.split("/", 1)[1], "exchange": e, "symbol": s}
        for u, e, s in conn.execute(q)
    ]
    if rows:
        conn.execute(markets.delete())
        conn.execute(markets.insert(), rows)


def _v5(conn: Connection) -> None:
    """The limiter's day counts, counted from the slots the stored orders hold (a database made
    by _v1 today already has the table, empty)."""
    limiter_days.create(conn, checkfirst=True)
    if not inspect(conn).has_table("orders"):
        return
    used: Counter[tuple[str, datetime, str]] = Counter()
    q = select(orders.c.user_id, orders.c.bot_id, orders.c.limit_at).where(
        orders.c.limit_at.is_not(None)
    )
    for user_id, bot_id, limit_at in conn.execute(q):
        day = day_start(limit_at)
        used[(user_id, day, "")] += 1
        used[(user_id, day, bot_id)] += 1
    conn.execute(limiter_days.delete())
    if used:
        rows = [{"user_id": u, "day": d, "bot_id": b, "used": n} for (u, d, b), n in used.items()]
        conn.execute(limiter_days.insert(), rows)


def _v6(conn: Connection) -> None:
    """The per-bot index over the slots goes: the day counts are limiter_days' since _v5, and
    each index is written again on every change of an order's state."""
    conn.exec_driver_sql("DROP INDEX IF EXISTS orders_user_bot_limit")


MIGRATIONS = [_v1, _v2, _v3, _v4, _v5, _v6]
