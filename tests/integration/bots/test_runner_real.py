"""The bots runner against the REAL orders service: a running strategy on the sim market places
orders that reach the ledger.

Everything is in-process over real gRPC on loopback, each service on its own database (SQLite
files or PostgreSQL schemas): the orders service wired from its settings as ``__main__`` does
(the seeded sim feed, its fee gate, limiter and breaker), the real ledger, the real bots
servicer, and the runner calling orders and ledger through ``GrpcMarkets``. One clock, moved
by hand a minute at a time, is the orders service's business clock and its sim feed's, the
ledger's, the bots service's and the runner's; the runner is driven one pass per minute
(``Runner.run_once``), so nothing sleeps. The orders' background tasks are not started: a fill
reaches the ledger through the outbox's delivery right after its commit.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

import grpc
import pytest
from opentelemetry.sdk.trace import TracerProvider
from sqlalchemy import update

from amarktai.bots.v1 import bots_pb2, bots_pb2_grpc
from amarktai.common.v1 import trading_pb2
from amarktai.ledger.v1 import ledger_pb2, ledger_pb2_grpc
from amarktai.orders.v1 import orders_pb2, orders_pb2_grpc
from services.bots.clients import Downstream
from services.bots.grpc_api import SERVICE_NAME as BOTS_SERVICE
from services.bots.grpc_api import BotServicer
from services.bots.ports import GrpcMarkets, Submitted
from services.bots.runner import Runner
from services.bots.schema import MIGRATIONS as BOTS_MIGRATIONS
from services.bots.schema import leases
from services.bots.service import BotService
from services.common.server import build_server, start_server
from services.ledger.grpc_api import LedgerServicer
from services.ledger.schema import MIGRATIONS as LEDGER_MIGRATIONS
from services.ledger.service import LedgerService
from services.orders.app import OrdersApp, Tuning
from services.orders.clients import Peers
from services.orders.exchange import SimMarketData, maker_taker_bps
from services.orders.grpc_api import SERVICE_NAME as ORDERS_SERVICE
from services.orders.grpc_api import OrderServicer
from services.orders.prices import Prices
from services.orders.schema import MIGRATIONS as ORDERS_MIGRATIONS
from services.orders.settings import OrdersSettings
from tests.conftest import JWT_SECRET, drop_database, make_database
from tests.integration.bots.conftest import UNUSED_ADDR, Clock, user_md

LEDGER_SERVICE = "amarktai.ledger.v1.LedgerService"
START = datetime(2026, 3, 10, 12, 0, 30, tzinfo=UTC)  # half way into a minute
AMOUNT = Decimal("0.01")
# what a user sets to trade without costs: the strategies' edges are a few bps
NO_COSTS = {
    "FEE_OVERRIDES_BPS": "binance=0/0",
    "DEFAULT_SPREAD_BPS": "0",
    "SLIPPAGE_BUFFER_BPS": "0",
    "SAFETY_MARGIN_BPS": "0",
    "MIN_EDGE_BPS": "0",
}
S = orders_pb2.OrderState


def orders_app(db, settings: OrdersSettings, clock: Clock, peers: Peers, provider) -> OrdersApp:
    """The orders service's parts, from its settings, as its ``__main__`` wires them."""
    market = SimMarketData(settings.market_seed, clock, settings.spread_bps)
    prices = Prices(
        market,
        lambda exchange_id: maker_taker_bps(exchange_id, settings.fee_overrides),
        spreads=settings.spreads,
        default_spread_bps=settings.default_spread_bps,
        slippage_buffer_bps=settings.slippage_buffer_bps,
        safety_margin_bps=settings.safety_margin_bps,
        min_edge_bps=settings.min_edge_bps,
    )
    tuning = Tuning(
        limits=settings.limits,
        thresholds=settings.thresholds,
        ttl_hours=settings.pending_order_ttl_hours,
        paper_slippage_bps=settings.paper_slippage_bps,
    )
    return OrdersApp(db, peers, prices, tuning, provider, clock)


