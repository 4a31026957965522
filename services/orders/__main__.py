"""python -m services.orders: the orders service on ORDERS_ADDR, with its background tasks."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from amarktai.orders.v1 import orders_pb2_grpc
from services.common.auth import TokenVerifier
from services.common.bootstrap import run_service
from services.common.db import Database
from services.common.logs import log_event, setup_logging
from services.common.server import build_server, serve_until_signal, start_server
from services.common.tracing import instrument_engine, make_tracer_provider
from services.orders.app import OrdersApp, Tuning
from services.orders.clients import Peers
from services.orders.exchange import CcxtMarketData, SimMarketData, make_ccxt, maker_taker_bps
from services.orders.faults import Faults
from services.orders.grpc_api import SERVICE_NAME, OrderServicer
from services.orders.live import LiveExecution, ccxt_venues
from services.orders.prices import Prices
from services.orders.schema import MIGRATIONS
from services.orders.settings import OrdersSettings

log = logging.getLogger("amarktai.orders")


def _clock() -> datetime:
    return datetime.now(UTC)


async def main() -> None:
    settings = OrdersSettings.from_env()
    common = settings.common
    setup_logging("orders", common.log_level)
    provider = make_tracer_provider("orders")
    db = Database(common.database_url, common.db_schema)
    instrument_engine(db.engine, provider)
    db.migrate(MIGRATIONS)
    urls = settings.exchange_base_urls
    if settings.market_data == "sim":
        market = SimMarketData(settings.market_seed, _clock, settings.spread_bps)
    else:
        market = CcxtMarketData(lambda x: make_ccxt(x, base_url=urls.get(x)))
    overrides = settings.fee_overrides
    prices = Prices(
        market,
        lambda exchange_id: maker_taker_bps(exchange_id, overrides),
        spreads=settings.spreads,
        default_spread_bps=settings.default_spread_bps,
        slippage_buffer_bps=settings.slippage_buffer_bps,
        safety_margin_bps=settings.safety_margin_bps,
        min_edge_bps=settings.min_edge_bps,
    )
    peers = Peers(
        common.jwt_secret,
        provider,
        ledger_addr=common.ledger_addr,
        bots_addr=common.bots_addr,
        auth_addr=common.auth_addr,
        timeout=float(settings.call_timeout_seconds),
        batching=settings.batching,
    )
    tuning = Tuning(
        limits=settings.limits,
        thresholds=settings.thresholds,
        ttl_hours=settings.pending_order_ttl_hours,
        paper_slippage_bps=settings.paper_slippage_bps,
        fill_check_seconds=float(settings.fill_check_seconds),
        lease_seconds=float(settings.lease_seconds),
        reconcile_seconds=float(settings.reconcile_seconds),
        batching=settings.batching,
    )
    venues = ccxt_venues(urls, int(settings.exchange_timeout_seconds * 1000))
    app = OrdersApp(
        db, peers, prices, tuning, provider, _clock,
        live=lambda a: LiveExecution(a, venues), faults=Faults(settings.fault_point),
    )  # fmt: skip
    server = build_server("orders", common.jwt_secret, provider)
    orders_pb2_grpc.add_OrderServiceServicer_to_server(
        OrderServicer(app, TokenVerifier(common.jwt_secret)), server
    )
    port, health = await start_server(server, common.listen_addr, [SERVICE_NAME])
    app.start_background()
    log_event(log, "listening", addr=common.listen_addr, db=db.dialect, market=settings.market_data,
              exchange_base_urls=",".join(f"{k}={v}" for k, v in urls.items()),
              fault_point=settings.fault_point)  # fmt: skip

    async def stop() -> None:
        await app.close()
        await peers.close()
        if isinstance(market, CcxtMarketData):
            await market.close()
        db.dispose()
        provider.shutdown()

    await serve_until_signal(server, health, stop)


if __name__ == "__main__":
    run_service("orders", main)
