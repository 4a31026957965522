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

One transaction per order: it opens with A's claim and C's lock and counts (one round trip)
and stores the order once, REJECTED by the first gate that refuses or ACCEPTED with its slot
(a paper market order with its fill), so an interrupted submission leaves nothing behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import grpc
from opentelemetry import context as otel_context
from opentelemetry import trace
from sqlalchemy import Row

from services.common.db import Database, decimal_text
from services.common.errors import (
    AppError,
    already_exists,
    failed_precondition,
    invalid,
    not_found,
)
from services.orders import store
from services.orders.breaker import Breaker
from services.orders.clients import Peers
from services.orders.domain import breaker as bdomain
from services.orders.domain import limiter
from services.orders.domain.fees import fee_coverage
from services.orders.domain.model import Gate, GateDecision, OrderRequest, OrderType, Side, State
from services.orders.execution import Executor, Stored
from services.orders.prices import Prices

BREAKER_RETRY_SECONDS = 5


@dataclass(frozen=True)
class OrderOut:
    order: Row
    fills: list[Row]
    replayed: bool = False


def _attrs(span: trace.Span, d: GateDecision) -> None:
    span.set_attribute("decision", "pass" if d.passed else "reject")
    span.set_attribute("reason", d.reason)
    if d.code:
        span.set_attribute("code", d.code)
    for key, value in d.figures.items():
        span.set_attribute(f"figure.{key}", value)


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
    ) -> None:
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
        plan = _Plan(costs.fee_bps(req.type), bot.mode == "PAPER" and req.type is OrderType.MARKET)
        if plan.paper_market and d is not None and d.passed:  # its quote, taken just before
            try:
                plan.quote = await self.prices.quote(req.exchange, req.symbol)
            except AppError as exc:
                plan.quote_error = exc

        # --- gates A, B, C, then D's decision and the order stored: one transaction ----------
        parent = otel_context.get_current()
        span = self.tracer.start_span("gate.idempotency")
        span.set_attribute("gate", str(Gate.IDEMPOTENCY))
        ex = self.executor
        try:
            with trace.use_span(span, record_exception=False, set_status_on_exception=False):
                for _ in range(3):
                    front = await asyncio.to_thread(
                        self._front, user_id, req, order_id, bot, trace_id, costs, span, parent,
                        d, plan,
                    )  # fmt: skip
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
        if order.state != str(State.ACCEPTED):  # refused by a gate: stored REJECTED
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

    # --- gate A ---------------------------------------------------------------------------------

    def _preconditions(self, conn, user_id: str, req: OrderRequest, bot_state: str) -> None:
        if req.reduce_only:
            held = store.position(conn, user_id, req.bot_id, req.symbol)
            reduces = held > 0 if req.side is Side.SELL else held < 0
            if not reduces or req.amount > abs(held):
                raise failed_precondition(
                    "NOTHING_TO_REDUCE",
                    f"a reduce-only {req.side.lower()} of {decimal_text(req.amount)} needs a "
                    f"position at least that large the other way; the bot holds "
                    f"{decimal_text(held)} {req.base}",
                )
        elif bot_state != "RUNNING":
            raise failed_precondition(
                "BOT_NOT_RUNNING",
                f"the bot is {bot_state}: only a RUNNING bot takes orders (reduce-only orders "
                "are taken in any state)",
                state=bot_state,
            )

    def _front(
        self, user_id: str, req: OrderRequest, order_id: str, bot, trace_id: str, costs,
        span_a: trace.Span, parent, d: GateDecision | None, plan: _Plan,
    ) -> Front:  # fmt: skip
        """Gates A, B and C, and gate D's decision (``d``, evaluated before), in one write
        transaction. A: claim the key, or find the unexpired claim holding it (a replay:
        nothing else is checked); a new claim's preconditions are checked before anything is
        stored, and a failed one rolls the claim back. B: fee coverage. C: the limiter's counts
        under the user's lock row. The claim, the lock and the counts are sent together. The
        order is stored once, at the end: REJECTED by B, C or D, or ACCEPTED holding its
        limiter slot (a paper market order filled with it, on ``plan.quote``), committed with
        the claim. A Front with no claim and no decisions: a claim holding the key expired
        meanwhile; retry."""
        now = self.clock()
        fp = req.fingerprint()
        steps = store.claim_steps(
            user_id, req.idempotency_key, order_id, fp, now, self.ttl, req.bot_id, req.exchange,
            self.limits,
        )  # fmt: skip
        # the transaction starts with the claim, the limiter's lock and its counts: one round
        # trip on PostgreSQL, its BEGIN included
        with self.db.write_starting(steps) as (conn, results):
            claimed, usage = store.claimed_and_usage(conn, steps, results, now, self.limits)
            if not claimed:
                return Front(claim=store.find_claim(conn, user_id, req.idempotency_key, now))
            self._preconditions(conn, user_id, req, bot.state)
            a = GateDecision(
                Gate.IDEMPOTENCY, True, "a new idempotency key",
                figures={"ttl_hours": str(int(self.ttl.total_seconds() // 3600))},
            )  # fmt: skip
            span_a.set_attribute("order.id", order_id)
            _attrs(span_a, a)
            span_a.end()
            row = {
                "id": order_id,
                "user_id": user_id,
                "bot_id": req.bot_id,
                "idempotency_key": req.idempotency_key,
                "fingerprint": fp,
                "exchange": req.exchange,
                "symbol": req.symbol,
                "side": str(req.side),
                "type": str(req.type),
                "amount": req.amount,
                "price": req.price,
                "expected_edge_bps": req.expected_edge_bps,
                "reduce_only": req.reduce_only,
                "mode": bot.mode,
                "state": str(State.RECEIVED),
                "state_reason": "",
                "trace_id": trace_id,
                "filled_amount": 0 * req.amount,
                "done": False,
                "created_at": now,
                "updated_at": now,
            }
            decisions = [a]
            with self.tracer.start_as_current_span("gate.fee_coverage", context=parent) as span:
                span.set_attribute("gate", str(Gate.FEE_COVERAGE))
                span.set_attribute("order.id", order_id)
                b = fee_coverage(req.type, req.expected_edge_bps, req.reduce_only, costs)
                _attrs(span, b)
                decisions.append(b)
            if b.passed:
                with self.tracer.start_as_current_span("gate.trade_limit", context=parent) as sp:
                    sp.set_attribute("gate", str(Gate.TRADE_LIMIT))
                    sp.set_attribute("order.id", order_id)
                    c = limiter.decide(self.limits, usage, now)
                    _attrs(sp, c)
                    decisions.append(c)
                if c.passed:
                    if d is None:  # (not reached: an order without D's figures fails A)
                        raise RuntimeError("gate D was not evaluated for an order that reached it")
                    with self.tracer.start_as_current_span(
                        "gate.circuit_breaker", context=parent
                    ) as sp:
                        sp.set_attribute("gate", str(Gate.CIRCUIT_BREAKER))
                        sp.set_attribute("order.id", order_id)
                        _attrs(sp, d)
                        decisions.append(d)
            last = decisions[-1]
            if not last.passed:
                order = store.insert_order_returning(conn, {**row, **_rejected(decisions, last)})
                return Front(decisions=decisions, order=order)
            resting = req.type is OrderType.LIMIT and bot.mode == "PAPER"
            accepted = {
                **row,
                "state": str(State.ACCEPTED),
                "gates": json.dumps([x.to_json() for x in decisions]),
                "expected_fee_bps": plan.expected_fee_bps,
                "done": resting,
                "limit_at": now,
            }
            order = store.insert_order_with_slot(conn, accepted, returning=True)
            stored = None
            if plan.paper_market and plan.quote is not None:  # filled as it is stored
                with self.tracer.start_as_current_span("paper.fill", context=parent) as sp:
                    sp.set_attribute("order.id", order_id)
                    ex = self.executor
                    new = ex.paper_new_fill(order, plan.quote)
                    stored = (
                        Stored() if new is None else ex.store_fills_in(conn, order, [new], "PAPER")
                    )
        return Front(decisions=decisions, order=order, stored=stored)

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


def _rejected(decisions: list[GateDecision], d: GateDecision) -> dict:
    """An order's columns when stored REJECTED by ``d``."""
    return {
        "state": str(State.REJECTED),
        "state_reason": d.reason,
        "gates": json.dumps([x.to_json() for x in decisions]),
        "rejection": json.dumps(d.to_json()),
        "done": True,
    }


@dataclass(frozen=True)
class Front:
    """Gates A to D: the claim holding the key (a replay), or the decisions made and the
    order as stored (with its fill, for a paper market order)."""

    claim: Row | None = None
    decisions: list[GateDecision] = field(default_factory=list)
    order: Row | None = None
    stored: Stored | None = None


@dataclass
class _Plan:
    """What storing an accepted order needs, settled before its transaction."""

    expected_fee_bps: object
    paper_market: bool
    quote: object = None
    quote_error: AppError | None = None