class RecordingMarkets(GrpcMarkets):
    """The runner's real client of orders and ledger, noting what each submission answered."""

    def __init__(self, *args) -> None:
        super().__init__(*args)
        self.sent: list[Submitted] = []

    async def submit(self, bot, intent):
        result = await super().submit(bot, intent)
        self.sent.append(result)
        return result


class World:
    def __init__(self, orders_db, ledger_db, bots_db) -> None:
        self.dbs = (orders_db, ledger_db, bots_db)
        self.clock = Clock(START)
        self.user = f"u-{uuid.uuid4().hex[:10]}"
        self.md = user_md(self.user)
        self.provider = TracerProvider()
        self.servers: list = []
        self.closers: list = []

    async def serve(self, name: str, add, servicer, service_name: str) -> str:
        server = build_server(name, JWT_SECRET, self.provider)
        add(servicer, server)
        port, _ = await start_server(server, "127.0.0.1:0", [service_name])
        self.servers.append(server)
        return f"127.0.0.1:{port}"

    def channel(self, addr: str) -> grpc.aio.Channel:
        channel = grpc.aio.insecure_channel(addr)
        self.closers.append(channel.close)
        return channel

    async def start(self, env: dict[str, str]) -> None:
        orders_db, ledger_db, bots_db = self.dbs
        for db, migrations in zip(
            self.dbs, (ORDERS_MIGRATIONS, LEDGER_MIGRATIONS, BOTS_MIGRATIONS), strict=True
        ):
            db.migrate(migrations)
        ledger_addr = await self.serve(
            "ledger",
            ledger_pb2_grpc.add_LedgerServiceServicer_to_server,
            LedgerServicer(LedgerService(ledger_db, clock=self.clock)),
            LEDGER_SERVICE,
        )
        self.bots_service = BotService(bots_db, clock=self.clock)
        bots_addr = await self.serve(
            "bots",
            bots_pb2_grpc.add_BotServiceServicer_to_server,
            BotServicer(self.bots_service, None),
            BOTS_SERVICE,
        )
        peers = Peers(
            JWT_SECRET, self.provider, ledger_addr=ledger_addr, bots_addr=bots_addr,
            auth_addr=UNUSED_ADDR, timeout=5.0,
        )  # fmt: skip
        self.closers.append(peers.close)
        settings = OrdersSettings.from_env({"JWT_SECRET": JWT_SECRET, **env})
        app = orders_app(orders_db, settings, self.clock, peers, self.provider)
        orders_addr = await self.serve(
            "orders",
            orders_pb2_grpc.add_OrderServiceServicer_to_server,
            OrderServicer(app),
            ORDERS_SERVICE,
        )
        self.orders = orders_pb2_grpc.OrderServiceStub(self.channel(orders_addr))
        self.ledger = ledger_pb2_grpc.LedgerServiceStub(self.channel(ledger_addr))
        self.bots = bots_pb2_grpc.BotServiceStub(self.channel(bots_addr))
        downstreams = [
            Downstream("orders", orders_addr, JWT_SECRET, self.provider),
            Downstream("ledger", ledger_addr, JWT_SECRET, self.provider),
        ]
        self.closers += [d.close for d in downstreams]
        self.markets = RecordingMarkets(*downstreams)
        self.runner = self.new_runner()

    def new_runner(self) -> Runner:
        return Runner(self.bots_service, self.markets, clock=self.clock)

    async def replace_runner(self) -> None:
        """The runner stops gracefully and another replica takes over a second later."""
        await self.runner.release_all()
        self.clock.advance(seconds=1)
        self.runner = self.new_runner()

    async def stop(self) -> None:
        for close in self.closers:
            await close()
        for server in self.servers:
            await server.stop(None)

    # --- what a user does and sees -------------------------------------------------------------

    async def fund(self, amount: str) -> None:
        event = ledger_pb2.LedgerEvent(
            event_id=f"fund-{uuid.uuid4().hex[:8]}",
            type=ledger_pb2.LEDGER_EVENT_TYPE_FUNDING,
            amount=amount,
            currency="USDT",
        )
        await self.ledger.RecordEvent(ledger_pb2.RecordEventRequest(event=event), metadata=self.md)

    async def start_bot(self) -> str:
        r = await self.bots.CreateBot(
            bots_pb2.CreateBotRequest(
                name="trend",
                exchange="binance",
                symbol="BTC/USDT",
                strategy="sma_crossover",
                params={"fast": "2", "slow": "3", "amount": str(AMOUNT)},
                allocated_capital="1000",
                interval_seconds=60,
            ),
            metadata=self.md,
        )
        started = await self.bots.StartBot(bots_pb2.StartBotRequest(id=r.bot.id), metadata=self.md)
        assert started.bot.state == bots_pb2.BOT_STATE_RUNNING
        return r.bot.id

    async def bot_state(self, bot_id: str) -> int:
        r = await self.bots.GetBot(bots_pb2.GetBotRequest(id=bot_id), metadata=self.md)
        return r.bot.state

    async def minutes(self, n: int) -> None:
        """``n`` minutes go by; the runner makes its pass at each."""
        for _ in range(n):
            self.clock.advance(minutes=1)
            await self.runner.run_once()

    async def placed(self, bot_id: str) -> list[orders_pb2.Order]:
        r = await self.orders.ListOrders(
            orders_pb2.ListOrdersRequest(bot_id=bot_id, page_size=1000), metadata=self.md
        )
        return sorted(r.items, key=lambda o: o.created_at.ToDatetime())

    async def fills(self, bot_id: str) -> list[ledger_pb2.Fill]:
        r = await self.ledger.ListFills(
            ledger_pb2.ListFillsRequest(bot_id=bot_id, page_size=1000), metadata=self.md
        )
        return list(r.items)

    async def closes(self, n: int) -> dict[datetime, Decimal]:
        """The sim's price at the end of each of the last ``n`` minutes, as orders serves it."""
        r = await self.orders.GetCandles(
            orders_pb2.GetCandlesRequest(
                exchange="binance", symbol="BTC/USDT", timeframe="1m", limit=n
            ),
            metadata=self.md,
        )
        return {c.open_time.ToDatetime(tzinfo=UTC): Decimal(c.close) for c in r.items}


