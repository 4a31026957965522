"""Execution: paper fills on market data, resting paper limit orders, and live orders.

Every fill is stored with its outbox row in one transaction, under the order's row lock and
once by its id (a paper fill's id is ``<order id>:1``, a live one's ``<order id>:<trade id>``),
so two processes sweeping the same order cannot fill it twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal, localcontext
from typing import Any

from google.protobuf.timestamp_pb2 import Timestamp
from opentelemetry import trace

from amarktai.common.v1 import trading_pb2 as tpb
from amarktai.ledger.v1 import ledger_pb2
from services.common.db import Database, decimal_text, run_together
from services.common.errors import AppError
from services.common.logs import log_event
from services.orders import breaker_store as bstore
from services.orders import outbox as ob
from services.orders import store
from services.orders.breaker import Breaker, Snapshot, snapshot_from
from services.orders.domain import paper
from services.orders.domain.model import OrderType, Side, State
from services.orders.domain.states import check_move, is_final, state_after_fill
from services.orders.faults import AFTER_COMMIT, Faults
from services.orders.prices import Prices

log = logging.getLogger("amarktai.orders.execution")
STALE_MARKET = timedelta(seconds=30)  # an accepted paper market order left by a dead process
# An order whose gates a dead process (or a lost database connection) never decided. A normal
# submission decides its gates in well under this: its few downstream calls are capped by
# ORDERS_CALL_TIMEOUT_SECONDS (5) and the gateway gives up after 10 s. Failing it is safe even
# if its submission is still alive: the accept is conditional on RECEIVED, and only an order
# whose accept took effect executes (pipeline.submit), so that submission answers FAILED too.
# Until then a retry with the same key is told IDEMPOTENCY_KEY_IN_USE (retryable).
STALE_RECEIVED = timedelta(seconds=25)
FILLABLE = (State.ACCEPTED, State.SUBMITTED, State.PARTIALLY_FILLED)


@dataclass(frozen=True)
class NewFill:
    fill_id: str
    amount: Decimal
    price: Decimal
    fee: Decimal
    fee_currency: str
    expected_price: Decimal | None
    expected_fee_bps: Decimal | None
    trade_id: str = ""
    fee_quote: Decimal | None = None


@dataclass(frozen=True)
class Stored:
    """What storing fills did: the outbox rows of the new fills, the order after them, the new
    fills' rows, and the breaker's snapshot read in that transaction."""

    pending: list[ob.Pending] = field(default_factory=list)
    order: Any = None
    fills: list = field(default_factory=list)
    snap: Snapshot | None = None


class Executor:
    def __init__(
        self,
        db: Database,
        prices: Prices,
        outbox: ob.Outbox,
        breaker: Breaker,
        paper_slippage_bps: Decimal,
        clock: Callable[[], datetime],
        tracer: trace.Tracer,
        live: Any = None,
        faults: Faults | None = None,
    ) -> None:
        self.db = db
        self.prices = prices
        self.outbox = outbox
        self.breaker = breaker
        self.paper_slippage_bps = paper_slippage_bps
        self.clock = clock
        self.tracer = tracer
        self.live = live
        self.faults = faults or Faults()

    @contextmanager
    def span(self, order_id: str, exchange: str, mode: str, order_type: str):
        """The execution span of one order."""
        with self.tracer.start_as_current_span("execute") as span:
            span.set_attribute("order.id", order_id)
            span.set_attribute("exchange", exchange)
            span.set_attribute("mode", mode)
            span.set_attribute("order.type", order_type)
            yield span

    async def execute(self, order) -> None:
        """Execute an order that just passed the gates (a paper limit order rests)."""
        with self.span(order.id, order.exchange, order.mode, order.type):
            if order.mode == "LIVE":
                if self.live is None:
                    await self.fail(order, "live trading is not available in this build")
                    return
                await self.live.execute(order)
            elif order.type == OrderType.MARKET:
                await self.paper_market(order)

    async def paper_market(self, order) -> None:
        try:
            quote = await self.prices.quote(order.exchange, order.symbol)
        except AppError as exc:
            await self.fail(order, exc.message)
            return
        await self.paper_fill(order, quote)

    async def paper_fill(self, order, quote: paper.Quote) -> bool:
        fill = self.paper_new_fill(order, quote)
        if fill is None:
            return False
        return await self.record_fills(order, [fill], "PAPER")

    def paper_new_fill(self, order, quote: paper.Quote) -> NewFill | None:
        """The paper fill of an order on this quote; None while a limit is not reached."""
        maker, taker = self.prices.fees(order.exchange)
        pf = paper.simulate(
            OrderType(order.type),
            Side(order.side),
            order.amount,
            order.price,
            quote,
            maker_bps=maker,
            taker_bps=taker,
            spread_bps=self.prices.spread_bps(order.symbol),
            slippage_bps=self.paper_slippage_bps,
        )
        if pf is None:
            return None
        return NewFill(
            fill_id=f"{order.id}:1",
            amount=pf.amount,
            price=pf.price,
            fee=pf.fee,
            fee_currency=order.symbol.split("/", 1)[1],
            expected_price=pf.expected_price,
            expected_fee_bps=pf.expected_fee_bps,
        )

    async def record_fills(
        self,
        order,
        new: list[NewFill],
        source: str,
        final_state: State | None = None,
        complete: bool = True,
    ) -> bool:
        """Store fills (once each) with their outbox rows, deliver them, re-check the breaker.

        ``final_state`` is the state the exchange reports; when ``complete`` is False (the
        exchange reported more filled than the fills it listed) the order does not become
        final yet, so that the missing fills are still recorded when they show up."""
        stored = await asyncio.to_thread(
            self._store_fills, order.id, new, source, final_state, complete
        )
        return await self.after_store(order, stored)

    async def after_store(self, order, stored: Stored) -> bool:
        """After the fills' commit: deliver them, then evaluate the breaker (on the snapshot
        read in that transaction)."""
        if not stored.pending:
            return False
        self.faults.hit(AFTER_COMMIT)
        figures, marks = None, None
        if stored.snap is not None:
            try:
                marks = await self.breaker.marks_of(stored.snap, order.exchange, order.symbol)
            except AppError as exc:  # no prices now: deliver anyway, the evaluation says why
                log_event(log, "breaker_marks_failed", logging.WARNING, order_id=order.id,
                          error=exc.message)  # fmt: skip
        if marks is None:
            await self.outbox.deliver_now(stored.pending)
        else:
            # the ledger answers the fill with the breaker's figures it leaves: no second call
            figures = await self.outbox.deliver_fills(stored.pending, marks)
        await self.breaker.after_fill(
            order.user_id, order.bot_id, order.exchange, order.symbol, stored.snap, figures
        )
        return True

    def _store_fills(
        self,
        order_id: str,
        new: list[NewFill],
        source: str,
        final_state: State | None,
        complete: bool = True,
    ) -> Stored:
        with self.db.write() as conn:
            return self.store_fills_in(conn, store.lock_order(conn, order_id), new, source,
                                       final_state, complete)  # fmt: skip

    def store_fills_in(
        self,
        conn,
        cur,
        new: list[NewFill],
        source: str,
        final_state: State | None = None,
        complete: bool = True,
    ) -> Stored:
        """Store fills in the caller's transaction, ``cur`` being the order's row as locked
        there; with new fills, also read the breaker's snapshot for the evaluation after.
        Two batches of statements sent together: the fills (a fill stored already comes back
        with no row and counts for nothing), then what follows from the new ones."""
        if cur is None or cur.state not in FILLABLE:
            return Stored()
        now = self.clock()
        batch = FillBatch(cur, new, source, now, final_state, complete)
        inserted = run_together(conn, [store.fill_step(v) for v in batch.values])
        follow = batch.follow([rows[0] if rows else None for rows in inserted])
        if follow is None:
            return Stored()
        steps = follow.steps()
        snap = bstore.snapshot_steps(*follow.snapshot, now) if follow.snapshot else []
        results = run_together(conn, [*steps, *snap])
        return follow.stored_from(results[: len(steps)], results[len(steps) :])

    async def fail(self, order, reason: str, count_error: bool = True) -> None:
        now = self.clock()

        def save():
            with self.db.write() as conn:
                store.update_order(
                    conn, order.id, [str(s) for s in (State.RECEIVED, *FILLABLE)],
                    state=str(State.FAILED), state_reason=reason[:2000], done=True, updated_at=now,
                )  # fmt: skip

        await asyncio.to_thread(save)
        if count_error:
            await asyncio.to_thread(
                self.breaker.record_error, order.user_id, order.bot_id, order.id, reason
            )
        log_event(log, "order_failed", logging.WARNING, order_id=order.id, reason=reason)

    # --- the background sweep ----------------------------------------------------------------

    async def sweep(self) -> int:
        """Fill resting paper orders the market has reached; finish what a dead process left."""
        now = self.clock()
        rows = await asyncio.to_thread(self._resting)
        filled = 0
        by_market: dict[tuple[str, str], list] = {}
        for row in rows:
            if row.type == OrderType.MARKET and row.updated_at > now - STALE_MARKET:
                continue  # its own submission is filling it
            by_market.setdefault((row.exchange, row.symbol), []).append(row)
        for (exchange, symbol), group in by_market.items():
            try:
                quote = await self.prices.quote(exchange, symbol)
            except AppError as exc:
                log_event(log, "sweep_no_quote", logging.WARNING, exchange=exchange,
                          symbol=symbol, error=exc.message)  # fmt: skip
                continue
            for row in group:
                if await self.paper_fill(row, quote):
                    filled += 1
        for row in await asyncio.to_thread(self._stale, now - STALE_RECEIVED):
            await self.fail(row, "interrupted before its gates were decided", count_error=False)
        return filled

    def _resting(self):
        with self.db.read() as conn:
            return store.resting_paper_orders(conn)

    def _stale(self, before: datetime):
        with self.db.read() as conn:
            return store.stale_received(conn, before)

    async def run(self, interval: float) -> None:
        while True:
            try:
                await self.sweep()
            except Exception as exc:  # noqa: BLE001 - the sweeper must outlive one bad pass
                log_event(log, "sweep_failed", logging.ERROR, error=repr(exc))
            await asyncio.sleep(interval)


class FillBatch:
    """Storing fills of one order: ``values``, the fills' rows to insert (once each by id);
    then ``follow(what the inserts gave back for each: its row, or None when it was stored
    already)``: what follows from the new ones (None: nothing, the order is as it was). The
    caller sends the statements, for this order alone (Executor.store_fills_in) or together
    with other orders' (front.py). ``known_markets``: (exchange, symbol) pairs the user is
    known to have fills in already (not noted again)."""

    def __init__(self, cur, new: list[NewFill], source: str, now: datetime,
                 final_state: State | None = None, complete: bool = True,
                 known_markets: frozenset = frozenset()) -> None:  # fmt: skip
        self.cur, self.new, self.source, self.now = cur, new, source, now
        self.final_state, self.complete = final_state, complete
        self.known_markets = known_markets
        self.values = [_fill_row(cur, f, source, now) for f in new]

    def follow(self, inserted: list) -> Follow | None:
        cur, now = self.cur, self.now
        rows, written, markets, outbox = [], [], [], []
        filled, avg = cur.filled_amount, cur.average_price or Decimal(0)
        for f, v, got in zip(self.new, self.values, inserted, strict=True):
            if got is None:
                continue
            rows.append(got)
            written.append(v)
            with localcontext() as ctx:
                ctx.prec = 40
                total = filled + f.amount
                avg = (avg * filled + f.price * f.amount) / total
                filled = total
            if (cur.exchange, cur.symbol) not in self.known_markets:
                markets.append(v)
            outbox.append(
                ob.enqueue_row(ob.FILL, cur.user_id, f.fill_id, _payload(cur, f, self.source, now))
            )
        if not outbox and self.final_state is None:
            return None
        state = self.final_state or state_after_fill(filled, cur.amount)
        if not self.complete and is_final(state):
            state = State.PARTIALLY_FILLED if filled > 0 else State(cur.state)
        if not outbox and state == cur.state and cur.done:
            return None  # nothing new
        if state != cur.state:
            check_move(State(cur.state), state)
        update = {"id": cur.id, "filled_amount": filled,
                  "average_price": avg if filled > 0 else None, "state": str(state),
                  "done": True, "updated_at": now}  # fmt: skip
        # the breaker's snapshot, for the evaluation after new fills
        snapshot = (cur.user_id, cur.symbol.split("/", 1)[1]) if outbox else None
        return Follow(markets, outbox, update, snapshot, rows, written, cur.bot_id, now)


@dataclass
class Follow:
    """What an order's new fills lead to, as rows to write: the notes of their markets, their
    outbox rows, the order's update (its fill figures and state); and the breaker's snapshot
    to read with them (user, quote currency; None when no fill is new)."""

    markets: list[dict]
    outbox: list[dict]
    update: dict
    snapshot: tuple[str, str] | None
    fills: list  # the new fills' rows (as the inserts gave them back)
    values: list[dict]  # the new fills' values
    bot_id: str
    now: datetime

    def steps(self) -> list:
        """As statements of their own, for run_together (see stored_from)."""
        u = self.update
        return [
            *(store.market_step(v) for v in self.markets),
            *((ob.INSERT_RETURNING, row) for row in self.outbox),
            store.filled_step(u["id"], **{k: v for k, v in u.items() if k != "id"}),
        ]

    def stored_from(self, results: list, snapshot: list) -> Stored:
        """The Stored from the rows of ``steps`` and of the snapshot's statements."""
        n = len(self.markets)
        pending = [ob.pending_of(row, results[n + i][0].id) for i, row in enumerate(self.outbox)]
        return self.stored(pending, results[-1][0], snapshot)

    def stored(self, pending: list[ob.Pending], order, snapshot: list) -> Stored:
        snap = snapshot_from(snapshot, self.bot_id, self.now) if self.snapshot else None
        return Stored(pending, order, self.fills, snap)


