"""Reading settings from the environment.

Each service builds one frozen Settings dataclass with ``from_env()`` at start; nothing else
reads ``os.environ``. A bad value raises SettingsError naming the variable, and the service
stops with that message.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

SERVICE_PORTS = {"ledger": 50051, "orders": 50052, "bots": 50053, "auth": 50054}


class SettingsError(ValueError):
    def __init__(self, variable: str, message: str) -> None:
        super().__init__(f"invalid setting {variable}: {message}")
        self.variable = variable


class Env:
    """Typed access to an environment mapping; every parse error names the variable."""

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        self._env = os.environ if env is None else env

    def str(self, name: str, default: str | None = None) -> str | None:
        value = self._env.get(name)
        return default if value is None or value == "" else value

    def required(self, name: str, why: str) -> str:
        value = self.str(name)
        if value is None:
            raise SettingsError(name, f"is not set ({why})")
        return value

    def int(self, name: str, default: int, minimum: int = 0, maximum: int | None = None) -> int:
        raw = self.str(name)
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError:
            raise SettingsError(name, f"{raw!r} is not a whole number") from None
        if value < minimum:
            raise SettingsError(name, f"{value} is below the minimum {minimum}")
        if maximum is not None and value > maximum:
            raise SettingsError(name, f"{value} is above the maximum {maximum}")
        return value

    def decimal(self, name: str, default: str, minimum: str = "0") -> Decimal:
        raw = self.str(name, default)
        try:
            value = Decimal(raw)
        except InvalidOperation:
            raise SettingsError(name, f"{raw!r} is not a decimal number") from None
        if not value.is_finite() or value < Decimal(minimum):
            raise SettingsError(name, f"{raw!r} must be a finite number >= {minimum}")
        return value

    def choice(self, name: str, default: str, choices: tuple[str, ...]) -> str:
        value = (self.str(name, default) or default).lower()
        if value not in choices:
            raise SettingsError(name, f"{value!r} is not one of {', '.join(choices)}")
        return value

    def addr(self, name: str, default: str) -> str:
        value = self.str(name, default) or default
        host, sep, port = value.rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise SettingsError(name, f"{value!r} is not host:port")
        return value


@dataclass(frozen=True)
class CommonSettings:
    """What every gRPC service needs: where it listens, its database, its keys, its logs."""

    service: str
    listen_addr: str
    database_url: str
    db_schema: str
    jwt_secret: str
    log_level: str
    ledger_addr: str
    orders_addr: str
    bots_addr: str
    auth_addr: str

    @classmethod
    def from_env(cls, service: str, env: Mapping[str, str] | None = None) -> CommonSettings:
        e = Env(env)
        addrs = {
            name: e.addr(f"{name.upper()}_ADDR", f"127.0.0.1:{port}")
            for name, port in SERVICE_PORTS.items()
        }
        prefix = service.upper()
        url = e.str(f"{prefix}_DATABASE_URL") or e.str("DATABASE_URL")
        if url is None:
            data_dir = Path(e.str("DATA_DIR", "var") or "var")
            url = f"sqlite:///{data_dir / (service + '.db')}"
        elif not url.startswith(("postgresql", "sqlite")):
            raise SettingsError(
                f"{prefix}_DATABASE_URL", "must be a postgresql:// or sqlite:// URL"
            )
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://") :]
        schema = e.str(f"{prefix}_DB_SCHEMA", service) or service
        if not schema.replace("_", "").isalnum():
            raise SettingsError(f"{prefix}_DB_SCHEMA", "must be letters, digits and _")
        level = (e.str("LOG_LEVEL", "INFO") or "INFO").upper()
        if level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
            raise SettingsError("LOG_LEVEL", f"{level!r} is not DEBUG, INFO, WARNING or ERROR")
        secret = e.required("JWT_SECRET", "the HS256 key shared by the services")
        if len(secret) < 32:
            raise SettingsError("JWT_SECRET", "must be at least 32 characters")
        return cls(
            service=service,
            listen_addr=addrs[service] if service in addrs else "",
            database_url=url,
            db_schema=schema,
            jwt_secret=secret,
            log_level=level,
            ledger_addr=addrs["ledger"],
            orders_addr=addrs["orders"],
            bots_addr=addrs["bots"],
            auth_addr=addrs["auth"],
        )
