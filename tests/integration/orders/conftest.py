"""The orders service over real gRPC, with the REAL ledger and bots servicers in-process.

Each test gets fresh databases (SQLite files or PostgreSQL schemas) for orders, ledger and bots,
a market it moves by hand (FakeMarket), a business clock it moves by hand, a wall clock (real
time plus an offset the test moves, for leases and settle times), and the orders server's spans
in memory. Background tasks are not started: tests sweep, drain and reconcile explicitly.

``fault_point`` (a fixture a test may parametrize) names a fault point at which the orders
"process" dies: in-process, the point raises ``Killed`` and nothing is cleaned up.
``h.restart()`` then starts a new orders process (app, server, stub) on the same database.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import grpc
import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF

from amarktai.auth.v1 import auth_pb2_grpc
from amarktai.bots.v1 import bots_pb2_grpc
from amarktai.ledger.v1 import ledger_pb2_grpc
from amarktai.orders.v1 import orders_pb2_grpc
from services.bots.grpc_api import SERVICE_NAME as BOTS_SERVICE
from services.bots.grpc_api import BotServicer
from services.bots.schema import MIGRATIONS as BOTS_MIGRATIONS
from services.bots.service import BotService
from services.common.auth import TokenVerifier
from services.common.db import Database
from services.common.server import build_server, start_server
from services.ledger.grpc_api import LedgerServicer
from services.ledger.schema import MIGRATIONS as LEDGER_MIGRATIONS
from services.ledger.service import LedgerService
from services.orders.app import OrdersApp, Tuning
from services.orders.clients import Peers
from services.orders.domain.breaker import Thresholds
from services.orders.domain.limiter import Limits
from services.orders.exchange import MarketDataUnavailable, Ticker, parse_fee_overrides
from services.orders.exchange import maker_taker_bps as exchange_fees
from services.orders.faults import Faults, Killed
from services.orders.grpc_api import SERVICE_NAME, OrderServicer
from services.orders.prices import Prices
from services.orders.schema import MIGRATIONS
from tests.conftest import JWT_SECRET, drop_database, make_database
from tests.integration.orders.helpers import Harness

LEDGER_SERVICE = "amarktai.ledger.v1.LedgerService"
D = Decimal


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += timedelta(**kw)


class WallClock:
    """Real time plus an offset the test moves forward (a lease expires, a request settles);
    ``freeze()`` stops it where it is, for tests that need exact distances."""

    def __init__(self) -> None:
        self.offset = timedelta()
        self.fixed: datetime | None = None

    def __call__(self) -> datetime:
        return self.fixed if self.fixed is not None else datetime.now(UTC) + self.offset

    def freeze(self) -> None:
        self.fixed = self()

    def advance(self, **kw: float) -> None:
        if self.fixed is not None:
            self.fixed += timedelta(**kw)
        else:
            self.offset += timedelta(**kw)


def kill(point: str) -> None:
    raise Killed(point)


class FakeMarket:
    """Tickers set by the test: bid/ask around last (BTC/USDT 49995/50005, last 50000)."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.quotes: dict[str, tuple[Decimal, Decimal, Decimal]] = {}
        self.down: set[str] = set()
        self.set("BTC/USDT", "49995", "50005", "50000")
        self.set("ETH/USDT", "2999.5", "3000.5", "3000")

    def set(self, symbol: str, bid: str, ask: str, last: str) -> None:
        self.quotes[symbol] = (D(bid), D(ask), D(last))

    def move(self, symbol: str, last: str, half_spread: str = "5") -> None:
        p, h = D(last), D(half_spread)
        self.quotes[symbol] = (p - h, p + h, p)

    async def ticker(self, exchange: str, symbol: str) -> Ticker:
        if symbol in self.down or symbol not in self.quotes:
            raise MarketDataUnavailable(f"no feed for {symbol}")
        bid, ask, last = self.quotes[symbol]
        return Ticker(symbol, bid, ask, last, self.clock())

    async def candles(self, exchange, symbol, timeframe="1m", limit=100):
        raise MarketDataUnavailable("no candles in the fake")


