"""The outbox: what must reach another service, committed with the change that caused it.

A fill is stored together with an outbox row in one transaction; the row is delivered to the
ledger's RecordFill with the fill's own id until the ledger has it (the ledger records an id
once, so a repeated delivery is harmless). A breaker trip likewise leaves a row for the bots
service's TripBots. Delivery is tried at once after the commit and then by a worker with
exponential backoff, in row order per user; nothing is lost if the process dies in between.
Each delivery is a span in the trace that made the row.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from opentelemetry import propagate, trace
from sqlalchemy import Connection, bindparam, select

from amarktai.ledger.v1 import ledger_pb2
from services.common.coalesce import DEFAULT as batching_default
from services.common.coalesce import Batching, Coalescer
from services.common.db import Database, RowsInsert, run_together
from services.common.errors import AppError
from services.common.logs import log_event
from services.orders.clients import Peers, RiskFigures, risk_after
from services.orders.faults import DURING_OUTBOX_DELIVERY, Faults
from services.orders.schema import outbox

log = logging.getLogger("amarktai.orders.outbox")
FILL = "fill"
TRIP = "trip"
MAX_BACKOFF = 60.0


@dataclass(frozen=True)
class Pending:
    """An outbox row as enqueued (what a delivery needs of it), so that the transaction that
    made it can hand it to ``deliver_now`` without reading it back."""

    id: int
    kind: str
    user_id: str
    ref: str
    payload: str
    attempts: int = 0


_ENQUEUED = ("kind", "user_id", "ref", "payload", "attempts", "next_attempt_at", "last_error",
             "created_at")  # fmt: skip
INSERT_RETURNING = (
    outbox.insert()
    .values({c: bindparam(c, type_=outbox.c[c].type) for c in _ENQUEUED})
    .returning(outbox.c.id)
)


# rows of several orders' fills at once (front.py), their ids and refs back
ROWS_INSERT = {
    dialect: RowsInsert(
        dialect == "postgresql", outbox, _ENQUEUED, returning=[outbox.c.id, outbox.c.ref]
    )  # fmt: skip
    for dialect in ("postgresql", "sqlite")
}


def enqueue(conn: Connection, kind: str, user_id: str, ref: str, payload: dict) -> int:
    """Add a row to the outbox in the caller's transaction: its id."""
    step, made = enqueue_step(kind, user_id, ref, payload)
    return made(run_together(conn, [step])[0]).id


