"""The ledger's tables and their migrations.

``entries`` is append-only: triggers refuse UPDATE, DELETE and TRUNCATE (PostgreSQL) and
UPDATE and DELETE (SQLite, which has no TRUNCATE; its DELETE-all is refused by the trigger).
The other tables hold figures kept incrementally; Verify recomputes them from ``entries``.
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
    text,
)

from services.common.db import Money, UtcDateTime, serial_id

metadata = MetaData()


entries = Table(
    "entries",
    metadata,
    serial_id(),
    Column("user_id", String(64), nullable=False),
    Column("sequence", BigInteger, nullable=False),
    Column("entry_id", String(128), nullable=False),
    Column("kind", String(8), nullable=False),  # fill | event
    Column("bot_id", String(64), nullable=False, default=""),
    Column("at", UtcDateTime, nullable=False),  # executed_at or occurred_at
    Column("recorded_at", UtcDateTime, nullable=False),
    # fills
    Column("exchange", String(64)),
    Column("symbol", String(64)),
    Column("side", String(4)),
    Column("price", Money),
    Column("fee", Money),
    Column("fee_currency", String(32)),
    Column("fee_quote", Money),
    Column("order_id", String(128)),
    Column("source", String(8)),
    # events
    Column("event_type", String(16)),
    Column("description", Text),
    Column("corrects", String(128)),
    # both
    Column("amount", Money, nullable=False),
    Column("currency", String(32), nullable=False),  # the fill's quote, or the event's currency
    # derived when recorded (in sequence order)
    Column("realized_pnl", Money),
    Column("net_pnl", Money),
    Column("fee_value", Money),
    # the chain
    Column("canonical", Text, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    UniqueConstraint("user_id", "sequence", name="entries_user_sequence"),
    UniqueConstraint("user_id", "entry_id", name="entries_user_entry_id"),
    Index("entries_user_kind_bot", "user_id", "kind", "bot_id", "sequence"),
)

heads = Table(
    "heads",
    metadata,
    Column("user_id", String(64), primary_key=True),
    Column("last_sequence", BigInteger, nullable=False),
    Column("last_hash", String(64), nullable=False),
)

positions = Table(
    "positions",
    metadata,
    Column("user_id", String(64), primary_key=True),
    Column("bot_id", String(64), primary_key=True),
    Column("symbol", String(64), primary_key=True),
    Column("currency", String(32), nullable=False),
    Column("lots", Text, nullable=False),
    # derived from lots, so a summary reads no lots: signed open amount, sum of qty * price
    Column("amount", Money, nullable=False),
    Column("cost", Money, nullable=False),
    Column("updated_sequence", BigInteger, nullable=False),
)

figures = Table(
    "figures",
    metadata,
    Column("user_id", String(64), primary_key=True),
    Column("scope", String(64), primary_key=True),  # "" for the account, else a bot id
    Column("currency", String(32), primary_key=True),
    Column("data", Text, nullable=False),
    Column("updated_sequence", BigInteger, nullable=False),
)

buckets = Table(
    "buckets",
    metadata,
    Column("user_id", String(64), primary_key=True),
    Column("scope", String(64), primary_key=True),
    Column("currency", String(32), primary_key=True),
    Column("period", String(8), primary_key=True),
    Column("period_start", UtcDateTime, primary_key=True),
    Column("realized_pnl", Money, nullable=False),
    Column("fees", Money, nullable=False),
    Column("trades", Integer, nullable=False),
    Column("winning_trades", Integer, nullable=False),
)

equity_days = Table(
    "equity_days",
    metadata,
    Column("user_id", String(64), primary_key=True),
    Column("currency", String(32), primary_key=True),
    Column("day", UtcDateTime, primary_key=True),
    Column("at", UtcDateTime, nullable=False),
    Column("equity", Money, nullable=False),
)

risk_baselines = Table(
    "risk_baselines",
    metadata,
    serial_id(),
    Column("user_id", String(64), nullable=False),
    Column("scope", String(64), nullable=False),
    Column("currency", String(32), nullable=False),
    Column("after_sequence", BigInteger, nullable=False),  # taken after this entry
    Column("at", UtcDateTime, nullable=False),
    Column("reason", Text, nullable=False),
    Index("risk_baselines_user", "user_id", "scope", "id"),
)

_PG_APPEND_ONLY = """
CREATE OR REPLACE FUNCTION entries_append_only() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION USING
    MESSAGE = 'ledger entries are append-only: ' || TG_OP || ' refused',
    ERRCODE = 'insufficient_privilege';
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER entries_no_update_delete BEFORE UPDATE OR DELETE ON entries
  FOR EACH ROW EXECUTE FUNCTION entries_append_only();
CREATE TRIGGER entries_no_truncate BEFORE TRUNCATE ON entries
  FOR EACH STATEMENT EXECUTE FUNCTION entries_append_only();
CREATE TRIGGER risk_baselines_no_update_delete BEFORE UPDATE OR DELETE ON risk_baselines
  FOR EACH ROW EXECUTE FUNCTION entries_append_only();
CREATE TRIGGER risk_baselines_no_truncate BEFORE TRUNCATE ON risk_baselines
  FOR EACH STATEMENT EXECUTE FUNCTION entries_append_only();
"""

_SQLITE_APPEND_ONLY = [
    "CREATE TRIGGER entries_no_update BEFORE UPDATE ON entries "
    "BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only: UPDATE refused'); END",
    "CREATE TRIGGER entries_no_delete BEFORE DELETE ON entries "
    "BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only: DELETE refused'); END",
    "CREATE TRIGGER risk_baselines_no_update BEFORE UPDATE ON risk_baselines "
    "BEGIN SELECT RAISE(ABORT, 'risk baselines are append-only: UPDATE refused'); END",
    "CREATE TRIGGER risk_baselines_no_delete BEFORE DELETE ON risk_baselines "
    "BEGIN SELECT RAISE(ABORT, 'risk baselines are append-only: DELETE refused'); END",
]


def _v1(conn: Connection) -> None:
    metadata.create_all(conn)
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(_PG_APPEND_ONLY)
    else:
        for stmt in _SQLITE_APPEND_ONLY:
            conn.execute(text(stmt))


MIGRATIONS = [_v1]
