"""Builders and readers for the orders integration tests (all calls over real gRPC)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from decimal import Decimal

import grpc
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from sqlalchemy import update

from amarktai.bots.v1 import bots_pb2
from amarktai.common.v1 import trading_pb2 as tpb
from amarktai.ledger.v1 import ledger_pb2
from amarktai.orders.v1 import orders_pb2 as pb
from services.bots.schema import bots as bots_table
from services.common.auth import issue_user_token
from tests.conftest import JWT_SECRET

D = Decimal
BUY, SELL = tpb.SIDE_BUY, tpb.SIDE_SELL
MARKET, LIMIT = tpb.ORDER_TYPE_MARKET, tpb.ORDER_TYPE_LIMIT
S = pb.OrderState


def md(user_id: str) -> tuple:
    token, _ = issue_user_token(JWT_SECRET, user_id)
    return (("authorization", f"Bearer {token}"),)


@dataclass
class Refusal:
    code: grpc.StatusCode
    reason: str
    fields: list[str]
    message: str


def refusal(err: grpc.aio.AioRpcError) -> Refusal:
    status = rpc_status.from_call(err)
    reason, fields = "", []
    for detail in status.details if status else []:
        info, bad = error_details_pb2.ErrorInfo(), error_details_pb2.BadRequest()
        if detail.Unpack(info):
            reason = info.reason
        elif detail.Unpack(bad):
            fields = [v.field for v in bad.field_violations]
    return Refusal(err.code(), reason, fields, err.details())


@dataclass
class Harness:
    orders: object
    bots: object
    ledger: object
    app: object
    market: object
    clock: object
    exporter: object
    ledger_server: object
    db: object
    bots_db: object
    peers: object
    provider: object
    wall: object = None
    tuning: object = None
    live_factory: object = None
    bots_addr: str = ""
    extra_channels: list = field(default_factory=list)
    extra_servers: list = field(default_factory=list)
    extra_dbs: list = field(default_factory=list)
    extra_apps: list = field(default_factory=list)

    async def bot(
        self, user: str, *, running: bool = True, symbol: str = "BTC/USDT", live: bool = False
    ) -> str:
        r = await self.bots.CreateBot(
            bots_pb2.CreateBotRequest(
                name=f"bot-{uuid.uuid4().hex[:6]}",
                exchange="binance",
                symbol=symbol,
                strategy="manual",
                allocated_capital="1000",
            ),
            metadata=md(user),
        )
        if running:
            await self.bots.StartBot(bots_pb2.StartBotRequest(id=r.bot.id), metadata=md(user))
        if live:  # promotion needs weeks of paper trading: set the mode in the bots database
            with self.bots_db.write() as conn:
                conn.execute(
                    update(bots_table).where(bots_table.c.id == r.bot.id).values(mode="LIVE")
                )
        return r.bot.id

    async def bot_state(self, user: str, bot_id: str) -> str:
        r = await self.bots.GetBot(bots_pb2.GetBotRequest(id=bot_id), metadata=md(user))
        return bots_pb2.BotState.Name(r.bot.state)

    def request(self, bot_id: str, **kw) -> pb.SubmitOrderRequest:
        base = dict(
            idempotency_key=f"k-{uuid.uuid4().hex}",
            bot_id=bot_id,
            exchange="binance",
            symbol="BTC/USDT",
            side=BUY,
            type=MARKET,
            amount="0.01",
            expected_edge_bps="50",
        )
        base.update(kw)
        return pb.SubmitOrderRequest(**base)

    async def submit(self, user: str, bot_id: str, stub=None, **kw) -> pb.Order:
        r = await (stub or self.orders).SubmitOrder(self.request(bot_id, **kw), metadata=md(user))
        return r.order

    async def fund(self, user: str, amount: str, event_id: str | None = None) -> None:
        await self.ledger.RecordEvent(
            ledger_pb2.RecordEventRequest(
                event=ledger_pb2.LedgerEvent(
                    event_id=event_id or f"fund-{uuid.uuid4().hex[:8]}",
                    type=ledger_pb2.LEDGER_EVENT_TYPE_FUNDING,
                    amount=amount,
                    currency="USDT",
                )
            ),
            metadata=md(user),
        )

    async def ledger_fills(self, user: str) -> list:
        r = await self.ledger.ListFills(
            ledger_pb2.ListFillsRequest(page_size=1000), metadata=md(user)
        )
        return list(r.items)

    async def drain(self) -> None:
        """Deliver everything the outbox holds (the worker's job in production)."""
        await self.app.outbox.drain()

    async def restart(self, peers=None) -> tuple:
        """A new orders process on the same database (no fault point): (app, stub); ``peers``:
        its own clients of the other services (default: the first process's)."""
        from services.common.db import Database
        from tests.integration.orders.conftest import start_orders

        db = Database(self.db.url, self.db.schema)
        self.extra_dbs.append(db)
        app, server, channel, stub = await start_orders(
            db, self.provider, peers or self.peers, self.market, self.clock, self.tuning,
            self.live_factory, self.wall,
        )  # fmt: skip
        self.extra_servers.append(server)
        self.extra_channels.append(channel)
        self.extra_apps.append(app)
        return app, stub

    async def order(self, user: str, order_id: str) -> pb.Order:
        r = await self.orders.GetOrder(pb.GetOrderRequest(id=order_id), metadata=md(user))
        return r.order


def user() -> str:
    return f"u-{uuid.uuid4().hex[:10]}"


async def user_with_keys(auth_server, email: str = "live@example.com") -> str:
    """A user registered with the real auth service, with binance keys my-key/my-secret."""
    from amarktai.auth.v1 import auth_pb2

    r = await auth_server.stub.Register(
        auth_pb2.RegisterRequest(email=email, password="correct horse battery")
    )
    await auth_server.stub.StoreExchangeKeys(
        auth_pb2.StoreExchangeKeysRequest(
            exchange="binance", api_key="my-key", api_secret="my-secret"
        ),
        metadata=md(r.user.id),
    )
    return r.user.id


def requests_for(fake, cid: str) -> list[str]:
    """What the fake exchange did with each order request carrying this client order id."""
    return [r.outcome for r in fake.order_requests if r.client_order_id == cid]


async def errors_last_hour(h, u: str, stub=None) -> int:
    status = await (stub or h.orders).GetBreakerStatus(pb.GetBreakerStatusRequest(), metadata=md(u))
    [account] = [i for i in status.items if i.scope == pb.BREAKER_SCOPE_ACCOUNT]
    return account.metrics.errors_last_hour
