"""Gates A, B and C, gate D's decision, and the order stored: one write transaction for one
order, or for the orders of several concurrent submissions at once (group commit).

For each order, in the order the orders came: A claims the key (or finds the unexpired claim
holding it: a replay, nothing else is checked; a new claim's preconditions are checked before
anything is stored, and a failed one gives its claim back); B is fee coverage; C the limiter's
counts under the user's lock row, with the orders of the same transaction accepted before it
counted too; D the decision the breaker's evaluation made before the transaction. The order is
stored REJECTED by the first gate that refuses, or ACCEPTED holding its limiter slot (a paper
market order filled with it, on its quote), committed with its claim.

Round trips on PostgreSQL, whatever the number of orders: the claims, the users' lock rows and
the counts with the BEGIN; the orders; their fills; what follows from the fills; the COMMIT.
The claims are taken in (user, key) order and the lock rows in user order, so two processes'
transactions cannot wait on each other in a circle.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import SimpleNamespace

from opentelemetry import trace
from sqlalchemy import Row

from services.common.db import Database, decimal_text, run_together
from services.common.errors import AppError, failed_precondition
from services.orders import breaker_store as bstore
from services.orders import outbox as ob
from services.orders import store
from services.orders.domain import limiter
from services.orders.domain.fees import fee_coverage
from services.orders.domain.model import Gate, GateDecision, OrderRequest, OrderType, Side, State
from services.orders.execution import Executor, FillBatch, Follow, Stored


@dataclass
class Plan:
    """What storing an accepted order needs, settled before its transaction."""

    expected_fee_bps: object
    paper_market: bool
    quote: object = None
    quote_error: AppError | None = None
    markets: frozenset = frozenset()  # (exchange, symbol) the user has fills in already


@dataclass(frozen=True)
class Job:
    """One order's front: its request, what was settled for it before the transaction (the
    bot, the costs, gate D's decision ``d``, the plan), and its gate A span (started by the
    caller, ended here once the key's claim is known) under the call's context ``parent``."""

    user_id: str
    req: OrderRequest
    order_id: str
    bot: object
    trace_id: str
    costs: object
    span_a: trace.Span
    parent: object
    d: GateDecision | None
    plan: Plan

    @property
    def key(self) -> tuple[str, str]:
        return self.user_id, self.req.idempotency_key


@dataclass(frozen=True)
class Front:
    """Gates A to D: the claim holding the key (a replay), or the decisions made and the
    order as stored (with its fill, for a paper market order). No claim and no decisions: a
    claim holding the key expired meanwhile; retry."""

    claim: Row | None = None
    decisions: list[GateDecision] = field(default_factory=list)
    order: Row | None = None
    stored: Stored | None = None


def _attrs(span: trace.Span, d: GateDecision) -> None:
    span.set_attribute("decision", "pass" if d.passed else "reject")
    span.set_attribute("reason", d.reason)
    if d.code:
        span.set_attribute("code", d.code)
    for key, value in d.figures.items():
        span.set_attribute(f"figure.{key}", value)


def _rejected(decisions: list[GateDecision], d: GateDecision) -> dict:
    """An order's columns when stored REJECTED by ``d``."""
    return {
        "state": str(State.REJECTED),
        "state_reason": d.reason,
        "gates": json.dumps([x.to_json() for x in decisions]),
        "rejection": json.dumps(d.to_json()),
        "done": True,
    }


