"""python -m services.bots: the bots service on BOTS_ADDR, and its runner alongside."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from amarktai.bots.v1 import bots_pb2_grpc
from services.bots.clients import Downstream
from services.bots.grpc_api import SERVICE_NAME, BotServicer
from services.bots.ports import GrpcMarkets
from services.bots.promotion import Promotion
from services.bots.runner import Runner, RunnerConfig
from services.bots.schema import MIGRATIONS
from services.bots.service import BotService
from services.bots.settings import BotsSettings
from services.common.auth import TokenVerifier
from services.common.bootstrap import run_service
from services.common.db import Database
from services.common.logs import log_event, setup_logging
from services.common.server import build_server, serve_until_signal, start_server
from services.common.tracing import instrument_engine, make_tracer_provider

log = logging.getLogger("amarktai.bots")


def _runner_ended(task: asyncio.Task) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("runner_crashed", exc_info=task.exception())


async def main() -> None:
    settings = BotsSettings.from_env()
    common = settings.common
    setup_logging("bots", common.log_level)
    provider = make_tracer_provider("bots")
    db = Database(common.database_url, common.db_schema)
    instrument_engine(db.engine, provider)
    db.migrate(MIGRATIONS)
    service = BotService(db)

    deadline = settings.call_deadline_seconds
    secret = common.jwt_secret
    ledger = Downstream("ledger", common.ledger_addr, secret, provider, deadline)
    auth = Downstream("auth", common.auth_addr, secret, provider, deadline)
    orders = Downstream("orders", common.orders_addr, secret, provider, deadline)
    promotion = Promotion(service, ledger, auth, settings.promotion)

    server = build_server("bots", secret, provider)
    servicer = BotServicer(
        service,
        promotion,
        events_poll_seconds=settings.events_poll_seconds,
        verifier=TokenVerifier(secret),  # GetBotBatch items' own service tokens
    )
    bots_pb2_grpc.add_BotServiceServicer_to_server(servicer, server)
    port, health = await start_server(server, common.listen_addr, [SERVICE_NAME])
    log_event(log, "listening", addr=common.listen_addr, db=db.dialect)

    runner: Runner | None = None
    runner_task: asyncio.Task | None = None
    if settings.runner_enabled:
        lease = settings.lease_seconds
        config = RunnerConfig(lease_seconds=lease, renew_seconds=lease / 3, tick_seconds=1.0)
        markets = GrpcMarkets(orders, ledger)
        runner = Runner(service, markets, config=config, tracer_provider=provider)
        runner_task = asyncio.create_task(runner.run())
        runner_task.add_done_callback(_runner_ended)

    async def stop() -> None:
        if runner is not None and runner_task is not None:
            runner_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await runner_task
            await runner.release_all()
        for downstream in (ledger, auth, orders):
            await downstream.close()
        db.dispose()
        provider.shutdown()

    await serve_until_signal(server, health, stop)


if __name__ == "__main__":
    run_service("bots", main)