@pytest.fixture
async def world(fresh_db, dialect, tmp_path):
    made: list[World] = []

    async def make(env: dict[str, str]) -> World:
        w = World(
            fresh_db, make_database(dialect, tmp_path, "l"), make_database(dialect, tmp_path, "b")
        )
        made.append(w)
        await w.start(env)
        return w

    yield make
    for w in made:
        await w.stop()
        drop_database(w.dbs[1])
        drop_database(w.dbs[2])


async def first_order(w: World, bot_id: str) -> orders_pb2.Order:
    """Minutes go by until the strategy places its first order (an SMA2/SMA3 crossing comes
    within minutes on the random walk); the clock stays in the minute it was placed."""
    await w.runner.run_once()
    for _ in range(15):
        placed = await w.placed(bot_id)
        if placed:
            [first] = placed
            return first
        await w.minutes(1)
    raise AssertionError("no order in 15 minutes")


def minute_of(order: orders_pb2.Order) -> int:
    return int(order.created_at.ToDatetime(tzinfo=UTC).timestamp()) // 60


def check_keys(bot_id: str, orders: list[orders_pb2.Order]) -> None:
    """Each order is keyed by the candle it was decided on: the minute closed just before it
    was placed; no candle gave two orders."""
    assert [o.idempotency_key for o in orders] == [f"{bot_id}:{minute_of(o) - 1}" for o in orders]
    assert len({o.idempotency_key for o in orders}) == len(orders)


