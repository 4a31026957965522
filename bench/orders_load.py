"""Load drivers of the orders benchmark: order requests, sequential and concurrent callers, and
the check that every FILLED order's fill reached the ledger."""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import grpc

from amarktai.common.v1 import trading_pb2 as tpb
from amarktai.ledger.v1 import ledger_pb2 as lpb
from amarktai.orders.v1 import orders_pb2 as opb
from bench.http_client import Connection, ProtocolError

EXCHANGE, SYMBOL, AMOUNT, EDGE_BPS = "binance", "BTC/USDT", "0.001", "200"
TIMEOUT = 10.0
Call = Callable[[int], Awaitable[None]]


class NotFilled(Exception):
    """An order answered with another state than FILLED (or an HTTP error)."""


@dataclass(frozen=True)
class Bot:
    id: str
    token: str  # its user's

    @property
    def md(self) -> tuple:
        return (("authorization", f"Bearer {self.token}"),)


@dataclass
class Orders:
    """Order requests: client slot k trades on bot k % len(bots) (the bots of several users),
    alternating buy and sell, so every bot's position stays within a few lots; every
    idempotency key is unique."""

    run_id: str
    bots: list[Bot]
    filled: set[str] = field(default_factory=set)  # order ids answered FILLED
    trace_ids: list[str] = field(default_factory=list)
    _counts: dict[int, int] = field(default_factory=lambda: defaultdict(int))

    def next(self, slot: int) -> tuple[str, Bot, int]:
        i = self._counts[slot]
        self._counts[slot] += 1
        side = tpb.SIDE_BUY if i % 2 == 0 else tpb.SIDE_SELL
        return f"{self.run_id}-{slot}-{i}", self.bots[slot % len(self.bots)], side

    def request(self, slot: int) -> tuple[opb.SubmitOrderRequest, Bot]:
        key, bot, side = self.next(slot)
        return opb.SubmitOrderRequest(
            idempotency_key=key, bot_id=bot.id, exchange=EXCHANGE, symbol=SYMBOL, side=side,
            type=tpb.ORDER_TYPE_MARKET, amount=AMOUNT, expected_edge_bps=EDGE_BPS,
        ), bot  # fmt: skip

    def body(self, slot: int) -> tuple[str, dict, Bot]:
        key, bot, side = self.next(slot)
        return key, {
            "botId": bot.id, "exchange": EXCHANGE, "symbol": SYMBOL,
            "side": tpb.Side.Name(side), "type": "ORDER_TYPE_MARKET", "amount": AMOUNT,
            "expectedEdgeBps": EDGE_BPS,
        }, bot  # fmt: skip

    def answered(self, order_id: str, state: str, trace_id: str, detail: str) -> None:
        if state != "ORDER_STATE_FILLED":
            raise NotFilled(f"{order_id} {state}: {detail[:300]}")
        self.filled.add(order_id)
        self.trace_ids.append(trace_id)


def direct_call(stub, orders: Orders) -> Call:
    async def call(slot: int) -> None:
        req, bot = orders.request(slot)
        r = await stub.SubmitOrder(req, metadata=bot.md, timeout=TIMEOUT)
        o = r.order
        orders.answered(o.id, opb.OrderState.Name(o.state), o.trace_id, str(o.rejection))

    return call


def gateway_call(host: str, port: int, orders: Orders) -> Call:
    """POST /api/orders/submit, each client slot on a keep-alive connection of its own."""
    conns: dict[int, Connection] = {}

    async def call(slot: int) -> None:
        key, body, bot = orders.body(slot)
        headers = {"Idempotency-Key": key, "authorization": f"Bearer {bot.token}"}
        conn = conns.setdefault(slot, Connection(host, port, TIMEOUT))
        r = await conn.post_json("/api/orders/submit", body, headers)
        if r.status_code != 200:
            raise NotFilled(f"HTTP {r.status_code}: {r.text[:300]}")
        o = r.json()
        orders.answered(o["id"], o["state"], o.get("traceId", ""), str(o.get("rejection")))

    return call


def echo_call(channel: grpc.aio.Channel, path: str) -> Call:
    method = channel.unary_unary(path)

    async def call(slot: int) -> None:
        await method(b"order-sized payload %d" % slot, timeout=TIMEOUT)

    return call


async def sequential(call: Call, n: int, slots: int = 1) -> list[float]:
    """``n`` calls one after the other, taking turns over the first ``slots`` client slots."""
    samples = []
    for i in range(n):
        t = time.perf_counter()
        await call(i % slots)
        samples.append(time.perf_counter() - t)
    return samples


@dataclass
class Load:
    ops: int
    seconds: float
    samples: list[float]
    errors: list[str]

    @property
    def rate(self) -> float:
        return self.ops / self.seconds


async def concurrent(call: Call, clients: int, seconds: float) -> Load:
    """``clients`` callers in flight for ``seconds``; the calls still running then finish."""
    stop = time.monotonic() + seconds
    samples: list[float] = []
    errors: list[str] = []

    async def worker(slot: int) -> None:
        while time.monotonic() < stop:
            t = time.perf_counter()
            try:
                await call(slot)
            except (grpc.aio.AioRpcError, ProtocolError, OSError, TimeoutError, NotFilled) as exc:
                errors.append(f"{type(exc).__name__}: {exc}"[:300])
                continue
            samples.append(time.perf_counter() - t)

    t0 = time.perf_counter()
    await asyncio.gather(*(worker(k) for k in range(clients)))
    return Load(len(samples), time.perf_counter() - t0, samples, errors)


async def _pages(fetch) -> list:
    items, token = [], ""
    while True:
        r = await fetch(token)
        items.extend(r.items)
        token = r.next_page_token
        if not token:
            return items


async def check_fills(orders_stub, ledger_stub, mds, answered: set[str], wait: float) -> int:
    """Every order the orders service holds as FILLED for the users of ``mds`` has exactly one
    fill in the ledger, and every FILLED answer the benchmark got is among them (waiting up to
    ``wait`` seconds for the outbox). Returns the number of fills."""
    filled: set[str] = set()
    for md in mds:
        filled |= await _check_user(orders_stub, ledger_stub, md, wait)
    missing = answered - filled
    assert not missing, f"{len(missing)} orders answered FILLED are not FILLED: {list(missing)[:3]}"
    return len(filled)


async def _check_user(orders_stub, ledger_stub, md, wait: float) -> set[str]:
    def list_orders(token):
        req = opb.ListOrdersRequest(state=opb.ORDER_STATE_FILLED, page_size=1000, page_token=token)
        return orders_stub.ListOrders(req, metadata=md, timeout=30)

    def list_fills(token):
        req = lpb.ListFillsRequest(page_size=1000, page_token=token)
        return ledger_stub.ListFills(req, metadata=md, timeout=30)

    deadline = time.monotonic() + wait
    while True:
        filled = {o.id for o in await _pages(list_orders)}
        fills = [f.order_id for f in await _pages(list_fills)]
        if sorted(fills) == sorted(filled) or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.5)
    lost = filled - set(fills)
    assert not lost, f"{len(lost)} FILLED orders have no fill in the ledger: {list(lost)[:3]}"
    assert len(fills) == len(set(fills)) == len(filled), (len(fills), len(set(fills)), len(filled))
    return filled
