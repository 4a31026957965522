"""Exchange API keys: stored sealed, listed masked, read back in clear only for orders."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

import grpc
from sqlalchemy import Connection, Row

from services.auth import store
from services.auth.crypto import SecretBox
from services.auth.gate import Clock, Proof, TotpGate, secret_unreadable
from services.common.db import Database
from services.common.errors import invalid, not_found

EXCHANGE_RE = re.compile(r"^[a-z][a-z0-9_]{1,63}$")
MAX_KEY = 512
MAX_PASSPHRASE = 256


@dataclass(frozen=True)
class NewKeys:
    exchange: str
    api_key: str
    api_secret: str
    passphrase: str | None


@dataclass(frozen=True)
class KeyView:
    exchange: str
    api_key_masked: str
    has_passphrase: bool
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class ClearKeys:
    exchange: str
    api_key: str
    api_secret: str
    passphrase: str


def exchange_id(value: str, field: str = "exchange") -> str:
    ex = value.strip().lower()
    if not ex:
        raise invalid(field, "is required")
    if not EXCHANGE_RE.match(ex):
        raise invalid(field, f"{value!r} is not a ccxt exchange id, e.g. binance")
    return ex


def _key(value: str, field: str) -> str:
    k = value.strip()
    if not k:
        raise invalid(field, "is required")
    if len(k) > MAX_KEY:
        raise invalid(field, f"is longer than {MAX_KEY} characters")
    if not k.isascii() or not k.isprintable() or " " in k:
        raise invalid(field, "must be printable ASCII without spaces")
    return k


def new_keys(exchange: str, api_key: str, api_secret: str, passphrase: str) -> NewKeys:
    if len(passphrase) > MAX_PASSPHRASE:
        raise invalid("passphrase", f"is longer than {MAX_PASSPHRASE} characters")
    if passphrase and not passphrase.isprintable():
        raise invalid("passphrase", "contains control characters")
    return NewKeys(
        exchange_id(exchange),
        _key(api_key, "api_key"),
        _key(api_secret, "api_secret"),
        passphrase or None,
    )


def mask(api_key: str) -> str:
    return "****" + api_key[-4:] if len(api_key) >= 12 else "****"


class ExchangeKeys:
    def __init__(self, db: Database, box: SecretBox, gate: TotpGate, clock: Clock) -> None:
        self.db = db
        self.box = box
        self.gate = gate
        self.clock = clock

    @staticmethod
    def _context(user_id: str, exchange: str, part: str) -> str:
        return f"exchange-key:{user_id}:{exchange}:{part}"

    def _seal(self, user_id: str, exchange: str, part: str, value: str) -> str:
        return self.box.seal(value, self._context(user_id, exchange, part))

    def _open(self, row: Row, part: str) -> str:
        sealed = getattr(row, part)
        if sealed is None:
            return ""
        try:
            return self.box.open(sealed, self._context(row.user_id, row.exchange, part))
        except ValueError:
            raise secret_unreadable() from None

    def _view(self, row: Row) -> KeyView:
        api_key = self._open(row, "api_key")
        return KeyView(
            row.exchange, mask(api_key), row.passphrase is not None, row.created_at, row.updated_at
        )

    def store(self, user_id: str, keys: NewKeys, proof: Proof) -> tuple[KeyView, bool]:
        """Store (or replace) one exchange's keys; needs a TOTP code when 2FA is on."""
        ex = keys.exchange
        sealed = {
            "api_key": self._seal(user_id, ex, "api_key", keys.api_key),
            "api_secret": self._seal(user_id, ex, "api_secret", keys.api_secret),
            "passphrase": (
                self._seal(user_id, ex, "passphrase", keys.passphrase)
                if keys.passphrase is not None
                else None
            ),
        }

        def save(conn: Connection, _user: Row, _step: int | None) -> tuple[KeyView, bool]:
            replaced = store.upsert_keys(conn, user_id, ex, now=self.clock(), **sealed)
            return self._view(store.get_keys(conn, user_id, ex)), replaced

        return self.gate.run(user_id, proof, grpc.StatusCode.PERMISSION_DENIED, save)

    def list(self, user_id: str) -> list[KeyView]:
        with self.db.read() as conn:
            rows = store.list_keys(conn, user_id)
        return [self._view(r) for r in rows]

    def delete(self, user_id: str, exchange: str) -> None:
        with self.db.write() as conn:
            if not store.delete_keys(conn, user_id, exchange):
                raise not_found(f"keys for {exchange}", "EXCHANGE_KEYS_NOT_FOUND")

    def clear(self, user_id: str, exchange: str) -> ClearKeys:
        with self.db.read() as conn:
            row = store.get_keys(conn, user_id, exchange)
        if row is None:
            raise not_found(f"keys for {exchange}", "EXCHANGE_KEYS_NOT_FOUND")
        return ClearKeys(
            exchange,
            self._open(row, "api_key"),
            self._open(row, "api_secret"),
            self._open(row, "passphrase"),
        )
