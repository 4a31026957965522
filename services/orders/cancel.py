"""CancelOrder: end an order that is not final.

- Paper: a resting limit order (ACCEPTED) is canceled here, in one conditional update, so a
  sweep that fills it at the same moment either wins (the cancel then finds it FILLED) or sees
  it CANCELED. A paper market order is being filled: it cannot be canceled.
- Live: under the order's lease (leases.py), canceled at the exchange by its client order id;
  what the exchange reports is recorded (fills until then are kept). An order the exchange has
  no open order for is looked up: filled meanwhile, it stays FILLED; unknown to the exchange
  and no longer placeable by a request in flight, it is canceled here.
- Another user's order is NOT_FOUND; a final order is FAILED_PRECONDITION (ORDER_FINAL).
"""

from __future__ import annotations

import asyncio
import math
from datetime import timedelta
from typing import Any

import grpc

from services.common.errors import AppError, failed_precondition
from services.orders import leases, store
from services.orders.domain.model import FINAL_STATES, State
from services.orders.exchange import ExchangeLayerError
from services.orders.pipeline import OrderOut

BUSY_WAIT_SECONDS = 3.0


def _final(order) -> AppError:
    return failed_precondition(
        "ORDER_FINAL", f"order {order.id} is {order.state}: only an open order can be canceled",
        state=order.state,
    )  # fmt: skip


def _busy(order_id: str, what: str) -> AppError:
    return AppError(
        grpc.StatusCode.ABORTED, "ORDER_BUSY", f"order {order_id} {what}; retry shortly",
        metadata={"order_id": order_id, "retry_after_seconds": "1"},
    )  # fmt: skip


class Cancels:
    def __init__(self, app: Any) -> None:
        self.app = app

    async def cancel(self, user_id: str, order_id: str) -> OrderOut:
        order = (await self.app.pipeline.read(user_id, order_id)).order  # others': NOT_FOUND
        if State(order.state) in FINAL_STATES:
            raise _final(order)
        if order.state == State.RECEIVED:
            raise _busy(order.id, "is going through the gates")
        if order.mode == "LIVE":
            await self._live(order)
        else:
            await asyncio.to_thread(self._paper, order)
        out = await self.app.pipeline.read(user_id, order_id)
        if out.order.state != State.CANCELED and State(out.order.state) in FINAL_STATES:
            raise _final(out.order)
        return out

    def _paper(self, order) -> None:
        if order.type != "LIMIT":
            raise failed_precondition(
                "ORDER_NOT_CANCELABLE",
                "a paper market order is filled as it is accepted: it cannot be canceled",
            )
        with self.app.db.write() as conn:
            store.update_order(
                conn, order.id, [str(State.ACCEPTED)], state=str(State.CANCELED),
                state_reason="canceled by the user", done=True, updated_at=self.app.clock(),
            )  # fmt: skip

    async def _live(self, order) -> None:
        live = self.app.executor.live
        if live is None:
            raise failed_precondition("LIVE_UNAVAILABLE", "live trading is not available here")
        if order.state == State.ACCEPTED:
            raise _busy(order.id, "is being sent to the exchange")
        row = await self._take(order.id)
        if row is None:
            return  # final meanwhile: the caller answers from the order as it is
        async with live.lease(order.id):
            try:
                keys = await live.keys(row)
            except AppError as exc:
                raise failed_precondition(
                    "NO_EXCHANGE_KEYS", f"the exchange keys cannot be had: {exc.message}"
                ) from None
            async with live.venue(row, keys) as venue:
                try:
                    eo = await venue.cancel(row.client_order_id, row.symbol)
                    if eo is None:  # no open order: filled, canceled, or never placed
                        eo = await venue.lookup(row.client_order_id, row.symbol)
                except ExchangeLayerError as exc:
                    await live.count_errors(row, [f"cancel:{exc.code}"])
                    raise AppError(
                        grpc.StatusCode.UNAVAILABLE, "EXCHANGE_UNAVAILABLE",
                        f"the exchange did not take the cancel: {exc.reason}; retry",
                    ) from None  # fmt: skip
                if eo is not None:
                    await live.record(row, eo)
                else:
                    await asyncio.to_thread(self._unplaced, row, venue.settle_seconds)

    def _unplaced(self, row, settle_seconds: float) -> None:
        """The exchange does not know the order: cancel it here unless it may still arrive."""
        if row.exchange_order_id or row.filled_amount > 0:
            raise AppError(
                grpc.StatusCode.UNAVAILABLE, "EXCHANGE_UNAVAILABLE",
                f"the exchange does not find order {row.id} now; retry",
            )  # fmt: skip
        now = self.app.wall_clock()
        if row.last_attempt_at is not None:
            settled = row.last_attempt_at + timedelta(seconds=settle_seconds)
            if now < settled:
                wait = math.ceil((settled - now).total_seconds())
                raise AppError(
                    grpc.StatusCode.ABORTED, "ORDER_OUTCOME_PENDING",
                    f"a request placing order {row.id} may still reach the exchange; retry in "
                    f"{wait} s", metadata={"retry_after_seconds": str(wait)},
                )  # fmt: skip
        with self.app.db.write() as conn:
            store.update_order(
                conn, row.id, [str(State.SUBMITTED)], state=str(State.CANCELED),
                state_reason="canceled by the user before it reached the exchange", done=True,
                updated_at=self.app.clock(),
            )  # fmt: skip

    async def _take(self, order_id: str):
        """Take the order's lease and return the order; None when it became final."""
        app = self.app
        loop = asyncio.get_running_loop()
        deadline = loop.time() + BUSY_WAIT_SECONDS

        def attempt():
            with app.db.write() as conn:
                now = app.wall_clock()
                if leases.take(conn, order_id, app.instance, now, app.tuning.lease_seconds):
                    return store.get_order(conn, order_id), True
                return store.get_order(conn, order_id), False

        while True:
            row, taken = await asyncio.to_thread(attempt)
            if taken:
                return row
            if State(row.state) in FINAL_STATES:
                return None
            if loop.time() >= deadline:
                raise _busy(order_id, "is being worked on with the exchange")
            await asyncio.sleep(0.1)
