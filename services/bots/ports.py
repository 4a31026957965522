"""What the runner needs from the other services, behind a small interface.

``Markets`` is implemented over gRPC by ``GrpcMarkets``: candles and order submission from the
orders service, the bot's open position from the ledger, each call with a service token acting
for the bot's owner and a capped deadline (see clients.Downstream). Tests give a fake.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC
from decimal import Decimal
from typing import Protocol

from amarktai.common.v1 import trading_pb2
from amarktai.ledger.v1 import ledger_pb2, ledger_pb2_grpc
from amarktai.orders.v1 import orders_pb2, orders_pb2_grpc
from services.bots.clients import Downstream
from services.bots.domain import BUY, Candle
from services.bots.model import Bot
from services.common.db import decimal_text


@dataclass(frozen=True)
class OrderIntent:
    idempotency_key: str
    side: str  # buy | sell
    amount: Decimal
    expected_edge_bps: Decimal
    reduce_only: bool


@dataclass(frozen=True)
class Submitted:
    order_id: str
    state: str  # the order's state name, e.g. FILLED or REJECTED
    replayed: bool
    rejection: str = ""


class Markets(Protocol):
    async def candles(self, bot: Bot, timeframe: str, limit: int) -> list[Candle]: ...

    async def position(self, bot: Bot) -> Decimal: ...

    async def submit(self, bot: Bot, intent: OrderIntent) -> Submitted: ...


def _dec(value: str) -> Decimal:
    return Decimal(value) if value else Decimal(0)


class GrpcMarkets:
    def __init__(self, orders: Downstream, ledger: Downstream) -> None:
        self.orders = orders
        self.ledger = ledger
        self.orders_stub = orders_pb2_grpc.OrderServiceStub(orders.channel)
        self.ledger_stub = ledger_pb2_grpc.LedgerServiceStub(ledger.channel)

    async def candles(self, bot: Bot, timeframe: str, limit: int) -> list[Candle]:
        req = orders_pb2.GetCandlesRequest(
            exchange=bot.exchange, symbol=bot.symbol, timeframe=timeframe, limit=limit
        )
        r = await self.orders.call(self.orders_stub.GetCandles, req, bot.user_id)
        return [
            Candle(
                open_time=c.open_time.ToDatetime(tzinfo=UTC),
                open=_dec(c.open),
                high=_dec(c.high),
                low=_dec(c.low),
                close=_dec(c.close),
                volume=_dec(c.volume),
            )
            for c in r.items
        ]

    async def position(self, bot: Bot) -> Decimal:
        req = ledger_pb2.GetPortfolioSummaryRequest(currency=bot.quote, bot_id=bot.id)
        r = await self.ledger.call(self.ledger_stub.GetPortfolioSummary, req, bot.user_id)
        return sum((_dec(p.amount) for p in r.positions if p.symbol == bot.symbol), Decimal(0))

    async def submit(self, bot: Bot, intent: OrderIntent) -> Submitted:
        req = orders_pb2.SubmitOrderRequest(
            idempotency_key=intent.idempotency_key,
            bot_id=bot.id,
            exchange=bot.exchange,
            symbol=bot.symbol,
            side=trading_pb2.SIDE_BUY if intent.side == BUY else trading_pb2.SIDE_SELL,
            type=trading_pb2.ORDER_TYPE_MARKET,
            amount=decimal_text(intent.amount),
            expected_edge_bps=decimal_text(intent.expected_edge_bps),
            reduce_only=intent.reduce_only,
        )
        # a state change: not retried here; the next tick retries it with the same key
        r = await self.orders.call(self.orders_stub.SubmitOrder, req, bot.user_id, read=False)
        o = r.order
        return Submitted(
            order_id=o.id,
            state=orders_pb2.OrderState.Name(o.state).removeprefix("ORDER_STATE_"),
            replayed=o.replayed,
            rejection=o.rejection.reason if o.HasField("rejection") else "",
        )
