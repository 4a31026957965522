"""SubmitOrder: validation, the bot check, then gates A, B, C, D in order, then execution.

Each gate is a child span of the call's span with its decision, reason, figures and the order
id. The first refusal ends the order as REJECTED (an answer, not an error).

- A, idempotency: a claim row, primary key (user, key), taken in the transaction that stores
  the order. A repeated key with the same parameters gets the original order (``replayed``)
  once its submission has its answer (waiting up to ``idempotency_wait`` seconds, then ABORTED
  IDEMPOTENCY_KEY_IN_USE); other parameters are ALREADY_EXISTS IDEMPOTENCY_KEY_REUSED.
- C, limiter: counting and taking a slot in one transaction under the user's lock row.
- D, breaker: refused while a breaker is tripped; otherwise evaluated from the ledger first.
  A refusal by D gives the limiter slot back.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import grpc
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
from services.orders.execution import Executor
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
        bot = await self.peers.get_bot(user_id, req.bot_id)
        if bot.exchange and req.exchange != bot.exchange:
            raise invalid("exchange", f"must be the bot's exchange {bot.exchange!r}")
        if bot.symbol and req.symbol != bot.symbol:
            raise invalid("symbol", f"must be the bot's symbol {bot.symbol!r}")
        costs = self.prices.costs(req.exchange, req.symbol)  # an unknown exchange is bad input
        order_id = str(uuid.uuid4())

        # --- gate A: idempotency --------------------------------------------------------------
        with self.tracer.start_as_current_span("gate.idempotency") as span:
            span.set_attribute("gate", str(Gate.IDEMPOTENCY))
            a = GateDecision(
                Gate.IDEMPOTENCY, True, "a new idempotency key",
                figures={"ttl_hours": str(int(self.ttl.total_seconds() // 3600))},
            )  # fmt: skip
            for _ in range(3):
                taken, claim = await asyncio.to_thread(
                    self._claim, user_id, req, order_id, bot, trace_id, a
                )
                if claim is not None:
                    span.set_attribute("order.id", claim.order_id)
                    return await self._replay(span, user_id, req, claim)
                if taken:
                    span.set_attribute("order.id", order_id)
                    _attrs(span, a)
                    break
            else:
                raise AppError(
                    grpc.StatusCode.ABORTED, "IDEMPOTENCY_KEY_IN_USE",
                    "the idempotency key is being claimed concurrently; retry",
                )  # fmt: skip
        decisions = [a]

        # --- gate B: fee coverage -------------------------------------------------------------
        with self.tracer.start_as_current_span("gate.fee_coverage") as span:
            span.set_attribute("gate", str(Gate.FEE_COVERAGE))
            span.set_attribute("order.id", order_id)
            b = fee_coverage(req.type, req.expected_edge_bps, req.reduce_only, costs)
            _attrs(span, b)
            decisions.append(b)
            if not b.passed:
                await asyncio.to_thread(self._reject, order_id, decisions, b, False)
                return await self.read(user_id, order_id)

        # --- gate C: trade limiter ------------------------------------------------------------
        with self.tracer.start_as_current_span("gate.trade_limit") as span:
            span.set_attribute("gate", str(Gate.TRADE_LIMIT))
            span.set_attribute("order.id", order_id)
            c = await asyncio.to_thread(self._limit, order_id, user_id, req, decisions)
            _attrs(span, c)
            decisions.append(c)
            if not c.passed:
                return await self.read(user_id, order_id)

        # --- gate D: circuit breaker ----------------------------------------------------------
        with self.tracer.start_as_current_span("gate.circuit_breaker") as span:
            span.set_attribute("gate", str(Gate.CIRCUIT_BREAKER))
            span.set_attribute("order.id", order_id)
            d = await self._breaker(user_id, req)
            _attrs(span, d)
            decisions.append(d)
            if not d.passed:
                await asyncio.to_thread(self._reject, order_id, decisions, d, True)
                return await self.read(user_id, order_id)

        expected_fee = costs.fee_bps(req.type)
        resting = req.type is OrderType.LIMIT and bot.mode == "PAPER"
        order = await asyncio.to_thread(self._accept, order_id, decisions, expected_fee, resting)
        if order.state == str(State.ACCEPTED):
            await self.executor.execute(order)
        # else the sweep failed it meanwhile (its gates outlasted STALE_RECEIVED, e.g. after a
        # database outage): the client was or will be told FAILED, so nothing may execute
        return await self.read(user_id, order_id)

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

    def _claim(
        self, user_id: str, req: OrderRequest, order_id: str, bot, trace_id: str,
        a: GateDecision,
    ) -> tuple[bool, Row | None]:  # fmt: skip
        """In one transaction: claim the key, or find the unexpired claim holding it (a
        replay: no precondition is checked); a new claim's preconditions are checked before
        the order is stored, and a failed one rolls the claim back. (False, None): a claim
        holding the key expired meanwhile; retry."""
        now = self.clock()
        with self.db.write() as conn:
            fp = req.fingerprint()
            if not store.take_claim(
                conn, user_id, req.idempotency_key, order_id, fp, now, self.ttl
            ):
                return False, store.find_claim(conn, user_id, req.idempotency_key, now)
            self._preconditions(conn, user_id, req, bot.state)
            store.insert_order(
                conn,
                {
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
                    "gates": json.dumps([a.to_json()]),
                    "trace_id": trace_id,
                    "filled_amount": 0 * req.amount,
                    "done": False,
                    "created_at": now,
                    "updated_at": now,
                },
            )
        return True, None

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

    # --- gates B to D: storing decisions --------------------------------------------------------

    def _reject(
        self, order_id: str, decisions: list[GateDecision], d: GateDecision, release: bool,
        conn=None,
    ) -> None:  # fmt: skip
        values = {
            "state": str(State.REJECTED),
            "state_reason": d.reason,
            "gates": json.dumps([x.to_json() for x in decisions]),
            "rejection": json.dumps(d.to_json()),
            "done": True,
            "updated_at": self.clock(),
        }
        if release:
            values["limit_at"] = None
        if conn is not None:
            store.update_order(conn, order_id, [str(State.RECEIVED)], **values)
            return
        with self.db.write() as conn:
            store.update_order(conn, order_id, [str(State.RECEIVED)], **values)

    def _limit(
        self, order_id: str, user_id: str, req: OrderRequest, decisions: list[GateDecision]
    ) -> GateDecision:
        now = self.clock()
        with self.db.write() as conn:
            store.lock_user(conn, user_id)
            usage = store.limiter_usage(conn, user_id, req.bot_id, req.exchange, now, self.limits)
            c = limiter.decide(self.limits, usage, now)
            gates = json.dumps([x.to_json() for x in [*decisions, c]])
            if c.passed:
                store.update_order(conn, order_id, limit_at=now, gates=gates, updated_at=now)
            else:
                self._reject(order_id, [*decisions, c], c, False, conn)
        return c

    async def _breaker(self, user_id: str, req: OrderRequest) -> GateDecision:
        snap = await asyncio.to_thread(self.breaker.snapshot, user_id, req.bot_id, req.symbol)
        views = snap.views
        figures: dict[str, str] = {}
        if not req.reduce_only and not any(v.tripped for v in views):
            try:
                views, measured = await self.breaker.evaluate(
                    user_id, req.bot_id, req.exchange, req.symbol, snap
                )
            except AppError as exc:
                return GateDecision(
                    Gate.CIRCUIT_BREAKER,
                    False,
                    f"the breaker's figures cannot be had ({exc.message}); no order is taken "
                    "without them",
                    code="BREAKER_METRICS_UNAVAILABLE",
                    figures={"retry_after_seconds": str(BREAKER_RETRY_SECONDS)},
                    retry_after_seconds=BREAKER_RETRY_SECONDS,
                )
            for sm in measured:
                figures.update(sm.metrics.as_figures("account." if not sm.bot_id else "bot."))
        return bdomain.decide(views, req.reduce_only, figures)

    def _accept(
        self, order_id: str, decisions: list[GateDecision], expected_fee_bps, done: bool
    ) -> Row:
        now = self.clock()
        with self.db.write() as conn:
            store.update_order(
                conn,
                order_id,
                [str(State.RECEIVED)],
                state=str(State.ACCEPTED),
                gates=json.dumps([x.to_json() for x in decisions]),
                expected_fee_bps=expected_fee_bps,
                done=done,
                updated_at=now,
            )
            return store.get_order(conn, order_id)
