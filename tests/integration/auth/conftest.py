from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from argon2 import PasswordHasher
from opentelemetry.sdk.trace import TracerProvider

from amarktai.auth.v1 import auth_pb2 as pb
from amarktai.auth.v1 import auth_pb2_grpc
from services.auth.crypto import SecretBox
from services.auth.grpc_api import PUBLIC_METHODS, SERVICE_NAME, AuthServicer
from services.auth.keys import ExchangeKeys
from services.auth.passwords import Passwords
from services.auth.schema import MIGRATIONS
from services.auth.service import AuthService
from services.common.auth import issue_service_token, issue_user_token
from services.common.db import Database
from services.common.server import build_server, start_server
from tests.conftest import JWT_SECRET
from tests.integration.auth.helpers import code_at

ENCRYPTION_KEY = "test-encryption-key-" + "k" * 40
PASSWORD = "correct horse battery"
# still argon2id, with small costs so the tests stay fast (production uses the defaults)
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


class Clock:
    """A clock the test moves by hand. It starts 5 s into a 30 s TOTP step, a little before
    the real time so that the tokens the service signs are valid now."""

    def __init__(self) -> None:
        now = int(datetime.now(UTC).timestamp())
        self.now = datetime.fromtimestamp(now - now % 30 - 25, UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


def bearer(token: str) -> tuple:
    return (("authorization", f"Bearer {token}"),)


@dataclass
class Account:
    id: str
    email: str
    md: tuple  # the metadata of a call made by this user


@dataclass
class AuthHarness:
    stub: auth_pb2_grpc.AuthServiceStub
    db: Database
    clock: Clock

    def service_md(self, service: str, user_id: str) -> tuple:
        return bearer(issue_service_token(JWT_SECRET, service, user_id))

    async def register(self, email: str, password: str = PASSWORD) -> Account:
        r = await self.stub.Register(pb.RegisterRequest(email=email, password=password))
        token, _ = issue_user_token(JWT_SECRET, r.user.id)
        return Account(r.user.id, r.user.email, bearer(token))

    async def enable_2fa(self, account: Account) -> tuple[str, list[str]]:
        """Enroll and confirm with the current code: the secret and the recovery codes."""
        e = await self.stub.EnrollTotp(pb.EnrollTotpRequest(), metadata=account.md)
        c = await self.stub.ConfirmTotp(
            pb.ConfirmTotpRequest(totp_code=code_at(e.secret, self.clock.now)),
            metadata=account.md,
        )
        return e.secret, list(c.recovery_codes)

    async def verify(self, account: Account, code: str):
        """VerifyTotp as the bots service acting for the account."""
        return await self.stub.VerifyTotp(
            pb.VerifyTotpRequest(totp_code=code), metadata=self.service_md("bots", account.id)
        )


async def serve(db: Database, clock: Clock):
    box = SecretBox(ENCRYPTION_KEY)
    service = AuthService(db, JWT_SECRET, box, clock=clock, passwords=Passwords(FAST_HASHER))
    keys = ExchangeKeys(db, box, service.gate, clock)
    server = build_server("auth", JWT_SECRET, TracerProvider(), public_methods=PUBLIC_METHODS)
    auth_pb2_grpc.add_AuthServiceServicer_to_server(AuthServicer(service, keys), server)
    port, _ = await start_server(server, "127.0.0.1:0", [SERVICE_NAME])
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{port}")
    return server, channel, auth_pb2_grpc.AuthServiceStub(channel)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def auth(fresh_db: Database, clock: Clock) -> AsyncIterator[AuthHarness]:
    fresh_db.migrate(MIGRATIONS)
    server, channel, stub = await serve(fresh_db, clock)
    yield AuthHarness(stub, fresh_db, clock)
    await channel.close()
    await server.stop(None)


@pytest.fixture
async def second_auth(fresh_db: Database, clock: Clock) -> AsyncIterator[AuthHarness]:
    """A second auth server (its own engine and process state) on the same database."""
    db = Database(fresh_db.url, fresh_db.schema)
    server, channel, stub = await serve(db, clock)
    yield AuthHarness(stub, db, clock)
    await channel.close()
    await server.stop(None)
    db.dispose()