async def test_a_running_strategy_places_orders_that_reach_the_ledger(world):
    w = await world(NO_COSTS)
    await w.fund("10000")
    bot_id = await w.start_bot()
    first = await first_order(w, bot_id)
    # another replica taking over in the same minute sees the same candle: nothing new
    await w.replace_runner()
    await w.runner.run_once()
    assert len(await w.placed(bot_id)) == 1

    await w.minutes(12)
    orders = await w.placed(bot_id)
    assert orders[0].id == first.id
    check_keys(bot_id, orders)
    assert await w.bot_state(bot_id) == bots_pb2.BOT_STATE_RUNNING
    # long one entry at a time: buy AMOUNT, sell exactly what is held (reduce-only), buy ...
    assert [o.side for o in orders[:2]] == [trading_pb2.SIDE_BUY, trading_pb2.SIDE_SELL]
    for i, o in enumerate(orders):
        buy = i % 2 == 0
        assert o.side == (trading_pb2.SIDE_BUY if buy else trading_pb2.SIDE_SELL)
        assert (o.reduce_only, o.type, o.amount) == (not buy, trading_pb2.ORDER_TYPE_MARKET, "0.01")
        assert o.state == S.ORDER_STATE_FILLED, o.state_reason or o.rejection.reason
        assert o.mode == orders_pb2.ORDER_MODE_PAPER

    # each fill: the sim's price of the minute it was placed, 2 bps PAPER_SLIPPAGE_BPS against
    # the trader, no fee (0/0); in the ledger once, under this bot
    closes = await w.closes(30)
    ledger = await w.fills(bot_id)
    for o in orders:
        [fill] = o.fills
        price = closes[datetime.fromtimestamp(minute_of(o) * 60, UTC)]
        if o.side == trading_pb2.SIDE_BUY:
            expected = (price * Decimal("1.0002")).quantize(Decimal("1e-8"), ROUND_CEILING)
        else:
            expected = (price * Decimal("0.9998")).quantize(Decimal("1e-8"), ROUND_FLOOR)
        assert Decimal(fill.price) == expected
        assert Decimal(fill.fee) == 0
        [recorded] = [f for f in ledger if f.fill_id == fill.fill_id]
        assert recorded.order_id == o.id
        assert (recorded.side, Decimal(recorded.amount)) == (o.side, AMOUNT)
        assert Decimal(recorded.price) == expected
    assert sorted(f.fill_id for f in ledger) == sorted(o.fills[0].fill_id for o in orders)

    # paused: minutes go by, nothing new is placed
    await w.bots.PauseBot(bots_pb2.PauseBotRequest(id=bot_id), metadata=w.md)
    await w.minutes(10)
    assert [o.id for o in await w.placed(bot_id)] == [o.id for o in orders]
    assert len(await w.fills(bot_id)) == len(ledger)


async def test_with_the_default_costs_the_fee_gate_refuses_and_nothing_reaches_the_ledger(world):
    w = await world({})  # binance 10/10 bps (ccxt), spread 10, slippage buffer 5, margin 2
    await w.fund("10000")
    bot_id = await w.start_bot()
    first = await first_order(w, bot_id)
    # a crash between the send and the runner's note of it: the replica that takes over in the
    # same minute sends the decision again, with the same key, and gets the same order back
    with w.dbs[2].write() as conn:
        conn.execute(update(leases).where(leases.c.bot_id == bot_id).values(last_step=0))
    await w.replace_runner()
    await w.runner.run_once()
    assert len(w.markets.sent) == 2
    resent = w.markets.sent[-1]
    assert (resent.order_id, resent.state, resent.replayed) == (first.id, "REJECTED", True)
    assert len(await w.placed(bot_id)) == 1

    await w.minutes(12)
    orders = await w.placed(bot_id)
    assert orders[0].id == first.id
    check_keys(bot_id, orders)
    for o in orders:
        # never long, so only entries: each refused, as a final answer, not an error
        assert o.side == trading_pb2.SIDE_BUY
        assert o.state == S.ORDER_STATE_REJECTED
        assert o.rejection.gate == orders_pb2.GATE_FEE_COVERAGE
        assert o.rejection.code == "EDGE_BELOW_COST"
        fee_gate = o.gates[-1]
        # 10 in + 10 out + spread 10 + slippage buffer 5 + safety margin 2 = 37 bps
        assert fee_gate.figures["cost_bps"] == "37"
        assert Decimal(o.expected_edge_bps) - 37 < 5  # MIN_EDGE_BPS
        assert not o.fills
    assert await w.fills(bot_id) == []
    assert await w.bot_state(bot_id) == bots_pb2.BOT_STATE_RUNNING