class Fronts:
    def __init__(
        self,
        db: Database,
        executor: Executor,
        limits: limiter.Limits,
        ttl: timedelta,
        clock: Callable[[], datetime],
        tracer: trace.Tracer,
    ) -> None:
        self.db = db
        self.executor = executor
        self.limits = limits
        self.ttl = ttl
        self.clock = clock
        self.tracer = tracer

    def run(self, jobs: list[Job]) -> list[Front | AppError]:
        """The fronts of ``jobs`` in one transaction: each job's Front, or the AppError that
        refused it (its precondition: nothing of it is stored). An error of the transaction
        itself (the database lost) is raised: nothing of any job is stored."""
        now = self.clock()
        batched = store.BATCHED[self.db.dialect]
        first: dict[tuple[str, str], Job] = {}
        for j in jobs:  # a key sent twice is claimed for the first order that has it
            first.setdefault(j.key, j)
        claims = sorted(first.values(), key=lambda j: j.key)
        users = sorted({j.user_id for j in jobs})
        counted = sorted({(j.user_id, j.req.bot_id, j.req.exchange) for j in jobs})
        expires = now + self.ttl
        steps = batched.claims.steps([
            {"user_id": j.user_id, "idempotency_key": j.req.idempotency_key,
             "order_id": j.order_id, "fingerprint": j.req.fingerprint(), "expires_at": expires}
            for j in claims
        ])  # fmt: skip
        n_claims = len(steps)
        steps += batched.locks.steps([{"user_id": u, "taken": 0} for u in users])
        usage = len(steps)
        steps += [store.usage_step(u, b, ex, now, self.limits) for u, b, ex in counted]
        with self.db.write_starting(steps) as (conn, results):
            claimed = {r.order_id for rows in results[:n_claims] for r in rows}
            counts = dict(zip(counted, results[usage:], strict=True))
            return _Transaction(self, conn, now, batched).run(jobs, claimed, counts)


