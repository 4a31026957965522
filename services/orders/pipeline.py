"""SubmitOrder: validation, the bot check, then gates A, B, C, D in order, then execution.

Each gate is a child span of the call's span with its decision, reason, figures and the order
id. The first refusal ends the order as REJECTED (an answer, not an error).

- A, idempotency: a claim row, primary key (user, key), taken in the transaction that stores
  the order. A repeated key with the same parameters gets the original order (``replayed``)
  once its submission has its answer (waiting up to ``idempotency_wait`` seconds, then ABORTED
  IDEMPOTENCY_KEY_IN_USE); other parameters are ALREADY_EXISTS IDEMPOTENCY_KEY_REUSED.
- C, limiter: counting and taking a slot in one transaction under the user's lock row: the
  day counts are counter rows kept with the slots, the burst window a count of the orders in it.
- D, breaker: refused while a breaker is tripped; otherwise evaluated from the ledger first.
  The evaluation (its figures read from the order's arrival) happens before the order's
  transaction, so no lock waits on the ledger; D's decision is applied after C, in it.

One transaction per order (front.py; the orders of concurrent submissions share one): it opens
with A's claim and C's lock and counts (one round trip) and stores the order once, REJECTED by
the first gate that refuses or ACCEPTED with its slot (a paper market order with its fill), so
an interrupted submission leaves nothing behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import grpc
from opentelemetry import context as otel_context
from opentelemetry import trace
from sqlalchemy import Row

from services.common.coalesce import DEFAULT as batching_default
from services.common.coalesce import Batching, Coalescer, traced
from services.common.db import Database
from services.common.errors import (
    AppError,
    already_exists,
    invalid,
    not_found,
)
from services.orders import store
from services.orders.breaker import Breaker
from services.orders.clients import Peers
from services.orders.domain import breaker as bdomain
from services.orders.domain import limiter
from services.orders.domain.model import Gate, GateDecision, OrderRequest, OrderType, State
from services.orders.execution import Executor
from services.orders.front import Front, Fronts, Job, Plan
from services.orders.prices import Prices

BREAKER_RETRY_SECONDS = 5


@dataclass(frozen=True)
class OrderOut:
    order: Row
    fills: list[Row]
    replayed: bool = False


class OrderPipeline:
    def __init__(
        self,
        db: Database,
        peers: Peers,
        prices: Prices,
        breaker: Breaker,
        executor: Executor,
        limits: limiter.Limits,
        ttl: timedelta,
        clock: Callable[[], datetime],
        tracer: trace.Tracer,
        idempotency_wait: float = 3.0,
        batching: Batching = batching_default,
    ) -> None:
        """``batching``: how the gates of concurrent orders share transactions (a max_batch
        of 1: each alone)."""
        self.db = db
        self.peers = peers
        self.prices = prices
        self.breaker = breaker
        self.executor = executor
        self.limits = limits
        self.ttl = ttl
        self.clock = clock
        self.tracer = tracer
        self.idempotency_wait = idempotency_wait
        self.batching = batching
        self.fronts = Fronts(db, executor, limits, ttl, clock, tracer)
        self._fronts: Coalescer[Job, Front] = Coalescer(self._run_fronts, batching)

    async def submit(self, user_id: str, req: OrderRequest) -> OrderOut:
        ctx = trace.get_current_span().get_span_context()
        trace_id = format(ctx.trace_id, "032x") if ctx.is_valid else ""
        # Gate D's figures are read for this order from its arrival, beside the bot check
        # (the breaker's state and the ledger's figures before this order executes): the
        # breaker's evaluation then waits only for what is left of that read. Nothing read is
        # used or shown unless the bot is the caller's.
        prefetch = asyncio.create_task(
            self.breaker.prefetch(user_id, req.bot_id, req.exchange, req.symbol, req.reduce_only)
        )
        try:
            bot = await self.peers.get_bot(user_id, req.bot_id)
            if bot.exchange and req.exchange != bot.exchange:
                raise invalid("exchange", f"must be the bot's exchange {bot.exchange!r}")
            if bot.symbol and req.symbol != bot.symbol:
                raise invalid("symbol", f"must be the bot's symbol {bot.symbol!r}")
            costs = self.prices.costs(req.exchange, req.symbol)  # an unknown exchange: bad input
            order_id = str(uuid.uuid4())
            return await self._submit(user_id, req, bot, costs, order_id, trace_id, prefetch)
        finally:  # not needed (a replay, bad input, a bot not running) or awaited already: an
            # outcome nobody uses (gate D, which uses it, has raised or returned from it)
            prefetch.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await prefetch

    async def _submit(self, user_id, req, bot, costs, order_id, trace_id, prefetch) -> OrderOut:
        # --- the breaker's evaluation, before the order's transaction -------------------------
        # The breaker is evaluated (and tripped, if its figures say so) on what was read for it
        # since the order arrived, before the transaction of gates A to C starts: no lock is
        # held while the ledger answers. Gate D applies its decision after C, in that
        # transaction (its span holds the decision; this one the wait and the evaluation).
        d = None
        if req.reduce_only or bot.state == "RUNNING":  # else gate A refuses the order
            with self.tracer.start_as_current_span("breaker.evaluate") as span:
                span.set_attribute("order.id", order_id)
                d = await self._breaker(user_id, req, prefetch)
                span.set_attribute("decision", "pass" if d.passed else "reject")
        plan = Plan(costs.fee_bps(req.type), bot.mode == "PAPER" and req.type is OrderType.MARKET)
        if plan.paper_market and d is not None and d.passed:  # its quote, taken just before
            plan.markets = frozenset(prefetch.result()[0].markets)  # (read for gate D)
            try:
                plan.quote = await self.prices.quote(req.exchange, req.symbol)
            except AppError as exc:
                plan.quote_error = exc

        # --- gates A, B, C, then D's decision and the order stored: one transaction ----------
        parent = otel_context.get_current()
        span = self.tracer.start_span("gate.idempotency")
        span.set_attribute("gate", str(Gate.IDEMPOTENCY))
        ex = self.executor
        job = Job(user_id, req, order_id, bot, trace_id, costs, span, parent, d, plan)
        try:
            with trace.use_span(span, record_exception=False, set_status_on_exception=False):
                for _ in range(3):
                    front = await self._front(job)
                    if front.claim is not None:
                        span.set_attribute("order.id", front.claim.order_id)
                        return await self._replay(span, user_id, req, front.claim)
                    if front.decisions:
                        break
                else:
                    raise AppError(
                        grpc.StatusCode.ABORTED, "IDEMPOTENCY_KEY_IN_USE",
                        "the idempotency key is being claimed concurrently; retry",
                    )  # fmt: skip
        except BaseException as exc:
            if span.is_recording():
                span.record_exception(exc)
                span.set_status(trace.Status(trace.StatusCode.ERROR, str(exc)))
            raise
        finally:
            if span.is_recording():
                span.end()
        order = front.order
        if order.state == str(State.REJECTED):  # refused by a gate
            return OrderOut(order, [])
        if not plan.paper_market:
            await ex.execute(order)
            return await self.read(user_id, order_id)
        # a paper market order: filled in the transaction that stored it, on its quote
        with ex.span(order_id, req.exchange, "PAPER", str(req.type)):
            if plan.quote_error is not None:
                await ex.fail(order, plan.quote_error.message)
                return await self.read(user_id, order_id)
            stored = front.stored
            if stored is None or not await ex.after_store(order, stored):
                return await self.read(user_id, order_id)
        return OrderOut(stored.order, stored.fills)

    async def _front(self, job: Job) -> Front:
        """Gates A to D and the order stored (front.py): in one transaction with the orders
        that concurrent submissions send at the same time, or alone when traced (its
        statements then in its own trace) or when batching is off."""
        if self.batching.max_batch > 1 and not traced():
            return await self._fronts.call(job)
        [front] = await asyncio.to_thread(self.fronts.run, [job])
        if isinstance(front, AppError):
            raise front
        return front

    async def _run_fronts(self, jobs: list[Job]) -> list[Front | AppError]:
        return await asyncio.to_thread(self.fronts.run, jobs)

    # --- reads ---------------------------------------------------------------------------------

    async def read(self, user_id: str, order_id: str, replayed: bool = False) -> OrderOut:
        def load():
            with self.db.read() as conn:
                row = store.get_order(conn, order_id, user_id)
                return row, (store.fills_of(conn, [order_id])[order_id] if row else [])

        row, fills = await asyncio.to_thread(load)
        if row is None:
            raise not_found(f"order {order_id!r}", "ORDER_NOT_FOUND")
        return OrderOut(row, fills, replayed)

    async def _replay(self, span, user_id: str, req: OrderRequest, claim) -> OrderOut:
        if claim.fingerprint != req.fingerprint():
            span.set_attribute("decision", "conflict")
            raise already_exists(
                "IDEMPOTENCY_KEY_REUSED",
                f"idempotency key {req.idempotency_key!r} was used for another order "
                f"({claim.order_id}) with other parameters",
            )
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.idempotency_wait
        while True:
            out = await self.read(user_id, claim.order_id, replayed=True)
            if out.order.done:
                span.set_attribute("decision", "replay")
                return out
            if loop.time() >= deadline:
                span.set_attribute("decision", "in_use")
                raise AppError(
                    grpc.StatusCode.ABORTED,
                    "IDEMPOTENCY_KEY_IN_USE",
                    f"order {claim.order_id} with this idempotency key is still being "
                    "processed; retry shortly",
                    metadata={"order_id": claim.order_id, "retry_after_seconds": "1"},
                )
            await asyncio.sleep(0.05)

    async def _breaker(self, user_id: str, req: OrderRequest, prefetch) -> GateDecision:
        snap, measured = await prefetch
        views = snap.views
        figures: dict[str, str] = {}
        if isinstance(measured, AppError):
            return GateDecision(
                Gate.CIRCUIT_BREAKER,
                False,
                f"the breaker's figures cannot be had ({measured.message}); no order is taken "
                "without them",
                code="BREAKER_METRICS_UNAVAILABLE",
                figures={"retry_after_seconds": str(BREAKER_RETRY_SECONDS)},
                retry_after_seconds=BREAKER_RETRY_SECONDS,
            )
        if measured is not None:
            views = await self.breaker.judge(user_id, req.bot_id, snap, measured)
            for sm in measured:
                figures.update(sm.metrics.as_figures("account." if not sm.bot_id else "bot."))
        return bdomain.decide(views, req.reduce_only, figures)
