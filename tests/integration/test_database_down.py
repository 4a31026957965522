"""A service whose database cannot be reached answers UNAVAILABLE (retryable, HTTP 503), not
UNKNOWN: clients and the gateway can tell an outage from a bug."""

from __future__ import annotations

import grpc
import pytest
from grpc_status import rpc_status
from opentelemetry.sdk.trace import TracerProvider

from amarktai.ledger.v1 import ledger_pb2 as pb
from amarktai.ledger.v1 import ledger_pb2_grpc
from services.common.auth import issue_user_token
from services.common.db import Database
from services.common.server import build_server, start_server
from services.ledger.grpc_api import LedgerServicer
from services.ledger.service import LedgerService
from tests.conftest import JWT_SECRET
from tests.e2e.suite import free_port


async def test_unreachable_database_is_unavailable():
    # nothing listens on this port: every connection attempt is refused
    db = Database(f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/x", "ledger")
    server = build_server("ledger", JWT_SECRET, TracerProvider())
    ledger_pb2_grpc.add_LedgerServiceServicer_to_server(LedgerServicer(LedgerService(db)), server)
    port, _ = await start_server(server, "127.0.0.1:0", ["amarktai.ledger.v1.LedgerService"])
    token, _ = issue_user_token(JWT_SECRET, "alice")
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = ledger_pb2_grpc.LedgerServiceStub(channel)
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await stub.GetPortfolioSummary(
                    pb.GetPortfolioSummaryRequest(),
                    metadata=(("authorization", f"Bearer {token}"),),
                    timeout=30,
                )
        assert err.value.code() == grpc.StatusCode.UNAVAILABLE
        status = rpc_status.from_call(err.value)
        assert status is not None and "DATABASE_UNAVAILABLE" in str(status.details[0].value)
    finally:
        await server.stop(None)
        db.dispose()
