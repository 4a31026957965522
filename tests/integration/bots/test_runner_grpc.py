"""The runner's real wiring: candles and orders over gRPC to an orders server (a stand-in with
the orders contract), the position from a real ledger server, service tokens acting for the
bot's owner. Also: concurrent lease claims, and a service that is down."""

import asyncio
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import grpc
import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from amarktai.common.v1 import trading_pb2
from amarktai.ledger.v1 import ledger_pb2, ledger_pb2_grpc
from amarktai.orders.v1 import orders_pb2, orders_pb2_grpc
from services.bots import store
from services.bots.clients import Downstream
from services.bots.domain import Action, BotSpec, State
from services.bots.ports import GrpcMarkets
from services.bots.runner import Runner, RunnerConfig
from services.bots.schema import MIGRATIONS
from services.bots.service import BotService
from services.common.auth import current_caller
from services.common.server import build_server, start_server
from services.ledger.grpc_api import LedgerServicer
from services.ledger.schema import MIGRATIONS as LEDGER_MIGRATIONS
from services.ledger.service import LedgerService
from tests.conftest import JWT_SECRET, drop_database, make_database
from tests.integration.bots.conftest import UNUSED_ADDR, Clock, service_md
from tests.integration.bots.fake_markets import zigzag

ALICE = "user-alice"
SPEC = BotSpec(
    name="wired",
    exchange="binance",
    symbol="ETH/USDT",
    strategy="sma_crossover",
    params={"fast": "1", "slow": "2", "amount": "0.5"},
    allocated_capital=Decimal(1000),
    interval_seconds=60,
)


class StandInOrders(orders_pb2_grpc.OrderServiceServicer):
    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.calls: list[tuple[str, object, object]] = []

    async def GetCandles(self, request, context):
        self.calls.append(("GetCandles", request, current_caller()))
        items = [
            orders_pb2.Candle(
                open=str(c.open), high=str(c.high), low=str(c.low), close=str(c.close)
            )
            for c in zigzag(self.clock(), request.limit)
        ]
        for item, c in zip(items, zigzag(self.clock(), request.limit), strict=True):
            item.open_time.FromDatetime(c.open_time)
        return orders_pb2.GetCandlesResponse(items=items)

    async def SubmitOrder(self, request, context):
        self.calls.append(("SubmitOrder", request, current_caller()))
        return orders_pb2.SubmitOrderResponse(
            order=orders_pb2.Order(
                id="o-1",
                idempotency_key=request.idempotency_key,
                state=orders_pb2.ORDER_STATE_FILLED,
            )
        )


@pytest.fixture
async def wired(fresh_db, dialect, tmp_path):
    clock = Clock(datetime(2026, 3, 10, 12, 1, 30, tzinfo=UTC))
    fresh_db.migrate(MIGRATIONS)
    ledger_db = make_database(dialect, tmp_path, "ledger")
    ledger_db.migrate(LEDGER_MIGRATIONS)
    provider = TracerProvider()
    spans = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(spans))
    servers = []
    ledger_server = build_server("ledger", JWT_SECRET, provider)
    ledger_pb2_grpc.add_LedgerServiceServicer_to_server(
        LedgerServicer(LedgerService(ledger_db, clock=clock)), ledger_server
    )
    ledger_port, _ = await start_server(
        ledger_server, "127.0.0.1:0", ["amarktai.ledger.v1.LedgerService"]
    )
    servers.append(ledger_server)
    orders = StandInOrders(clock)
    orders_server = build_server("orders", JWT_SECRET, provider)
    orders_pb2_grpc.add_OrderServiceServicer_to_server(orders, orders_server)
    orders_port, _ = await start_server(
        orders_server, "127.0.0.1:0", ["amarktai.orders.v1.OrderService"]
    )
    servers.append(orders_server)
    downstreams = [
        Downstream("orders", f"127.0.0.1:{orders_port}", JWT_SECRET, provider),
        Downstream("ledger", f"127.0.0.1:{ledger_port}", JWT_SECRET, provider),
    ]
    yield (
        clock,
        orders,
        downstreams,
        BotService(fresh_db, clock=clock),
        ledger_port,
        spans,
        provider,
    )
    for d in downstreams:
        await d.close()
    for s in servers:
        await s.stop(None)
    drop_database(ledger_db)


