"""The gateway app talking over real gRPC to a ledger servicer started in-process on a free port
(SQLite and PostgreSQL), driven with httpx through the ASGI transport.

Every other service the protos route to is given a closed port, so its routes answer 503.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

import grpc
import httpx
import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from amarktai.ledger.v1 import ledger_pb2, ledger_pb2_grpc
from services.common.auth import issue_user_token
from services.common.db import Database
from services.common.server import build_server, start_server
from services.gateway.app import Gateway, create_app
from services.gateway.routes import RouteTable
from services.gateway.settings import Settings
from services.ledger.grpc_api import LedgerServicer
from services.ledger.schema import MIGRATIONS
from services.ledger.service import LedgerService
from tests.conftest import JWT_SECRET

LEDGER_SERVICE = ledger_pb2.DESCRIPTOR.services_by_name["LedgerService"].full_name


def closed_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def traced() -> tuple[TracerProvider, InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider, exporter


def bearer(user_id: str) -> dict[str, str]:
    token, _ = issue_user_token(JWT_SECRET, user_id)
    return {"Authorization": f"Bearer {token}"}


class FixedClock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass
class LedgerProcess:
    server: grpc.aio.Server
    port: int
    spans: InMemorySpanExporter

    async def stop(self) -> None:
        await self.server.stop(None)


@pytest.fixture
async def ledger_server(fresh_db: Database) -> AsyncIterator[LedgerProcess]:
    fresh_db.migrate(MIGRATIONS)
    service = LedgerService(fresh_db, clock=FixedClock(datetime(2026, 3, 10, 12, 0, tzinfo=UTC)))
    provider, spans = traced()
    server = build_server("ledger", JWT_SECRET, provider)
    ledger_pb2_grpc.add_LedgerServiceServicer_to_server(LedgerServicer(service), server)
    port, _ = await start_server(server, "127.0.0.1:0", [LEDGER_SERVICE])
    yield LedgerProcess(server, port, spans)
    await server.stop(None)


@dataclass
class GatewayHarness:
    client: httpx.AsyncClient
    gateway: Gateway
    spans: InMemorySpanExporter
    ledger: LedgerProcess

    async def post(self, path: str, body, user: str | None = "alice", **kw) -> httpx.Response:
        headers = {**(bearer(user) if user else {}), **kw.pop("headers", {})}
        if isinstance(body, bytes):
            return await self.client.post(path, content=body, headers=headers, **kw)
        return await self.client.post(path, json=body, headers=headers, **kw)

    async def get(self, path: str, user: str | None = "alice", **kw) -> httpx.Response:
        headers = {**(bearer(user) if user else {}), **kw.pop("headers", {})}
        return await self.client.get(path, headers=headers, **kw)


async def start_gateway(
    table: RouteTable, addrs: dict[str, str], **settings
) -> tuple[httpx.AsyncClient, Gateway, InMemorySpanExporter]:
    provider, spans = traced()
    dead = f"127.0.0.1:{closed_port()}"
    all_addrs = {d: dead for d in ("ledger", "orders", "bots", "auth", *table.domains)}
    app, gateway = create_app(
        Settings(service_addrs={**all_addrs, **addrs}, **settings), provider, table
    )
    await gateway.start()
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway")
    return client, gateway, spans


@pytest.fixture
async def gw(ledger_server: LedgerProcess) -> AsyncIterator[GatewayHarness]:
    """The gateway with every compiled proto's routes; only the ledger is running."""
    addrs = {"ledger": f"127.0.0.1:{ledger_server.port}"}
    client, gateway, spans = await start_gateway(RouteTable.discover(), addrs)
    yield GatewayHarness(client, gateway, spans, ledger_server)
    await client.aclose()
    await gateway.close()


def assert_error_body(response: httpx.Response, status: int | tuple[int, ...]) -> dict:
    """A 4xx/5xx with the error body {"code", "message", "details"}."""
    statuses = (status,) if isinstance(status, int) else status
    assert response.status_code in statuses, (response.status_code, response.text)
    body = response.json()
    assert set(body) == {"code", "message", "details"}, body
    assert isinstance(body["code"], int) and body["message"] and isinstance(body["details"], list)
    return body
