"""python -m services.ledger: the ledger service on LEDGER_ADDR."""

from __future__ import annotations

import logging

from amarktai.ledger.v1 import ledger_pb2, ledger_pb2_grpc
from services.common.auth import TokenVerifier
from services.common.bootstrap import run_service
from services.common.db import Database
from services.common.logs import log_event, setup_logging
from services.common.server import build_server, serve_until_signal, start_server
from services.common.settings import CommonSettings
from services.common.tracing import instrument_engine, make_tracer_provider
from services.ledger.grpc_api import LedgerServicer
from services.ledger.schema import MIGRATIONS
from services.ledger.service import LedgerService

SERVICE_NAME = ledger_pb2.DESCRIPTOR.services_by_name["LedgerService"].full_name
log = logging.getLogger("amarktai.ledger")


async def main() -> None:
    settings = CommonSettings.from_env("ledger")
    setup_logging("ledger", settings.log_level)
    provider = make_tracer_provider("ledger")
    db = Database(settings.database_url, settings.db_schema)
    instrument_engine(db.engine, provider)
    db.migrate(MIGRATIONS)
    server = build_server("ledger", settings.jwt_secret, provider)
    servicer = LedgerServicer(LedgerService(db), TokenVerifier(settings.jwt_secret))
    ledger_pb2_grpc.add_LedgerServiceServicer_to_server(servicer, server)
    port, health = await start_server(server, settings.listen_addr, [SERVICE_NAME])
    log_event(log, "listening", addr=settings.listen_addr, db=db.dialect)

    async def stop() -> None:
        db.dispose()
        provider.shutdown()

    await serve_until_signal(server, health, stop)


if __name__ == "__main__":
    run_service("ledger", main)