async def run_for(runner: Runner, seconds: float) -> None:
    task = asyncio.create_task(runner.run())
    await asyncio.sleep(seconds)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def test_runner_submits_through_the_orders_contract(wired):
    clock, orders, (orders_d, ledger_d), service, ledger_port, spans, provider = wired
    clock.now = datetime(2026, 3, 10, 12, 2, 30, tzinfo=UTC)  # 12:01 (odd) just closed: buy
    bot, _ = service.create(ALICE, SPEC)
    service.transition(ALICE, bot.id, Action.START)
    runner = Runner(
        service,
        GrpcMarkets(orders_d, ledger_d),
        clock=clock,
        config=RunnerConfig(tick_seconds=0.02),
        tracer_provider=provider,
    )
    await run_for(runner, 0.5)

    candles = [c for c in orders.calls if c[0] == "GetCandles"]
    submits = [c for c in orders.calls if c[0] == "SubmitOrder"]
    assert candles and len(submits) == 1
    _, req, caller = candles[0]
    assert (req.exchange, req.symbol, req.timeframe, req.limit) == ("binance", "ETH/USDT", "1m", 4)
    _, order, caller = submits[0]
    assert (caller.kind, caller.subject, caller.user_id) == ("service", "service:bots", ALICE)
    step = int(datetime(2026, 3, 10, 12, 1, tzinfo=UTC).timestamp()) // 60
    assert order.idempotency_key == f"{bot.id}:{step}"
    assert (order.bot_id, order.exchange, order.symbol) == (bot.id, "binance", "ETH/USDT")
    assert order.side == trading_pb2.SIDE_BUY
    assert order.type == trading_pb2.ORDER_TYPE_MARKET
    assert order.amount == "0.5"
    assert not order.reduce_only
    # SMA2 of (10, 11) = 10.5; edge = (11 - 10.5) / 10.5 * 10000 = 476.19 bps
    assert order.expected_edge_bps == "476.19"

    # the step is one trace: its span carries the decision, and the order's call is its child
    [step_span] = [
        sp for sp in spans.get_finished_spans()
        if sp.name == "bot.step" and sp.attributes.get("bot.decision") == "buy"
    ]  # fmt: skip
    assert step_span.attributes["order.idempotency_key"] == order.idempotency_key
    assert step_span.attributes["order.state"] == "FILLED"
    submit_spans = [
        sp for sp in spans.get_finished_spans()
        if sp.name.endswith("OrderService/SubmitOrder") and sp.kind.name == "CLIENT"
    ]  # fmt: skip
    assert [sp.parent.span_id for sp in submit_spans] == [step_span.context.span_id]


async def test_exit_sells_what_the_ledger_says_the_bot_holds(wired):
    clock, orders, (orders_d, ledger_d), service, ledger_port, _spans, _provider = wired
    bot, _ = service.create(ALICE, SPEC)
    service.transition(ALICE, bot.id, Action.START)
    async with grpc.aio.insecure_channel(f"127.0.0.1:{ledger_port}") as channel:
        await ledger_pb2_grpc.LedgerServiceStub(channel).RecordFill(
            ledger_pb2.RecordFillRequest(
                fill=ledger_pb2.Fill(
                    fill_id="f-1",
                    bot_id=bot.id,
                    exchange="binance",
                    symbol="ETH/USDT",
                    side=trading_pb2.SIDE_BUY,
                    amount="0.75",
                    price="10",
                    fee="0",
                    source=ledger_pb2.FILL_SOURCE_PAPER,
                )
            ),
            metadata=service_md(ALICE),
        )
    clock.now = datetime(2026, 3, 10, 12, 3, 30, tzinfo=UTC)  # 12:02 (even) closed: sell
    runner = Runner(
        service,
        GrpcMarkets(orders_d, ledger_d),
        clock=clock,
        config=RunnerConfig(tick_seconds=0.02),
    )
    await run_for(runner, 0.5)
    [(_, order, _)] = [c for c in orders.calls if c[0] == "SubmitOrder"]
    assert order.side == trading_pb2.SIDE_SELL
    assert order.reduce_only
    assert order.amount == "0.75"


async def test_orders_down_places_nothing_and_keeps_the_bot_running(fresh_db):
    fresh_db.migrate(MIGRATIONS)
    clock = Clock(datetime(2026, 3, 10, 12, 2, 30, tzinfo=UTC))
    service = BotService(fresh_db, clock=clock)
    bot, _ = service.create(ALICE, SPEC)
    service.transition(ALICE, bot.id, Action.START)
    provider = TracerProvider()
    orders = Downstream("orders", UNUSED_ADDR, JWT_SECRET, provider, retries=0)
    ledger = Downstream("ledger", UNUSED_ADDR, JWT_SECRET, provider, retries=0)
    runner = Runner(
        service, GrpcMarkets(orders, ledger), clock=clock, config=RunnerConfig(tick_seconds=0.02)
    )
    await run_for(runner, 0.3)
    assert service.get(ALICE, bot.id).state == State.RUNNING  # retried later, not an ERROR
    await orders.close()
    await ledger.close()


def test_concurrent_lease_claims_have_one_winner(fresh_db):
    fresh_db.migrate(MIGRATIONS)
    now = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)

    def claim(holder: str) -> bool:
        with fresh_db.write() as conn:
            return store.acquire_lease(conn, "bot-1", holder, now, now + timedelta(seconds=15))

    for round_ in range(3):
        with ThreadPoolExecutor(8) as pool:
            won = list(pool.map(claim, [f"r{round_}-{i}" for i in range(8)]))
        assert sum(won) == 1
        now += timedelta(seconds=16)  # the lease has run out: the next round may take it
