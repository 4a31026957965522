"""The orders service's parts wired together, and its background tasks.

Used by ``__main__`` with the real settings and by the tests with test doubles for the market
data and the clock: nothing here reads the environment.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from opentelemetry.sdk.trace import TracerProvider

from services.common.coalesce import Batching
from services.common.db import Database
from services.orders.breaker import Breaker
from services.orders.cancel import Cancels
from services.orders.clients import Peers
from services.orders.domain.breaker import Thresholds
from services.orders.domain.limiter import Limits
from services.orders.execution import Executor
from services.orders.faults import Faults
from services.orders.outbox import Outbox
from services.orders.pipeline import OrderPipeline
from services.orders.prices import Prices
from services.orders.reconciler import Reconciler
from services.orders.status import StatusReader


@dataclass(frozen=True)
class Tuning:
    """What the pipeline is tuned by (from OrdersSettings in production)."""

    limits: Limits
    thresholds: Thresholds
    ttl_hours: int = 24
    paper_slippage_bps: Decimal = Decimal("2")
    fill_check_seconds: float = 1.0
    outbox_interval_seconds: float = 0.5
    idempotency_wait_seconds: float = 3.0
    lease_seconds: float = 10.0  # a live order's lease (leases.py)
    reconcile_seconds: float = 5.0  # how often the reconciler looks at open live orders
    batching: Batching = Batching()  # how concurrent orders share their work (coalesce.py)


def instance_id() -> str:
    """This process's name as a lease owner: host, pid and a random part (at most 64 chars)."""
    return f"{socket.gethostname()[:32]}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


class OrdersApp:
    def __init__(
        self,
        db: Database,
        peers: Peers,
        prices: Prices,
        tuning: Tuning,
        provider: TracerProvider,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        live: Any = None,
        *,
        wall_clock: Callable[[], datetime] | None = None,
        faults: Faults | None = None,
        instance: str | None = None,
    ) -> None:
        """``clock`` is the business clock (days, hours, limits); ``wall_clock`` the real time
        of leases and retries; ``live`` makes the live execution from the app."""
        self.db = db
        self.peers = peers
        self.prices = prices
        self.tuning = tuning
        self.thresholds = tuning.thresholds
        self.clock = clock
        self.wall_clock = wall_clock or (lambda: datetime.now(UTC))
        self.faults = faults or Faults()
        self.instance = instance or instance_id()
        tracer = provider.get_tracer("amarktai.orders")
        self.tracer = tracer
        self.outbox = Outbox(
            db, peers, tracer, self.wall_clock, faults=self.faults, batching=tuning.batching
        )
        self.breaker = Breaker(
            db, peers, prices, self.outbox, tuning.thresholds, clock, batching=tuning.batching
        )
        self.executor = Executor(
            db, prices, self.outbox, self.breaker, tuning.paper_slippage_bps, clock, tracer,
            faults=self.faults,
        )  # fmt: skip
        self.reconciler: Reconciler | None = None
        if live is not None:
            self.executor.live = live(self)
            self.reconciler = Reconciler(self, self.executor.live)
        self.cancels = Cancels(self)
        self.pipeline = OrderPipeline(
            db,
            peers,
            prices,
            self.breaker,
            self.executor,
            tuning.limits,
            timedelta(hours=tuning.ttl_hours),
            clock,
            tracer,
            idempotency_wait=tuning.idempotency_wait_seconds,
            batching=tuning.batching,
        )
        self.status = StatusReader(db, self.breaker, tuning.limits, clock)
        self._tasks: list[asyncio.Task] = []

    def lease_span(self) -> timedelta:
        return timedelta(seconds=self.tuning.lease_seconds)

    def start_background(self) -> None:
        """The outbox worker, the resting paper order sweeper and the live reconciler (which
        makes its first pass at once, so a restart after a crash heals what it left)."""
        self._tasks = [
            asyncio.create_task(self.outbox.run(self.tuning.outbox_interval_seconds)),
            asyncio.create_task(self.executor.run(self.tuning.fill_check_seconds)),
        ]
        if self.reconciler is not None:
            run = self.reconciler.run(self.tuning.reconcile_seconds)
            self._tasks.append(asyncio.create_task(run))

    async def stop_background(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []

    async def close(self) -> None:
        """Stop the background tasks and close the exchange connections."""
        await self.stop_background()
        if self.executor.live is not None:
            await self.executor.live.close()