def enqueue_row(kind: str, user_id: str, ref: str, payload: dict) -> dict:
    """An outbox row to add in the caller's transaction (with the current trace's context,
    so that its delivery is a span in that trace): see enqueue_step, or ROWS_INSERT."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    now = datetime.now(UTC)
    text = json.dumps({**payload, "_trace": carrier}, sort_keys=True)
    return {"kind": kind, "user_id": user_id, "ref": ref, "payload": text, "attempts": 0,
            "next_attempt_at": now, "last_error": "", "created_at": now}  # fmt: skip


def pending_of(row: dict, row_id: int) -> Pending:
    """The Pending of an enqueue_row row stored with this id."""
    return Pending(int(row_id), row["kind"], row["user_id"], row["ref"], row["payload"])


def enqueue_step(
    kind: str, user_id: str, ref: str, payload: dict
) -> tuple[tuple, Callable[[list], Pending]]:
    """enqueue as a statement to send together with others (run_together), and what makes
    the Pending of its rows."""
    row = enqueue_row(kind, user_id, ref, payload)
    return (INSERT_RETURNING, row), lambda rows: pending_of(row, rows[0].id)


def backoff(attempts: int) -> float:
    return min(MAX_BACKOFF, 0.25 * 2 ** max(0, attempts - 1))


class Outbox:
    def __init__(
        self,
        db: Database,
        peers: Peers,
        tracer: trace.Tracer,
        wall_clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        on_fill_delivered: Callable[[str, dict], asyncio.Future | None] | None = None,
        faults: Faults | None = None,
        batching: Batching = batching_default,
    ) -> None:
        self.db = db
        self.peers = peers
        self.tracer = tracer
        self.wall_clock = wall_clock
        self.wake = asyncio.Event()
        self.on_fill_delivered = on_fill_delivered
        self.faults = faults or Faults()
        # the delivered marks of concurrent deliveries: one statement for many rows
        self._marks: Coalescer[int, None] = Coalescer(self._mark_delivered, batching)
        self._marking: set[asyncio.Future] = set()  # marks on their way (see _mark)

    async def deliver(self, ids: Sequence[int]) -> bool:
        """Deliver these rows now, in order; True when all of them are delivered."""
        rows = await asyncio.to_thread(self._rows, list(ids), None)
        return await self.deliver_now(rows)

    async def deliver_now(self, rows: Sequence[Pending]) -> bool:
        """Deliver rows just enqueued (committed), in order; True when all are delivered."""
        ok = True
        for row in rows:
            ok = await self._deliver_row(row) and ok
        return ok

    async def deliver_fills(
        self, rows: Sequence[Pending], marks: list[str]
    ) -> tuple[RiskFigures, RiskFigures] | None:
        """deliver_now for the fills one transaction just stored, the last of them asking the
        ledger for the breaker's figures it leaves (positions marked at ``marks``): the
        account's and the bot's, or None when a row was not delivered now or the ledger
        gave no figures. The order's answer waits for the ledger, not for the rows' delivered
        marks (see _mark)."""
        ok, answer = True, None
        for i, row in enumerate(rows):
            last = i == len(rows) - 1
            delivered, answer = await self._deliver(row, marks if last else None, wait=False)
            ok = ok and delivered
        if not ok or answer is None:
            return None
        return risk_after(answer)

    async def run(self, interval: float = 0.5) -> None:
        """The worker: deliver due rows until cancelled."""
        while True:
            try:
                await self.drain()
            except Exception as exc:  # noqa: BLE001 - the worker must outlive one bad pass
                log_event(log, "outbox_pass_failed", logging.ERROR, error=repr(exc))
            self.wake.clear()
            try:
                await asyncio.wait_for(self.wake.wait(), timeout=interval)
            except TimeoutError:
                pass

    async def drain(self, limit: int = 200) -> int:
        """One pass over the due rows; returns how many were delivered."""
        rows = await asyncio.to_thread(self._rows, None, limit)
        blocked: set[str] = set()
        delivered = 0
        for row in rows:
            if row.user_id in blocked:
                continue  # keep a user's fills in order: wait for the earlier one
            if await self._deliver_row(row):
                delivered += 1
            else:
                blocked.add(row.user_id)
        return delivered

    def pending(self) -> int:
        with self.db.read() as conn:
            q = select(outbox.c.id).where(outbox.c.delivered_at.is_(None))
            return len(conn.execute(q).all())

    def _rows(self, ids: list[int] | None, limit: int | None):
        q = select(outbox).where(outbox.c.delivered_at.is_(None))
        if ids is not None:
            q = q.where(outbox.c.id.in_(ids))
        else:
            q = q.where(outbox.c.next_attempt_at <= self.wall_clock())
        q = q.order_by(outbox.c.id)
        if limit is not None:
            q = q.limit(limit)
        with self.db.read() as conn:
            return list(conn.execute(q))

    async def _deliver_row(self, row) -> bool:
        return (await self._deliver(row, None))[0]

    async def _deliver(self, row, marks: list[str] | None, wait: bool = True) -> tuple[bool, Any]:
        """Deliver one row: (delivered, the peer's answer). ``marks``: for a fill, ask the
        ledger for the breaker's figures too. ``wait``: until the row is marked delivered
        (else the mark is made meanwhile, see _mark)."""
        payload = json.loads(row.payload)
        parent = propagate.extract(payload.pop("_trace", {}))
        with self.tracer.start_as_current_span(
            f"outbox.deliver.{row.kind}", context=parent
        ) as span:
            span.set_attribute("outbox.kind", row.kind)
            span.set_attribute("outbox.ref", row.ref)
            span.set_attribute("order.id", payload.get("order_id", ""))
            try:
                answer = await self._send(row.kind, row.user_id, payload, marks)
            except AppError as exc:
                span.set_attribute("decision", "retry")
                await asyncio.to_thread(self._failed, row.id, row.attempts + 1, exc.message)
                log_event(
                    log, "outbox_delivery_failed", logging.WARNING,
                    kind=row.kind, ref=row.ref, attempts=row.attempts + 1, error=exc.message,
                )  # fmt: skip
                return False, None
            span.set_attribute("decision", "delivered")
        if row.kind == FILL:
            self.faults.hit(DURING_OUTBOX_DELIVERY)
        if wait:
            await self._marks.call(row.id)
        else:
            self._mark(row.id)
        if row.kind == FILL and self.on_fill_delivered is not None:
            await self.on_fill_delivered(row.user_id, payload)
        return True, answer

    async def _send(self, kind: str, user_id: str, payload: dict, marks=None) -> Any:
        if kind == FILL:
            fill = ledger_pb2.Fill(
                fill_id=payload["fill_id"],
                bot_id=payload["bot_id"],
                exchange=payload["exchange"],
                symbol=payload["symbol"],
                side=payload["side"],
                amount=payload["amount"],
                price=payload["price"],
                fee=payload["fee"],
                fee_currency=payload["fee_currency"],
                fee_quote=payload.get("fee_quote", ""),
                order_id=payload["order_id"],
                source=payload["source"],
            )
            fill.executed_at.FromJsonString(payload["executed_at"])
            return await self.peers.record_fill(user_id, fill, marks=marks)
        elif kind == TRIP:
            return await self.peers.trip_bots(user_id, payload["bot_id"], payload["reason"])
        else:
            raise ValueError(f"unknown outbox kind {kind!r}")

    def _mark(self, row_id: int) -> None:
        """Mark a delivered row without waiting for it: the mark is bookkeeping (a row whose
        mark is lost, its process killed say, is delivered again by the worker, and the
        ledger records a fill id once), so an order's answer does not wait for it. A mark
        that fails is logged; the row is then delivered again."""
        task = asyncio.ensure_future(self._marks.call(row_id))
        self._marking.add(task)
        task.add_done_callback(self._marked)

    def _marked(self, task: asyncio.Future) -> None:
        self._marking.discard(task)
        if task.cancelled():
            return
        if (exc := task.exception()) is not None:
            log_event(log, "outbox_mark_failed", logging.WARNING, error=repr(exc))

    async def _mark_delivered(self, row_ids: list[int]) -> list[None]:
        await asyncio.to_thread(self._delivered, row_ids)
        return [None] * len(row_ids)

    def _delivered(self, row_ids: list[int]) -> None:
        with self.db.single_write() as conn:
            conn.execute(
                outbox.update()
                .where(outbox.c.id.in_(row_ids), outbox.c.delivered_at.is_(None))
                .values(delivered_at=self.wall_clock())
            )

    def _failed(self, row_id: int, attempts: int, error: str) -> None:
        at = self.wall_clock() + timedelta(seconds=backoff(attempts))
        with self.db.single_write() as conn:
            conn.execute(
                outbox.update()
                .where(outbox.c.id == row_id, outbox.c.delivered_at.is_(None))
                .values(attempts=attempts, next_attempt_at=at, last_error=error[:2000])
            )
