"""The reconciler: live orders whose outcome the exchange still has to tell us.

A live order left SUBMITTED or PARTIALLY_FILLED (an unknown outcome after a timeout, a resting
limit order, a process killed after the exchange accepted it) is looked up by its saved client
order id, by whichever process claims its lease (leases.py), at start and then every
``ORDERS_RECONCILE_SECONDS``:

- found: its new fills are recorded once each (by the exchange's trade id, with the outbox to
  the ledger) and the order moves to what the exchange reports (PARTIALLY_FILLED, FILLED,
  CANCELED);
- unknown to the exchange: once the last request that may have placed it can no longer be
  accepted (the venue's settle time after that attempt), and if it was submitted less than
  ``PLACE_WITHIN`` ago, it is placed, with the SAME client order id (never a new one); older,
  it is FAILED as never placed. An order the exchange once knew (an exchange order id, fills)
  is never placed again;
- a lookup that fails counts as an execution error and is tried again later.

A live order left ACCEPTED (its process died before saving the client order id, so nothing
was sent) is FAILED after ``STALE_ACCEPTED``.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from services.common.errors import AppError
from services.common.logs import log_event
from services.orders import leases
from services.orders.exchange import ExchangeLayerError
from services.orders.live import LiveExecution
from services.orders.schema import orders

log = logging.getLogger("amarktai.orders.reconciler")
PLACE_WITHIN = timedelta(minutes=2)
STALE_ACCEPTED = timedelta(seconds=30)
RETRY_SECONDS = 10.0  # after a failed lookup, or without keys
FORGOTTEN_SECONDS = 60.0  # an order the exchange knew and no longer finds


class Reconciler:
    def __init__(self, app: Any, live: LiveExecution, batch: int = 50) -> None:
        self.app = app
        self.live = live
        self.batch = batch

    async def run(self, interval: float) -> None:
        """At start, then every ``interval`` seconds, until cancelled."""
        while True:
            try:
                await self.run_once()
            except Exception as exc:  # noqa: BLE001 - the reconciler must outlive one bad pass
                log_event(log, "reconcile_pass_failed", logging.ERROR, error=repr(exc))
            await asyncio.sleep(interval)

    async def run_once(self) -> int:
        """One pass: the due live orders, one claimed at a time; returns how many."""
        for row in await asyncio.to_thread(self._stale_accepted):
            await self.app.executor.fail(
                row, "interrupted before it was sent to the exchange", count_error=False
            )
        done = 0
        while done < self.batch:
            row = await asyncio.to_thread(self._claim)
            if row is None:
                break
            done += 1
            with self.app.tracer.start_as_current_span("reconcile") as span:
                span.set_attribute("order.id", row.id)
                span.set_attribute("exchange", row.exchange)
                async with self.live.lease(row.id) as lease:
                    span.set_attribute("decision", await self.reconcile(row, lease))
        return done

    async def reconcile(self, row, lease: leases.Lease) -> str:
        """Settle one order whose lease this process holds; returns what was decided."""
        try:
            keys = await self.live.keys(row)
        except AppError as exc:
            log_event(log, "reconcile_no_keys", logging.WARNING, order_id=row.id,
                      error=exc.message)  # fmt: skip
            lease.next_in(RETRY_SECONDS)
            return "no_keys"
        async with self.live.venue(row, keys) as venue:
            try:
                found = await venue.lookup(row.client_order_id, row.symbol)
            except ExchangeLayerError as exc:
                await self.live.count_errors(row, [f"lookup:{exc.code}"])
                log_event(log, "reconcile_lookup_failed", logging.WARNING, order_id=row.id,
                          code=exc.code, reason=exc.reason)  # fmt: skip
                lease.next_in(RETRY_SECONDS)
                return "lookup_failed"
            if found is None:
                return await self._unknown_to_exchange(row, venue, lease)
            if found.side not in ("", row.side.lower()):
                log_event(log, "reconcile_side_mismatch", logging.ERROR, order_id=row.id,
                          client_order_id=row.client_order_id)  # fmt: skip
                lease.next_in(FORGOTTEN_SECONDS)
                return "side_mismatch"
            log_event(log, "reconcile_found", order_id=row.id, status=found.status,
                      filled=str(found.filled), fills=len(found.fills))  # fmt: skip
            await self.live.record(row, found)
            return "recorded"

    async def _unknown_to_exchange(self, row, venue: Any, lease: leases.Lease) -> str:
        now = self.app.wall_clock()
        if row.exchange_order_id or row.filled_amount > 0:
            log_event(log, "reconcile_order_forgotten", logging.WARNING, order_id=row.id,
                      exchange_order_id=row.exchange_order_id or "")  # fmt: skip
            lease.next_in(FORGOTTEN_SECONDS)
            return "forgotten"
        if row.last_attempt_at is not None:
            settled = row.last_attempt_at + timedelta(seconds=venue.settle_seconds)
            if now < settled:
                lease.next_at = settled  # a request sent then may still be accepted
                return "settling"
        if row.submitted_at is None or now - row.submitted_at > PLACE_WITHIN:
            await self.app.executor.fail(
                row, "never reached the exchange, and too old to be placed now", count_error=False
            )
            return "failed_unplaced"
        log_event(log, "reconcile_placing", order_id=row.id, client_order_id=row.client_order_id)
        await self.live.place(row, row.client_order_id, venue, lease)
        return "placed"

    def _claim(self):
        app = self.app
        with app.db.write() as conn:
            return leases.claim_due(conn, app.instance, app.wall_clock(), app.tuning.lease_seconds)

    def _stale_accepted(self) -> list:
        before: datetime = self.app.clock() - STALE_ACCEPTED
        q = (
            select(orders)
            .where(orders.c.mode == "LIVE", orders.c.state == "ACCEPTED")
            .where(orders.c.updated_at < before)
            .limit(100)
        )
        with self.app.db.read() as conn:
            return list(conn.execute(q))