def _ts(dt: datetime) -> str:
    t = Timestamp()
    t.FromDatetime(dt)
    return t.ToJsonString()


def _fill_row(order, f: NewFill, source: str, now: datetime) -> dict:
    return {
        "fill_id": f.fill_id,
        "order_id": order.id,
        "user_id": order.user_id,
        "bot_id": order.bot_id,
        "exchange": order.exchange,
        "symbol": order.symbol,
        "side": order.side,
        "amount": f.amount,
        "price": f.price,
        "fee": f.fee,
        "fee_currency": f.fee_currency,
        "expected_price": f.expected_price,
        "expected_fee_bps": f.expected_fee_bps,
        "trade_id": f.trade_id,
        "source": source,
        "executed_at": now,
    }


def _payload(order, f: NewFill, source: str, now: datetime) -> dict:
    return {
        "fill_id": f.fill_id,
        "order_id": order.id,
        "bot_id": order.bot_id,
        "exchange": order.exchange,
        "symbol": order.symbol,
        "side": tpb.SIDE_BUY if order.side == "BUY" else tpb.SIDE_SELL,
        "amount": decimal_text(f.amount),
        "price": decimal_text(f.price),
        "fee": decimal_text(f.fee),
        "fee_currency": f.fee_currency,
        "fee_quote": "" if f.fee_quote is None else decimal_text(f.fee_quote),
        "source": ledger_pb2.FILL_SOURCE_LIVE if source == "LIVE" else ledger_pb2.FILL_SOURCE_PAPER,
        "executed_at": _ts(now),
    }
