"""The auth service's tables and their migrations.

TOTP secrets and exchange keys are stored sealed (services.auth.crypto), recovery codes and
passwords only as hashes. A user's 2FA state (last accepted step, failure count, lock) sits
on the user's row, which every 2FA check locks, so parallel checks and several replicas
share one count.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    false,
)

from services.common.db import UtcDateTime

metadata = MetaData()

users = Table(
    "users",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("email", String(254), nullable=False, unique=True),
    Column("password_hash", String(255), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("totp_enabled", Boolean, nullable=False, server_default=false()),
    Column("totp_secret", Text),  # sealed; set while 2FA is on
    Column("totp_pending", Text),  # sealed; an enrollment not yet confirmed
    Column("totp_last_step", BigInteger, nullable=False, server_default="-1"),
    Column("totp_failures", Integer, nullable=False, server_default="0"),
    Column("totp_first_failure_at", UtcDateTime),
    Column("totp_locked_until", UtcDateTime),
)

recovery_codes = Table(
    "recovery_codes",
    metadata,
    Column("user_id", String(64), ForeignKey("users.id"), primary_key=True),
    Column("code_hash", String(64), primary_key=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("used_at", UtcDateTime),
)

exchange_keys = Table(
    "exchange_keys",
    metadata,
    Column("user_id", String(64), ForeignKey("users.id"), primary_key=True),
    Column("exchange", String(64), primary_key=True),
    Column("api_key", Text, nullable=False),  # sealed
    Column("api_secret", Text, nullable=False),  # sealed
    Column("passphrase", Text),  # sealed, when the exchange uses one
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)


def _v1(conn: Connection) -> None:
    metadata.create_all(conn)


MIGRATIONS = [_v1]
