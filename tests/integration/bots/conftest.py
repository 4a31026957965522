"""In-process bots servers over real gRPC on free ports, on SQLite and PostgreSQL.

``bots`` is one server; ``second_bots`` a second server (its own engine, its own process state)
over the same database, as a second replica would be. Promotion tests add real ledger and auth
servers (see test_promotion.py).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from opentelemetry.sdk.trace import TracerProvider

from amarktai.bots.v1 import bots_pb2 as pb
from amarktai.bots.v1 import bots_pb2_grpc
from services.bots.clients import Downstream
from services.bots.domain import Requirements
from services.bots.grpc_api import SERVICE_NAME, BotServicer
from services.bots.promotion import Promotion
from services.bots.schema import MIGRATIONS
from services.bots.service import BotService
from services.common.auth import TokenVerifier, issue_service_token, issue_user_token
from services.common.db import Database
from services.common.server import build_server, start_server
from tests.conftest import JWT_SECRET

UNUSED_ADDR = "127.0.0.1:1"  # nothing listens there: calls fail UNAVAILABLE at once


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


def user_md(user_id: str) -> tuple:
    token, _ = issue_user_token(JWT_SECRET, user_id)
    return (("authorization", f"Bearer {token}"),)


def service_md(user_id: str, service: str = "orders") -> tuple:
    return (("authorization", f"Bearer {issue_service_token(JWT_SECRET, service, user_id)}"),)


@dataclass
class BotsHarness:
    stub: bots_pb2_grpc.BotServiceStub
    db: Database
    service: BotService
    clock: Clock
    port: int
    closers: list = field(default_factory=list)

    async def create(self, user: str, **fields) -> pb.Bot:
        req = dict(
            name="bot",
            exchange="binance",
            symbol="BTC/USDT",
            strategy="manual",
            allocated_capital="1000",
        )
        req.update(fields)
        r = await self.stub.CreateBot(pb.CreateBotRequest(**req), metadata=user_md(user))
        return r.bot


async def serve_bots(
    db: Database,
    clock: Clock,
    *,
    ledger_addr: str = UNUSED_ADDR,
    auth_addr: str = UNUSED_ADDR,
    requirements: Requirements | None = None,
    poll: float = 0.2,
) -> BotsHarness:
    service = BotService(db, clock=clock)
    provider = TracerProvider()
    ledger = Downstream("ledger", ledger_addr, JWT_SECRET, provider, deadline=5.0)
    auth = Downstream("auth", auth_addr, JWT_SECRET, provider, deadline=5.0)
    promotion = Promotion(service, ledger, auth, requirements or Requirements())
    server = build_server("bots", JWT_SECRET, provider)
    bots_pb2_grpc.add_BotServiceServicer_to_server(
        BotServicer(
            service, promotion, events_poll_seconds=poll, verifier=TokenVerifier(JWT_SECRET)
        ),
        server,
    )
    port, _ = await start_server(server, "127.0.0.1:0", [SERVICE_NAME])
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{port}")

    async def close() -> None:
        await channel.close()
        await server.stop(None)
        await ledger.close()
        await auth.close()

    harness = BotsHarness(bots_pb2_grpc.BotServiceStub(channel), db, service, clock, port)
    harness.closers.append(close)
    return harness


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 3, 10, 12, 0, tzinfo=UTC))


@pytest.fixture
async def bots(fresh_db: Database, clock: Clock) -> AsyncIterator[BotsHarness]:
    fresh_db.migrate(MIGRATIONS)
    h = await serve_bots(fresh_db, clock)
    yield h
    for close in h.closers:
        await close()


@pytest.fixture
async def second_bots(bots: BotsHarness, clock: Clock) -> AsyncIterator[BotsHarness]:
    db = Database(bots.db.url, bots.db.schema)
    h = await serve_bots(db, clock)
    yield h
    for close in h.closers:
        await close()
    db.dispose()
