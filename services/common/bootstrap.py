"""Running one service as a process: settings, logs, tracing, database, server, signals."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Awaitable, Callable

from services.common.logs import log_event, setup_logging
from services.common.settings import SettingsError

log = logging.getLogger("amarktai.main")


def run_service(name: str, main: Callable[[], Awaitable[None]]) -> None:
    """Run ``main`` until it returns; a bad setting stops the process with its message."""
    try:
        asyncio.run(main())
    except SettingsError as exc:
        setup_logging(name)
        log_event(log, "bad_setting", logging.ERROR, variable=exc.variable, error=str(exc))
        print(f"{name}: {exc}", file=sys.stderr)
        sys.exit(2)
