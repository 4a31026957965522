"""python -m services.auth: the auth service on AUTH_ADDR."""

from __future__ import annotations

import logging

from amarktai.auth.v1 import auth_pb2_grpc
from services.auth.crypto import SecretBox
from services.auth.grpc_api import PUBLIC_METHODS, SERVICE_NAME, AuthServicer
from services.auth.keys import ExchangeKeys
from services.auth.schema import MIGRATIONS
from services.auth.service import AuthService
from services.auth.settings import AuthSettings
from services.common.bootstrap import run_service
from services.common.db import Database
from services.common.logs import log_event, setup_logging
from services.common.server import build_server, serve_until_signal, start_server
from services.common.tracing import instrument_engine, make_tracer_provider

log = logging.getLogger("amarktai.auth")


async def main() -> None:
    settings = AuthSettings.from_env()
    common = settings.common
    setup_logging("auth", common.log_level)
    provider = make_tracer_provider("auth")
    db = Database(common.database_url, common.db_schema)
    instrument_engine(db.engine, provider)
    db.migrate(MIGRATIONS)
    box = SecretBox(settings.encryption_key)
    service = AuthService(db, common.jwt_secret, box, token_ttl=settings.access_token_ttl)
    keys = ExchangeKeys(db, box, service.gate, service.clock)
    server = build_server("auth", common.jwt_secret, provider, public_methods=PUBLIC_METHODS)
    auth_pb2_grpc.add_AuthServiceServicer_to_server(AuthServicer(service, keys), server)
    port, health = await start_server(server, common.listen_addr, [SERVICE_NAME])
    log_event(log, "listening", addr=common.listen_addr, db=db.dialect)

    async def stop() -> None:
        db.dispose()
        provider.shutdown()

    await serve_until_signal(server, health, stop)


if __name__ == "__main__":
    run_service("auth", main)
