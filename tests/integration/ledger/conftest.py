from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import grpc
import pytest
from opentelemetry.sdk.trace import TracerProvider

from amarktai.ledger.v1 import ledger_pb2_grpc
from services.common.auth import issue_service_token, issue_user_token
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
        token = issue_service_token(JWT_SECRET, "orders", user_id)
        return (("authorization", f"Bearer {token}"),)


class FixedClock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 3, 10, 12, 0, tzinfo=UTC))


@pytest.fixture
async def ledger(fresh_db: Database, clock: Callable) -> AsyncIterator[LedgerHarness]:
    fresh_db.migrate(MIGRATIONS)
    service = LedgerService(fresh_db, clock=clock)
    server = build_server("ledger", JWT_SECRET, TracerProvider())
    ledger_pb2_grpc.add_LedgerServiceServicer_to_server(LedgerServicer(service), server)
    port, _ = await start_server(server, "127.0.0.1:0", ["amarktai.ledger.v1.LedgerService"])
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{port}")
    yield LedgerHarness(ledger_pb2_grpc.LedgerServiceStub(channel), fresh_db, service, port)
    await channel.close()
    await server.stop(None)
