"""The bots service's tables and their migrations.

- ``bots``: one row per bot; ``pk`` orders the listing, ``id`` is what the API shows.
- ``bot_events``: every state change with a per-user ``sequence`` (unique), written in the same
  transaction as the change; ``event_heads`` holds each user's last sequence and is locked by
  every change, so sequences are gap-free and commit in order (a reader polling by sequence
  misses nothing).
- ``leases``: which runner replica runs a bot until when (``holder``, ``expires_at``), and the
  last decision it submitted (``last_step``).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from services.common.db import Money, UtcDateTime, serial_id

metadata = MetaData()


bots = Table(
    "bots",
    metadata,
    serial_id("pk"),
    Column("id", String(64), nullable=False, unique=True),
    Column("user_id", String(64), nullable=False),
    Column("name", String(400), nullable=False),
    Column("exchange", String(64), nullable=False),
    Column("symbol", String(64), nullable=False),
    Column("strategy", String(32), nullable=False),
    Column("params", Text, nullable=False),  # canonical JSON of the string map
    Column("allocated_capital", Money, nullable=False),
    Column("interval_seconds", Integer, nullable=False),
    Column("mode", String(8), nullable=False),
    Column("state", String(20), nullable=False),
    Column("state_reason", Text, nullable=False, default=""),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    # CreateBot's optional idempotency key and the canonical request it was used with
    Column("create_key", String(128)),
    Column("create_request", Text),
    UniqueConstraint("user_id", "create_key", name="bots_user_create_key"),
    Index("bots_user_pk", "user_id", "pk"),
    Index("bots_state", "state"),
)

bot_events = Table(
    "bot_events",
    metadata,
    serial_id(),
    Column("user_id", String(64), nullable=False),
    Column("sequence", BigInteger, nullable=False),
    Column("bot_id", String(64), nullable=False),
    Column("from_state", String(20), nullable=False),  # "" for a new bot
    Column("to_state", String(20), nullable=False),
    Column("reason", Text, nullable=False),
    Column("at", UtcDateTime, nullable=False),
    UniqueConstraint("user_id", "sequence", name="bot_events_user_sequence"),
)

event_heads = Table(
    "event_heads",
    metadata,
    Column("user_id", String(64), primary_key=True),
    Column("last_sequence", BigInteger, nullable=False),
)

leases = Table(
    "leases",
    metadata,
    Column("bot_id", String(64), primary_key=True),
    Column("holder", String(128), nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("last_step", BigInteger, nullable=False, default=0),
)


def _v1(conn: Connection) -> None:
    metadata.create_all(conn)


MIGRATIONS = [_v1]
