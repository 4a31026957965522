"""The gateway's settings, read once at start. It needs no JWT_SECRET: it forwards the token
and the services verify it.

GATEWAY_BATCH_MAX (256; 1 to 1000, 1: off) and GATEWAY_BATCH_LINGER_MS (2; 0 to 1000): the
calls of concurrent requests to a method that has a batch method (SubmitOrder) go together,
as coalesce.Batching says (clients.py)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from services.common.coalesce import DEFAULT as DEFAULT_BATCHING
from services.common.coalesce import Batching
from services.common.settings import SERVICE_PORTS, Env, SettingsError

MAX_BODY_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Settings:
    listen_addr: str = "127.0.0.1:8080"
    # service short name (ledger, orders, ...) -> host:port, from <NAME>_ADDR
    service_addrs: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    cors_origins: tuple[str, ...] = ()
    log_level: str = "INFO"
    call_timeout_seconds: float = 10.0
    health_timeout_seconds: float = 2.0
    heartbeat_seconds: float = 15.0
    max_body_bytes: int = MAX_BODY_BYTES
    # the calls of concurrent requests to a method marked `batch` (SubmitOrder), sent together
    batching: Batching = DEFAULT_BATCHING

    @classmethod
    def from_env(
        cls, env: Mapping[str, str] | None = None, services: Iterable[str] = ()
    ) -> Settings:
        """``services``: the short names the descriptors route to (each needs <NAME>_ADDR
        unless it is one of the four with a default port)."""
        e = Env(env)
        addrs = {}
        for name in sorted({*SERVICE_PORTS, *services}):
            var = f"{name.upper()}_ADDR"
            if name in SERVICE_PORTS:
                addrs[name] = e.addr(var, f"127.0.0.1:{SERVICE_PORTS[name]}")
            else:
                addrs[name] = e.addr(var, e.required(var, f"where the {name} service listens"))
        level = (e.str("LOG_LEVEL", "INFO") or "INFO").upper()
        if level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
            raise SettingsError("LOG_LEVEL", f"{level!r} is not DEBUG, INFO, WARNING or ERROR")
        return cls(
            listen_addr=e.addr("GATEWAY_ADDR", "127.0.0.1:8080"),
            service_addrs=MappingProxyType(addrs),
            cors_origins=parse_origins(e.str("CORS_ORIGINS", "") or ""),
            log_level=level,
            batching=Batching(
                max_batch=e.int("GATEWAY_BATCH_MAX", 256, minimum=1, maximum=1000),
                linger=e.int("GATEWAY_BATCH_LINGER_MS", 2, maximum=1000) / 1000,
            ),
        )

    @property
    def host(self) -> str:
        host = self.listen_addr.rpartition(":")[0]
        return host[1:-1] if host.startswith("[") and host.endswith("]") else host

    @property
    def port(self) -> int:
        return int(self.listen_addr.rpartition(":")[2])


def parse_origins(raw: str) -> tuple[str, ...]:
    origins = tuple(o.strip().rstrip("/") for o in raw.split(",") if o.strip())
    for origin in origins:
        if origin != "*" and not origin.startswith(("http://", "https://")):
            raise SettingsError(
                "CORS_ORIGINS", f"{origin!r} is not an origin like https://app.example.com"
            )
    return origins