OVERRIDES = parse_fee_overrides("binance=7.5/10")
TUNING = Tuning(
    limits=Limits(per_bot_daily=50, per_user_daily=500, burst_orders=10, burst_window_seconds=10),
    thresholds=Thresholds(D("0.20"), D("0.10"), 5, 10),
    idempotency_wait_seconds=10.0,
)


def make_prices(market) -> Prices:
    return Prices(
        market,
        lambda ex: exchange_fees(ex, OVERRIDES),
        spreads={"BTC/USDT": D("5"), "ETH/USDT": D("5")},
        default_spread_bps=D("10"),
        slippage_buffer_bps=D("5"),
        safety_margin_bps=D("2"),
        min_edge_bps=D("5"),
    )


class Ledger:
    """The real ledger servicer, stoppable and restartable on the same port."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db, self.clock, self.server, self.port = db, clock, None, 0

    async def start(self) -> None:
        server = build_server("ledger", JWT_SECRET, TracerProvider())
        ledger_pb2_grpc.add_LedgerServiceServicer_to_server(
            LedgerServicer(
                LedgerService(self.db, clock=self.clock), verify=TokenVerifier(JWT_SECRET)
            ),
            server,
        )
        addr = f"127.0.0.1:{self.port}"
        self.port, _ = await start_server(server, addr, [LEDGER_SERVICE])
        self.server = server

    async def stop(self) -> None:
        await self.server.stop(None)


async def start_orders(
    db: Database, provider, peers: Peers, market, clock, tuning, live=None, wall=None, faults=None
) -> tuple:
    app = OrdersApp(
        db, peers, make_prices(market), tuning, provider, clock, live=live, wall_clock=wall,
        faults=faults,
    )  # fmt: skip
    server = build_server("orders", JWT_SECRET, provider)
    orders_pb2_grpc.add_OrderServiceServicer_to_server(
        OrderServicer(app, TokenVerifier(JWT_SECRET)), server
    )
    port, _ = await start_server(server, "127.0.0.1:0", [SERVICE_NAME])
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{port}")
    stub = orders_pb2_grpc.OrderServiceStub(channel)
    stub.addr = f"127.0.0.1:{port}"  # where it listens (the gateway's tests reach it there)
    return app, server, channel, stub


@pytest.fixture
def tuning() -> Tuning:
    return TUNING


@pytest.fixture
def live_factory():
    return None


@pytest.fixture
def auth_addr() -> str:
    return "127.0.0.1:1"


@pytest.fixture
def fault_point() -> str:
    return ""


@pytest.fixture
def tracing() -> bool:
    """True: the orders process records its spans (in ``h.exporter``), and every call an order
    makes to another service goes alone, in its trace. False: it records none (as when no
    exporter is configured), and the calls of concurrent orders go in batches."""
    return True


@pytest.fixture
async def h(
    fresh_db, dialect, tmp_path, tuning, live_factory, auth_addr, fault_point, tracing
) -> AsyncIterator[Harness]:
    clock = Clock(datetime(2026, 3, 10, 12, 0, tzinfo=UTC))
    ledger_db = make_database(dialect, tmp_path, "l")
    bots_db = make_database(dialect, tmp_path, "b")
    fresh_db.migrate(MIGRATIONS)
    ledger_db.migrate(LEDGER_MIGRATIONS)
    bots_db.migrate(BOTS_MIGRATIONS)

    ledger = Ledger(ledger_db, clock)
    await ledger.start()
    bots_server = build_server("bots", JWT_SECRET, TracerProvider())
    bots_pb2_grpc.add_BotServiceServicer_to_server(
        BotServicer(BotService(bots_db), None, verifier=TokenVerifier(JWT_SECRET)), bots_server
    )
    bots_port, _ = await start_server(bots_server, "127.0.0.1:0", [BOTS_SERVICE])

    exporter = InMemorySpanExporter()
    if tracing:
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    else:
        provider = TracerProvider(sampler=ALWAYS_OFF)
    peers = Peers(
        JWT_SECRET,
        provider,
        ledger_addr=f"127.0.0.1:{ledger.port}",
        bots_addr=f"127.0.0.1:{bots_port}",
        auth_addr=auth_addr,
        timeout=5.0,
    )
    market = FakeMarket(clock)
    wall = WallClock()
    app, server, channel, stub = await start_orders(
        fresh_db, provider, peers, market, clock, tuning, live_factory, wall,
        Faults(fault_point, kill),
    )  # fmt: skip
    side = grpc.aio.insecure_channel(f"127.0.0.1:{ledger.port}")
    bots_channel = grpc.aio.insecure_channel(f"127.0.0.1:{bots_port}")
    harness = Harness(
        orders=stub,
        bots=bots_pb2_grpc.BotServiceStub(bots_channel),
        ledger=ledger_pb2_grpc.LedgerServiceStub(side),
        app=app,
        market=market,
        clock=clock,
        exporter=exporter,
        ledger_server=ledger,
        db=fresh_db,
        bots_db=bots_db,
        peers=peers,
        provider=provider,
        wall=wall,
        tuning=tuning,
        live_factory=live_factory,
        bots_addr=f"127.0.0.1:{bots_port}",
    )
    yield harness
    for a in (app, *harness.extra_apps):
        await a.close()
    for c in (channel, side, bots_channel, *harness.extra_channels):
        await c.close()
    await peers.close()
    for s in (server, bots_server, *harness.extra_servers):
        await s.stop(None)
    await ledger.stop()
    for db in harness.extra_dbs:
        db.dispose()
    drop_database(ledger_db)
    drop_database(bots_db)


@pytest.fixture
async def fake() -> AsyncIterator:
    """The fake Binance spot API, in-process on a free port (tests/fakes/fake_binance.py)."""
    from tests.fakes.fake_binance import FakeBinance

    async with FakeBinance() as f:
        yield f


def ccxt_live(fake):
    """A live_factory: live execution through REAL ccxt against the fake Binance."""
    from services.orders.live import LiveExecution, ccxt_venues

    venues = ccxt_venues({"binance": fake.url}, timeout_ms=1000, rate_limit=False)
    return lambda app: LiveExecution(app, venues, backoff=lambda attempt: 0.05)


class AuthServer:
    def __init__(self, server, channel, stub, port, db, clock) -> None:
        self.server, self.channel, self.stub, self.db, self.clock = server, channel, stub, db, clock
        self.addr = f"127.0.0.1:{port}"


@pytest.fixture
async def auth_server(dialect, tmp_path) -> AsyncIterator[AuthServer]:
    """The real auth servicer (for TOTP checks and exchange keys), on its own database."""
    from services.auth.crypto import SecretBox
    from services.auth.grpc_api import PUBLIC_METHODS, AuthServicer
    from services.auth.grpc_api import SERVICE_NAME as AUTH_SERVICE
    from services.auth.keys import ExchangeKeys
    from services.auth.passwords import Passwords
    from services.auth.schema import MIGRATIONS as AUTH_MIGRATIONS
    from services.auth.service import AuthService
    from tests.integration.auth.conftest import ENCRYPTION_KEY, FAST_HASHER
    from tests.integration.auth.conftest import Clock as AuthClock

    db = make_database(dialect, tmp_path, "a")
    db.migrate(AUTH_MIGRATIONS)
    clock = AuthClock()
    box = SecretBox(ENCRYPTION_KEY)
    service = AuthService(db, JWT_SECRET, box, clock=clock, passwords=Passwords(FAST_HASHER))
    keys = ExchangeKeys(db, box, service.gate, clock)
    server = build_server("auth", JWT_SECRET, TracerProvider(), public_methods=PUBLIC_METHODS)
    auth_pb2_grpc.add_AuthServiceServicer_to_server(AuthServicer(service, keys), server)
    port, _ = await start_server(server, "127.0.0.1:0", [AUTH_SERVICE])
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{port}")
    yield AuthServer(server, channel, auth_pb2_grpc.AuthServiceStub(channel), port, db, clock)
    await channel.close()
    await server.stop(None)
    drop_database(db)
