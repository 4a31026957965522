"""The one 2FA check every TOTP-gated operation goes through.

In one write transaction: lock the user's row, refuse while locked, check the TOTP code (or a
recovery code), record the accepted step or the failure, and, when the check passes, run the
operation itself. A failure is committed before it is reported, so the count survives the
error; the row lock (PostgreSQL) or BEGIN IMMEDIATE (SQLite) makes parallel attempts, from one
process or several, count one after the other.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

import grpc
from sqlalchemy import Connection, Row

from services.auth import store
from services.auth.crypto import SecretBox
from services.auth.domain import hash_recovery_code, match_step, normalise_code
from services.common.db import Database
from services.common.errors import AppError, failed_precondition, invalid, not_found

T = TypeVar("T")
Clock = Callable[[], datetime]
# run once the check passed (or when 2FA is off): (connection, user row, accepted step or None)
Action = Callable[[Connection, Row, "int | None"], T]

MAX_RECOVERY_CODE = 64


@dataclass(frozen=True)
class Proof:
    """What the user gives for a 2FA check: a TOTP code or a recovery code, normalised."""

    totp_code: str = ""
    recovery_code: str = ""

    @classmethod
    def parse(cls, totp_code: str, recovery_code: str = "") -> Proof:
        code = ""
        if totp_code.strip():
            normal = normalise_code(totp_code)
            if normal is None:
                raise invalid("totp_code", "must be 6 digits")
            code = normal
        recovery = recovery_code.strip()
        if len(recovery) > MAX_RECOVERY_CODE:
            raise invalid("recovery_code", f"is longer than {MAX_RECOVERY_CODE} characters")
        if code and recovery:
            raise invalid("recovery_code", "give either totp_code or recovery_code, not both")
        return cls(code, recovery)

    @property
    def empty(self) -> bool:
        return not self.totp_code and not self.recovery_code


def secret_unreadable() -> AppError:
    return AppError(
        grpc.StatusCode.INTERNAL,
        "SECRET_UNREADABLE",
        "a stored secret does not open with ENCRYPTION_KEY (was the key changed?)",
    )


def locked_error(until: datetime, now: datetime) -> AppError:
    seconds = max(1, int((until - now).total_seconds() + 0.999))
    at = until.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return AppError(
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        "TOTP_LOCKED",
        f"too many failed 2FA attempts: 2FA checks are locked until {at}",
        metadata={"retry_at": at, "retry_after_seconds": str(seconds)},
    )


class TotpGate:
    def __init__(self, db: Database, box: SecretBox, clock: Clock) -> None:
        self.db = db
        self.box = box
        self.clock = clock

    def totp_context(self, user_id: str) -> str:
        return f"totp:{user_id}"

    def run(
        self,
        user_id: str,
        proof: Proof,
        deny: grpc.StatusCode,
        action: Action[T],
        *,
        pending: bool = False,
    ) -> T:
        """Check ``proof`` when the user has 2FA on (or, with ``pending``, against the secret
        being enrolled), then run ``action`` in the same transaction. With 2FA off the action
        runs unchecked (it decides whether that is allowed)."""
        now = self.clock()
        with self.db.write() as conn:
            row = store.lock_user(conn, user_id)
            if row is None:
                raise not_found("user")
            if pending:
                sealed, last_step, allow_recovery = self._pending(row), -1, False
            elif row.totp_enabled:
                sealed, last_step, allow_recovery = row.totp_secret, row.totp_last_step, True
            else:
                return action(conn, row, None)
            state = store.totp_state(row)
            until = state.locked_at(now)
            if until is not None:
                raise locked_error(until, now)
            if proof.empty or (proof.recovery_code and not allow_recovery):
                raise AppError(deny, "TOTP_REQUIRED", "a TOTP code is required: 2FA is on")
            if proof.totp_code:
                secret = self._open(sealed, user_id)
                step = match_step(secret, proof.totp_code, now, last_step)
                ok = step is not None
            else:
                step = None
                code_hash = hash_recovery_code(user_id, proof.recovery_code)
                ok = store.use_recovery_code(conn, user_id, code_hash, now)
            if ok:
                store.save_totp_state(conn, user_id, state.after_success(step))
                return action(conn, row, step)
            failed = state.after_failure(now)
            store.save_totp_state(conn, user_id, failed)
        # committed: the failure counts even though the call fails
        if failed.locked_until is not None:
            raise locked_error(failed.locked_until, now)
        what = "TOTP code" if proof.totp_code else "recovery code"
        reason = "TOTP_INVALID" if proof.totp_code else "RECOVERY_CODE_INVALID"
        raise AppError(
            deny,
            reason,
            f"the {what} is wrong or was already used",
            metadata={"attempts_left": str(failed.attempts_left)},
        )

    @staticmethod
    def _pending(row: Row) -> str:
        if row.totp_enabled:
            raise failed_precondition("TOTP_ALREADY_ENABLED", "2FA is already on")
        if row.totp_pending is None:
            raise failed_precondition("TOTP_NOT_ENROLLED", "start with /api/auth/2fa/enroll")
        return row.totp_pending

    def _open(self, sealed: str, user_id: str) -> str:
        try:
            return self.box.open(sealed, self.totp_context(user_id))
        except ValueError:
            raise secret_unreadable() from None
