"""Leases on live orders: which process talks to the exchange about an order, and until when.

Only the holder of a live order's lease places it, looks it up or cancels it, so two orders
processes never both act on one order. The lease is two columns of the order's row, changed
only by conditional updates (one winner on SQLite and PostgreSQL alike):

- the submission takes it in the update that saves the client order id (ACCEPTED -> SUBMITTED);
  the reconciler claims orders whose lease is free and due; a cancel takes a free lease;
- the holder renews it in the background (every third of its length) while it works, and,
  right before each request that may place the order, renews it AND records the attempt's
  time in one update that succeeds only while it still holds the lease (``attempt``): a process
  that lost its lease (stalled longer than the lease) never sends;
- it is released with the time the reconciler should next look at the order (``lease_until``
  with no owner).

A process that dies leaves its lease to expire (``ORDERS_LEASE_SECONDS``) and the reconciler of
any process takes the order over. Lease times are wall-clock, not the business clock.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import Connection, Row, and_, or_, select

from services.common.db import Database
from services.common.logs import log_event
from services.orders.schema import orders
from services.orders.store import get_order

log = logging.getLogger("amarktai.orders.leases")
LIVE_OPEN = ("SUBMITTED", "PARTIALLY_FILLED")


def _free(now: datetime):
    return or_(
        orders.c.lease_owner.is_(None), orders.c.lease_until.is_(None), orders.c.lease_until <= now
    )


def _due(now: datetime):
    return and_(
        orders.c.mode == "LIVE",
        orders.c.state.in_(LIVE_OPEN),
        or_(orders.c.lease_until.is_(None), orders.c.lease_until <= now),
    )


def take(conn: Connection, order_id: str, owner: str, now: datetime, seconds: float) -> bool:
    """Take a live order's lease if it is free (or already ours) and the order still open."""
    q = (
        orders.update()
        .where(
            orders.c.id == order_id,
            orders.c.state.in_(LIVE_OPEN),
            or_(_free(now), orders.c.lease_owner == owner),
        )
        .values(lease_owner=owner, lease_until=now + timedelta(seconds=seconds))
    )
    return conn.execute(q).rowcount == 1


def claim_due(conn: Connection, owner: str, now: datetime, seconds: float) -> Row | None:
    """Claim the live open order that has waited longest for a look; None when none is due."""
    q = (
        select(orders.c.id)
        .where(_due(now))
        .order_by(orders.c.lease_until.asc().nulls_first(), orders.c.id)
        .limit(1)
    )
    if conn.dialect.name == "postgresql":
        q = q.with_for_update(skip_locked=True)
    row = conn.execute(q).first()
    if row is None or not take(conn, row.id, owner, now, seconds):
        return None
    return get_order(conn, row.id)


def renew(
    conn: Connection, order_id: str, owner: str, now: datetime, seconds: float, attempt: bool
) -> bool:
    values: dict = {"lease_until": now + timedelta(seconds=seconds)}
    if attempt:
        values["last_attempt_at"] = now
    q = orders.update().where(
        orders.c.id == order_id, orders.c.lease_owner == owner, orders.c.state.in_(LIVE_OPEN)
    )
    return conn.execute(q.values(**values)).rowcount == 1


def release(conn: Connection, order_id: str, owner: str, next_at: datetime) -> None:
    conn.execute(
        orders.update()
        .where(orders.c.id == order_id, orders.c.lease_owner == owner)
        .values(lease_owner=None, lease_until=next_at)
    )


class Lease:
    """A lease this process holds on one order, renewed while the ``async with`` block runs and
    released at its end with ``next_at`` (default: ``recheck_seconds`` from then). Not released
    when the block ends by a BaseException (cancellation, an emulated kill): it expires."""

    def __init__(
        self,
        db: Database,
        order_id: str,
        owner: str,
        seconds: float,
        wall_clock: Callable[[], datetime],
        recheck_seconds: float,
    ) -> None:
        self.db = db
        self.order_id = order_id
        self.owner = owner
        self.seconds = seconds
        self.wall_clock = wall_clock
        self.recheck_seconds = recheck_seconds
        self.next_at: datetime | None = None
        self.lost = False
        self._task: asyncio.Task | None = None

    def next_in(self, seconds: float) -> None:
        self.next_at = self.wall_clock() + timedelta(seconds=seconds)

    async def __aenter__(self) -> Lease:
        self._task = asyncio.create_task(self._renewing())
        return self

    async def __aexit__(self, exc_type, exc, tb) -> bool:
        assert self._task is not None
        self._task.cancel()
        try:
            await self._task
        except asyncio.CancelledError:
            pass
        if exc_type is None or issubclass(exc_type, Exception):
            next_at = self.next_at or self.wall_clock() + timedelta(seconds=self.recheck_seconds)
            await asyncio.to_thread(self._release, next_at)
        return False

    async def attempt(self) -> bool:
        """Renew and record a placement attempt; False when the lease is no longer ours."""
        ok = await asyncio.to_thread(self._renew, True)
        self.lost = self.lost or not ok
        return ok

    def _renew(self, attempt: bool) -> bool:
        with self.db.write() as conn:
            now = self.wall_clock()
            return renew(conn, self.order_id, self.owner, now, self.seconds, attempt)

    def _release(self, next_at: datetime) -> None:
        with self.db.write() as conn:
            release(conn, self.order_id, self.owner, next_at)

    async def _renewing(self) -> None:
        while True:
            await asyncio.sleep(self.seconds / 3)
            try:
                ok = await asyncio.to_thread(self._renew, False)
            except Exception as exc:  # noqa: BLE001 - keep trying; the attempt check is the guard
                log_event(log, "lease_renew_failed", logging.WARNING, order_id=self.order_id,
                          error=repr(exc))  # fmt: skip
                continue
            if not ok:
                self.lost = True  # taken over, or the order is final
                log_event(log, "lease_not_renewed", order_id=self.order_id)
                return
