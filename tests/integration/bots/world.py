"""Bots with real ledger and auth servers in-process (each on its own database), for the
tests that need them (promotion)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import grpc
import pyotp
from argon2 import PasswordHasher
from opentelemetry.sdk.trace import TracerProvider

from amarktai.auth.v1 import auth_pb2, auth_pb2_grpc
from amarktai.common.v1 import trading_pb2
from amarktai.ledger.v1 import ledger_pb2, ledger_pb2_grpc
from services.auth.crypto import SecretBox
from services.auth.grpc_api import PUBLIC_METHODS, AuthServicer
from services.auth.grpc_api import SERVICE_NAME as AUTH_SERVICE
from services.auth.keys import ExchangeKeys
from services.auth.passwords import Passwords
from services.auth.schema import MIGRATIONS as AUTH_MIGRATIONS
from services.auth.service import AuthService
from services.common.auth import issue_user_token
from services.common.db import Database
from services.common.server import build_server, start_server
from services.ledger.grpc_api import LedgerServicer
from services.ledger.schema import MIGRATIONS as LEDGER_MIGRATIONS
from services.ledger.service import LedgerService
from tests.conftest import JWT_SECRET
from tests.integration.bots.conftest import Clock

LEDGER_SERVICE = "amarktai.ledger.v1.LedgerService"
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


def md(token: str) -> tuple:
    return (("authorization", f"Bearer {token}"),)


@dataclass
class User:
    id: str
    md: tuple
    secret: str = ""  # the TOTP secret once 2FA is on


class World:
    """A ledger and an auth server; ``ledger_addr``/``auth_addr`` for the bots server."""

    def __init__(self) -> None:
        self.auth_clock = Clock(datetime(2026, 3, 1, 9, 0, 5, tzinfo=UTC))
        self.ledger_clock = Clock(datetime(2026, 3, 5, 12, 0, tzinfo=UTC))
        self._servers: list[grpc.aio.Server] = []
        self._channels: list[grpc.aio.Channel] = []

    async def start(self, ledger_db: Database, auth_db: Database) -> None:
        provider = TracerProvider()
        ledger_db.migrate(LEDGER_MIGRATIONS)
        server = build_server("ledger", JWT_SECRET, provider)
        ledger_pb2_grpc.add_LedgerServiceServicer_to_server(
            LedgerServicer(LedgerService(ledger_db, clock=self.ledger_clock)), server
        )
        port, _ = await start_server(server, "127.0.0.1:0", [LEDGER_SERVICE])
        self._servers.append(server)
        self.ledger_addr = f"127.0.0.1:{port}"

        auth_db.migrate(AUTH_MIGRATIONS)
        box = SecretBox("test-encryption-key-" + "k" * 40)
        service = AuthService(
            auth_db, JWT_SECRET, box, clock=self.auth_clock, passwords=Passwords(FAST_HASHER)
        )
        keys = ExchangeKeys(auth_db, box, service.gate, self.auth_clock)
        server = build_server("auth", JWT_SECRET, provider, public_methods=PUBLIC_METHODS)
        auth_pb2_grpc.add_AuthServiceServicer_to_server(AuthServicer(service, keys), server)
        port, _ = await start_server(server, "127.0.0.1:0", [AUTH_SERVICE])
        self._servers.append(server)
        self.auth_addr = f"127.0.0.1:{port}"

        ledger_channel = grpc.aio.insecure_channel(self.ledger_addr)
        auth_channel = grpc.aio.insecure_channel(self.auth_addr)
        self._channels += [ledger_channel, auth_channel]
        self.ledger = ledger_pb2_grpc.LedgerServiceStub(ledger_channel)
        self.auth = auth_pb2_grpc.AuthServiceStub(auth_channel)

    async def stop(self) -> None:
        for channel in self._channels:
            await channel.close()
        for server in self._servers:
            await server.stop(None)

    # --- setting a user up -------------------------------------------------------------

    async def register(self, email: str) -> User:
        r = await self.auth.Register(
            auth_pb2.RegisterRequest(email=email, password="correct horse battery")
        )
        token, _ = issue_user_token(JWT_SECRET, r.user.id)
        return User(r.user.id, md(token))

    async def store_keys(self, user: User, exchange: str) -> None:
        await self.auth.StoreExchangeKeys(
            auth_pb2.StoreExchangeKeysRequest(
                exchange=exchange,
                api_key="key-1234567890",
                api_secret="secret-1234567890",
                totp_code=self.code(user) if user.secret else "",
            ),
            metadata=user.md,
        )
        self.auth_clock.advance(seconds=30)  # the next code is a new step

    async def enable_2fa(self, user: User) -> None:
        e = await self.auth.EnrollTotp(auth_pb2.EnrollTotpRequest(), metadata=user.md)
        user.secret = e.secret
        await self.auth.ConfirmTotp(
            auth_pb2.ConfirmTotpRequest(totp_code=self.code(user)), metadata=user.md
        )
        self.auth_clock.advance(seconds=30)

    def code(self, user: User) -> str:
        return pyotp.TOTP(user.secret).at(self.auth_clock.now)

    async def trades(self, user: User, bot_id: str, wins: int, losses: int, gain: int) -> None:
        """Round trips of 1 BTC bought at 100: a win sells at 100 + gain, a loss at 98."""
        fills, n = [], 0
        for sell in [100 + gain] * wins + [98] * losses:
            for side, price in ((trading_pb2.SIDE_BUY, 100), (trading_pb2.SIDE_SELL, sell)):
                n += 1
                fills.append(
                    ledger_pb2.Fill(
                        fill_id=f"{bot_id}-{n}",
                        bot_id=bot_id,
                        exchange="binance",
                        symbol="BTC/USDT",
                        side=side,
                        amount="1",
                        price=str(price),
                        fee="0",
                    )
                )
        await self.ledger.RecordFills(ledger_pb2.RecordFillsRequest(fills=fills), metadata=user.md)
