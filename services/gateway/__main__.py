"""python -m services.gateway: the HTTP gateway on GATEWAY_ADDR.

Routes come from the compiled protos found on disk; a bad setting (or a service with routes
but no address) stops it with a message naming the variable. SIGTERM/SIGINT: stop accepting,
let requests in flight finish (event streams are closed after a grace period), flush traces.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

import uvicorn

from services.common.bootstrap import run_service
from services.common.logs import log_event, setup_logging
from services.common.tracing import make_tracer_provider
from services.gateway.app import create_app
from services.gateway.routes import RouteTable
from services.gateway.settings import Settings

log = logging.getLogger("amarktai.gateway")
GRACE_SECONDS = 5


class _Server(uvicorn.Server):
    """uvicorn without its own signal handling: main() handles the signals."""

    @contextlib.contextmanager
    def capture_signals(self):  # type: ignore[override]
        yield


async def main() -> None:
    table = RouteTable.discover()
    settings = Settings.from_env(services=table.domains)
    setup_logging("gateway", settings.log_level)
    provider = make_tracer_provider("gateway")
    app, _gateway = create_app(settings, provider, table)
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        lifespan="on",
        access_log=False,
        log_config=None,
        timeout_graceful_shutdown=GRACE_SECONDS,
        proxy_headers=False,
    )
    server = _Server(config)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, server.handle_exit, sig, None)
    log_event(
        log,
        "listening",
        addr=settings.listen_addr,
        routes=len(table.bindings),
        services=",".join(f"{d}={settings.service_addrs[d]}" for d in table.domains),
    )
    try:
        await server.serve()
    finally:
        provider.shutdown()
    if not server.started:
        raise SystemExit(1)
    log_event(log, "stopped")


if __name__ == "__main__":
    run_service("gateway", main)