class _Transaction:
    """The work of Fronts.run inside its transaction."""

    def __init__(self, fronts: Fronts, conn, now: datetime, batched: store.Batched) -> None:
        self.f = fronts
        self.conn = conn
        self.now = now
        self.batched = batched
        self.accepted: Counter = Counter()  # slots taken in this transaction, per count's key

    def run(self, jobs: list[Job], claimed: set[str], counts: dict) -> list[Front | AppError]:
        conn = self.conn
        out: list[Front | AppError | None] = [None] * len(jobs)
        ours: dict[tuple[str, str], int] = {}  # a key claimed here -> the job that claimed it
        same: dict[int, int] = {}  # a job whose key another job here claimed -> that job
        rows: dict[int, dict] = {}  # job -> its order's row to store
        unclaims = []
        for i, job in enumerate(jobs):
            if job.key in ours:
                same[i] = ours[job.key]
                continue
            if job.order_id not in claimed and not self._take_expired(job):
                out[i] = Front(claim=store.find_claim(conn, *job.key, self.now))
                continue
            ours[job.key] = i
            try:
                self._preconditions(job)
            except AppError as exc:  # stored nothing: the claim is given back
                out[i] = exc
                unclaims.append(store.unclaim_step(*job.key, job.order_id))
                continue
            key = (job.user_id, job.req.bot_id, job.req.exchange)
            decisions, rows[i] = self._gates(job, counts[key])
            out[i] = Front(decisions=decisions)
        for i, first in same.items():  # the same key twice here: as the first one went
            other = out[first]
            out[i] = other if isinstance(other, AppError) else Front(
                claim=store.find_claim(conn, *jobs[i].key, self.now)
            )  # fmt: skip
        self._store(jobs, out, rows, unclaims)  # (and COMMIT)
        return out

    def _take_expired(self, job: Job) -> bool:
        """An expired claim holding the job's key taken over (under the user's lock)."""
        values = {"order_id": job.order_id, "fingerprint": job.req.fingerprint(),
                  "expires_at": self.now + self.f.ttl}  # fmt: skip
        return store.take_expired_claim(self.conn, *job.key, values, self.now)

    def _preconditions(self, job: Job) -> None:
        req = job.req
        if req.reduce_only:
            held = store.position(self.conn, job.user_id, req.bot_id, req.symbol)
            reduces = held > 0 if req.side is Side.SELL else held < 0
            if not reduces or req.amount > abs(held):
                raise failed_precondition(
                    "NOTHING_TO_REDUCE",
                    f"a reduce-only {req.side.lower()} of {decimal_text(req.amount)} needs a "
                    f"position at least that large the other way; the bot holds "
                    f"{decimal_text(held)} {req.base}",
                )
        elif job.bot.state != "RUNNING":
            raise failed_precondition(
                "BOT_NOT_RUNNING",
                f"the bot is {job.bot.state}: only a RUNNING bot takes orders (reduce-only "
                "orders are taken in any state)",
                state=job.bot.state,
            )

    def _usage(self, job: Job, counts) -> limiter.Usage:
        """The limiter's counts for this job: the database's, and the slots this transaction
        took before it (the bot's, the user's, the user's on the exchange in the window)."""
        req, u = job.req, job.user_id
        mine = self.accepted
        extra = (mine[(u, req.bot_id)], mine[(u,)], mine[(u, req.exchange)])
        return store.usage_of(self.conn, counts, u, req.exchange, self.now, self.f.limits, extra)

    def _take_slot(self, job: Job) -> None:
        u, req = job.user_id, job.req
        for key in ((u, req.bot_id), (u,), (u, req.exchange)):
            self.accepted[key] += 1

    def _gates(self, job: Job, counts) -> tuple[list[GateDecision], dict]:
        """A's pass, then B, C and D's decisions, each in its span: the decisions and the
        order's row as it is to be stored (REJECTED by the first refusal, else ACCEPTED)."""
        f, req, now = self.f, job.req, self.now
        a = GateDecision(
            Gate.IDEMPOTENCY, True, "a new idempotency key",
            figures={"ttl_hours": str(int(f.ttl.total_seconds() // 3600))},
        )  # fmt: skip
        job.span_a.set_attribute("order.id", job.order_id)
        _attrs(job.span_a, a)
        job.span_a.end()
        decisions = [a]
        with f.tracer.start_as_current_span("gate.fee_coverage", context=job.parent) as span:
            span.set_attribute("gate", str(Gate.FEE_COVERAGE))
            span.set_attribute("order.id", job.order_id)
            b = fee_coverage(req.type, req.expected_edge_bps, req.reduce_only, job.costs)
            _attrs(span, b)
            decisions.append(b)
        if b.passed:
            with f.tracer.start_as_current_span("gate.trade_limit", context=job.parent) as sp:
                sp.set_attribute("gate", str(Gate.TRADE_LIMIT))
                sp.set_attribute("order.id", job.order_id)
                c = limiter.decide(f.limits, self._usage(job, counts), now)
                _attrs(sp, c)
                decisions.append(c)
            if c.passed:
                if job.d is None:  # (not reached: an order without D's figures fails A)
                    raise RuntimeError("gate D was not evaluated for an order that reached it")
                with f.tracer.start_as_current_span(
                    "gate.circuit_breaker", context=job.parent
                ) as sp:
                    sp.set_attribute("gate", str(Gate.CIRCUIT_BREAKER))
                    sp.set_attribute("order.id", job.order_id)
                    _attrs(sp, job.d)
                    decisions.append(job.d)
        row = _order_row(job, now)
        last = decisions[-1]
        if not last.passed:
            return decisions, {**row, **_rejected(decisions, last)}
        self._take_slot(job)
        resting = req.type is OrderType.LIMIT and job.bot.mode == "PAPER"
        return decisions, {
            **row,
            "state": str(State.ACCEPTED),
            "gates": json.dumps([x.to_json() for x in decisions]),
            "expected_fee_bps": job.plan.expected_fee_bps,
            "done": resting,
            "limit_at": now,
        }

    def _paper_fill(self, job: Job, row: dict) -> Follow | None:
        """The fill of an accepted paper market order on its quote and what follows from it
        (None: no quote, or the simulator gives none), made in its own span: the order is
        stored filled already, its fill inserted as new (an insert that fails if its id is
        taken, failing the transaction: never an order filled without its fill)."""
        if job.plan.quote is None:
            return None
        with self.f.tracer.start_as_current_span("paper.fill", context=job.parent) as sp:
            sp.set_attribute("order.id", job.order_id)
            order = SimpleNamespace(**store.full_order_row(row))  # as it is about to be stored
            new = self.f.executor.paper_new_fill(order, job.plan.quote)
            if new is None:
                return None
            batch = FillBatch(order, [new], "PAPER", self.now, known_markets=job.plan.markets)
            return batch.follow(batch.values)  # a new order's fill is new

    def _store(self, jobs: list[Job], out: list, rows: dict[int, dict], unclaims: list) -> None:
        """Store the orders decided (``rows``: job -> its order's row), a paper market order
        with its fill and what follows from it (its outbox row, its market noted, the order
        filled), the claims of failed preconditions given back, then the breaker's snapshot of
        each user and quote currency with a new fill, and COMMIT: one statement per table for
        all of them, in one round trip."""
        follows: dict[int, Follow] = {}
        for i, row in rows.items():
            if row["state"] == str(State.ACCEPTED) and jobs[i].plan.paper_market:
                follow = self._paper_fill(jobs[i], row)
                if follow is not None:
                    follows[i] = follow
                    rows[i] = {**row, **follow.update}
        fs = list(follows.values())
        slots = [r for r in rows.values() if r["state"] != str(State.REJECTED)]
        parts = {
            "orders": store.orders_steps(self.conn, list(rows.values()), slots),
            "fills": self.batched.new_fills.steps([v for f in fs for v in f.values]),
            "outbox": ob.ROWS_INSERT[self.f.db.dialect].steps([r for f in fs for r in f.outbox]),
            "other": [*(store.market_step(v) for f in fs for v in f.markets), *unclaims],
        }
        snaps = sorted({f.snapshot for f in fs if f.snapshot})
        for key in snaps:
            parts[key] = bstore.snapshot_steps(*key, self.now)
        steps, where = [], {}
        for name, group in parts.items():
            where[name] = (len(steps), len(steps) + len(group))
            steps += group
        results = run_together(self.conn, steps, commit=True)

        def rows_of(name: str) -> list:
            lo, hi = where[name]
            return [r for part in results[lo:hi] for r in part]

        orders = {r.id: r for r in rows_of("orders")}
        fills = {r.fill_id: r for r in rows_of("fills")}
        ids = {r.ref: r.id for r in rows_of("outbox")}
        for i in rows:
            order = orders[jobs[i].order_id]
            stored = Stored() if jobs[i].plan.paper_market else None
            f = follows.get(i)
            if f is not None:
                pending = [ob.pending_of(row, ids[row["ref"]]) for row in f.outbox]
                f.fills = [fills[v["fill_id"]] for v in f.values]
                lo, hi = where[f.snapshot]
                stored = f.stored(pending, order, results[lo:hi])
            out[i] = Front(decisions=out[i].decisions, order=order, stored=stored)


def _order_row(job: Job, now: datetime) -> dict:
    req = job.req
    return {
        "id": job.order_id,
        "user_id": job.user_id,
        "bot_id": req.bot_id,
        "idempotency_key": req.idempotency_key,
        "fingerprint": req.fingerprint(),
        "exchange": req.exchange,
        "symbol": req.symbol,
        "side": str(req.side),
        "type": str(req.type),
        "amount": req.amount,
        "price": req.price,
        "expected_edge_bps": req.expected_edge_bps,
        "reduce_only": req.reduce_only,
        "mode": job.bot.mode,
        "state": str(State.RECEIVED),
        "state_reason": "",
        "trace_id": job.trace_id,
        "filled_amount": 0 * req.amount,
        "done": False,
        "created_at": now,
        "updated_at": now,
    }
