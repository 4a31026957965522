from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

import grpc
import pytest
from opentelemetry.sdk.trace import TracerProvider

from amarktai.ledger.v1 import ledger_pb2_grpc
from services.common.auth import TokenVerifier, issue_service_token, issue_user_token
from services.common.db import Database
from services.common.server import build_server, start_server
from services.ledger.grpc_api import LedgerServicer
from services.ledger.schema import MIGRATIONS
from services.ledger.service import LedgerService
from tests.conftest import JWT_SECRET


@dataclass
class LedgerHarness:
    stub: ledger_pb2_grpc.LedgerServiceStub
    db: Database
    service: LedgerService
    port: int

    def user(self, user_id: str) -> tuple:
        token, _ = issue_user_token(JWT_SECRET, user_id)
        return (("authorization", f"Bearer {token}"),)

    def service_for(self, user_id: str) -> tuple:
        return (("authorization", f"Bearer {self.service_token(user_id)}"),)

    def service_token(self, user_id: str) -> str:
        """A service token of the orders service acting for the user."""
        return issue_service_token(JWT_SECRET, "orders", user_id)


class FixedClock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 3, 10, 12, 0, tzinfo=UTC))


@asynccontextmanager
async def serve_ledger(db: Database, clock: Callable) -> AsyncIterator[LedgerHarness]:
    """A ledger server on a free port over ``db`` (migrated), and a client of it."""
    db.migrate(MIGRATIONS)
    service = LedgerService(db, clock=clock)
    server = build_server("ledger", JWT_SECRET, TracerProvider())
    servicer = LedgerServicer(service, TokenVerifier(JWT_SECRET))
    ledger_pb2_grpc.add_LedgerServiceServicer_to_server(servicer, server)
    port, _ = await start_server(server, "127.0.0.1:0", ["amarktai.ledger.v1.LedgerService"])
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{port}")
    try:
        yield LedgerHarness(ledger_pb2_grpc.LedgerServiceStub(channel), db, service, port)
    finally:
        await channel.close()
        await server.stop(None)


@pytest.fixture
async def ledger(fresh_db: Database, clock: Callable) -> AsyncIterator[LedgerHarness]:
    async with serve_ledger(fresh_db, clock) as harness:
        yield harness
