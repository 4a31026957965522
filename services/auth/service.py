"""The auth use cases for accounts and 2FA, one method per operation. No gRPC types here
except the status code a refused 2FA check answers with; refusals are AppError."""

from __future__ import annotations

import io
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import grpc
import pyotp
import segno
from sqlalchemy import Connection, Row

from services.auth import store
from services.auth.crypto import SecretBox
from services.auth.domain import hash_recovery_code, new_recovery_codes, new_secret
from services.auth.domain.totp import DIGITS, STEP_SECONDS
from services.auth.gate import Clock, Proof, TotpGate
from services.auth.passwords import MAX_LENGTH, MIN_LENGTH, Passwords
from services.common.auth import issue_user_token
from services.common.db import Database
from services.common.errors import (
    AppError,
    already_exists,
    failed_precondition,
    invalid,
    not_found,
)

ISSUER = "Amarktai"
EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
MAX_EMAIL = 254


@dataclass(frozen=True)
class UserView:
    id: str
    email: str
    totp_enabled: bool


@dataclass(frozen=True)
class Session:
    access_token: str
    expires_at: datetime
    user: UserView


@dataclass(frozen=True)
class Enrollment:
    secret: str
    otpauth_uri: str
    qr_svg: str


@dataclass(frozen=True)
class TotpStatus:
    enabled: bool
    recovery_codes_remaining: int
    locked_until: datetime | None


def normalise_email(value: str, *, strict: bool) -> str:
    email = value.strip().lower()
    if not email:
        raise invalid("email", "is required")
    if strict and (len(email) > MAX_EMAIL or not email.isprintable() or not EMAIL_RE.match(email)):
        raise invalid("email", "is not an email address")
    return email


def check_password(password: str) -> str:
    if len(password) < MIN_LENGTH:
        raise invalid("password", f"must be at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise invalid("password", f"must be at most {MAX_LENGTH} characters")
    return password


def invalid_credentials() -> AppError:
    return AppError(
        grpc.StatusCode.UNAUTHENTICATED, "INVALID_CREDENTIALS", "email or password is wrong"
    )


def qr_svg(uri: str) -> str:
    out = io.BytesIO()
    segno.make(uri, error="m").save(out, kind="svg", scale=4, xmldecl=False)
    return out.getvalue().decode()


class AuthService:
    def __init__(
        self,
        db: Database,
        jwt_secret: str,
        box: SecretBox,
        *,
        clock: Clock = lambda: datetime.now(UTC),
        token_ttl: timedelta = timedelta(hours=1),
        passwords: Passwords | None = None,
    ) -> None:
        self.db = db
        self.jwt_secret = jwt_secret
        self.box = box
        self.clock = clock
        self.token_ttl = token_ttl
        self.passwords = passwords or Passwords()
        self.gate = TotpGate(db, box, clock)

    # --- accounts ------------------------------------------------------------------------------

    def _session(self, user_id: str, email: str, totp_enabled: bool) -> Session:
        now = self.clock().replace(microsecond=0)  # the token's exp is in whole seconds
        token, exp = issue_user_token(self.jwt_secret, user_id, self.token_ttl, now=now)
        return Session(token, exp, UserView(user_id, email, totp_enabled))

    def register(self, email: str, password: str) -> Session:
        email = normalise_email(email, strict=True)
        password_hash = self.passwords.hash(check_password(password))
        user_id = str(uuid.uuid4())
        with self.db.write() as conn:
            if not store.insert_user(conn, user_id, email, password_hash, self.clock()):
                raise already_exists("EMAIL_TAKEN", "an account with this email already exists")
        return self._session(user_id, email, False)

    def login(self, email: str, password: str, proof: Proof) -> Session:
        if not email.strip():
            raise invalid("email", "is required")
        if not password:
            raise invalid("password", "is required")
        email = normalise_email(email, strict=False)
        with self.db.read() as conn:
            row = store.user_by_email(conn, email) if len(email) <= MAX_EMAIL else None
        # an unknown email verifies a dummy hash: both refusals take as long and read the same
        ok = self.passwords.verify(row.password_hash if row else None, password[:MAX_LENGTH])
        if row is None or not ok or len(password) > MAX_LENGTH:
            raise invalid_credentials()

        def signed_in(conn: Connection, user: Row, _step: int | None) -> Row:
            if self.passwords.needs_rehash(user.password_hash):
                store.set_password_hash(conn, user.id, self.passwords.hash(password))
            return user

        user = self.gate.run(row.id, proof, grpc.StatusCode.UNAUTHENTICATED, signed_in)
        return self._session(user.id, user.email, user.totp_enabled)

    # --- 2FA -----------------------------------------------------------------------------------

    def enroll(self, user_id: str) -> Enrollment:
        secret = new_secret()
        with self.db.write() as conn:
            row = store.lock_user(conn, user_id)
            if row is None:
                raise not_found("user")
            if row.totp_enabled:
                raise failed_precondition(
                    "TOTP_ALREADY_ENABLED", "2FA is already on: disable it first"
                )
            sealed = self.box.seal(secret, self.gate.totp_context(user_id))
            store.set_totp(conn, user_id, enabled=False, secret=None, pending=sealed)
            email = row.email
        totp = pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS)
        uri = totp.provisioning_uri(name=email, issuer_name=ISSUER)
        return Enrollment(secret, uri, qr_svg(uri))

    def confirm(self, user_id: str, proof: Proof) -> list[str]:
        if not proof.totp_code:
            raise invalid("totp_code", "is required")
        codes = new_recovery_codes()

        def turn_on(conn: Connection, row: Row, _step: int | None) -> list[str]:
            store.set_totp(conn, user_id, enabled=True, secret=row.totp_pending, pending=None)
            hashes = [hash_recovery_code(user_id, c) for c in codes]
            store.replace_recovery_codes(conn, user_id, hashes, self.clock())
            return codes

        return self.gate.run(
            user_id, proof, grpc.StatusCode.PERMISSION_DENIED, turn_on, pending=True
        )

    def disable(self, user_id: str, proof: Proof) -> None:
        def turn_off(conn: Connection, row: Row, _step: int | None) -> None:
            if not row.totp_enabled:
                raise failed_precondition("TOTP_NOT_ENABLED", "2FA is not on")
            store.set_totp(conn, user_id, enabled=False, secret=None, pending=None)
            store.replace_recovery_codes(conn, user_id, [], self.clock())

        self.gate.run(user_id, proof, grpc.StatusCode.PERMISSION_DENIED, turn_off)

    def status(self, user_id: str) -> TotpStatus:
        with self.db.read() as conn:
            row = store.get_user(conn, user_id)
            if row is None:
                raise not_found("user")
            remaining = store.unused_recovery_codes(conn, user_id) if row.totp_enabled else 0
        until = store.totp_state(row).locked_at(self.clock())
        return TotpStatus(row.totp_enabled, remaining, until)

    def verify(self, user_id: str, proof: Proof, require_enabled: bool) -> bool:
        """For other services: check a code for a critical operation; True when 2FA is on
        (and the code was accepted), False when 2FA is off and not required."""

        def checked(_conn: Connection, row: Row, _step: int | None) -> bool:
            if require_enabled and not row.totp_enabled:
                raise failed_precondition("TOTP_NOT_ENABLED", "this operation needs 2FA on")
            return bool(row.totp_enabled)

        return self.gate.run(user_id, proof, grpc.StatusCode.PERMISSION_DENIED, checked)
