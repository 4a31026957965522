"""Placing a live order at most once: retry what was refused, reconcile what is unknown.

- ``Retryable`` (refused before it could take effect): back off, send again with the same
  client order id.
- ``OutcomeUnknown`` (it may have been accepted): look the order up by its client order id.
  Found: that is the order. Not found: wait until the failed request can no longer be
  accepted (``settle_seconds``), look again, and only if it is still unknown to the exchange
  send it again, with the same client order id.
- ``OrderRejected``: raised at once; the order is over.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from services.common.logs import log_event
from services.orders.exchange.errors import (
    ExchangeLayerError,
    OrderRejected,
    OutcomeUnknown,
    Retryable,
)
from services.orders.exchange.model import ExchangeOrder, LiveOrderRequest, OrderVenue

log = logging.getLogger("orders.exchange")

Sleep = Callable[[float], Awaitable[None]]


def default_backoff(attempt: int) -> float:
    """Seconds to wait after the n-th failed attempt: 0.5, 1, 2, 4, then 8 at most."""
    return min(0.5 * 2 ** (attempt - 1), 8.0)


@dataclass
class PlaceStats:
    """Filled in while ``place_or_reconcile`` runs, also when it raises.

    ``errors`` has one code per failed exchange call ("place:RATE_LIMITED",
    "lookup:READ_FAILED", ...): these are the execution errors the breaker counts.
    """

    placements: int = 0  # order requests sent
    lookups: int = 0  # lookups by client order id
    errors: list[str] = field(default_factory=list)
    reconciled: bool = False  # the order was found by its client order id after a failure


async def _lookup(
    venue: OrderVenue,
    req: LiveOrderRequest,
    stats: PlaceStats,
    attempts: int,
    backoff: Callable[[int], float],
    sleep: Sleep,
) -> ExchangeOrder | None:
    """The order by its client order id, or None. Raises OutcomeUnknown if we cannot tell."""
    for attempt in range(1, attempts + 1):
        stats.lookups += 1
        try:
            found = await venue.lookup(req.client_order_id, req.symbol)
        except Retryable as e:
            stats.errors.append(f"lookup:{e.code}")
            log_event(log, "exchange_lookup_retry", logging.WARNING,
                      client_order_id=req.client_order_id, attempt=attempt,
                      reason=e.reason)  # fmt: skip
            if attempt < attempts:
                await sleep(backoff(attempt))
            continue
        except ExchangeLayerError as e:
            stats.errors.append(f"lookup:{e.code}")
            raise OutcomeUnknown(f"cannot look the order up: {e.reason}", "UNRECONCILED") from e
        if found is not None and found.side not in ("", req.side):
            raise OutcomeUnknown(
                f"client order id {req.client_order_id} belongs to a {found.side} order",
                "UNRECONCILED",
            )
        return found
    raise OutcomeUnknown(f"lookup failed {attempts} times", "UNRECONCILED")


async def place_or_reconcile(
    venue: OrderVenue,
    req: LiveOrderRequest,
    attempts: int = 4,
    backoff: Callable[[int], float] = default_backoff,
    *,
    sleep: Sleep = asyncio.sleep,
    lookup_attempts: int = 3,
    settle_seconds: float | None = None,
    stats: PlaceStats | None = None,
) -> ExchangeOrder:
    """Place ``req`` at most once (see the module docstring) and return the exchange's order.

    Raises OrderRejected (refused: FAILED); Retryable when every attempt was refused before
    taking effect (nothing was placed: FAILED, or retry later with the same client order id);
    OutcomeUnknown (code "UNRECONCILED") when an attempt may have been accepted and the
    lookups could not tell: keep the order as submitted and reconcile later with
    ``venue.lookup``, NEVER place it again. ``stats`` (optional) counts calls and errors.
    """
    stats = stats if stats is not None else PlaceStats()
    settle = venue.settle_seconds if settle_seconds is None else settle_seconds
    cid = req.client_order_id
    last: ExchangeLayerError | None = None
    for attempt in range(1, attempts + 1):
        stats.placements += 1
        try:
            return await venue.place(req)
        except OrderRejected as e:
            stats.errors.append(f"place:{e.code}")
            log_event(log, "exchange_order_rejected", logging.WARNING, client_order_id=cid,
                      attempt=attempt, code=e.code, reason=e.reason)  # fmt: skip
            raise
        except Retryable as e:
            stats.errors.append(f"place:{e.code}")
            last = e
        except OutcomeUnknown as e:
            stats.errors.append(f"place:{e.code}")
            last = e
            log_event(log, "exchange_outcome_unknown", logging.WARNING,
                      client_order_id=cid, attempt=attempt, reason=e.reason)  # fmt: skip
            found = await _lookup(venue, req, stats, lookup_attempts, backoff, sleep)
            if found is None:
                log_event(log, "exchange_reconcile_settle", client_order_id=cid, seconds=settle)
                await sleep(settle)
                found = await _lookup(venue, req, stats, lookup_attempts, backoff, sleep)
            if found is not None:
                stats.reconciled = True
                log_event(log, "exchange_reconciled", client_order_id=cid, status=found.status,
                          exchange_order_id=found.exchange_order_id)  # fmt: skip
                return found
            log_event(log, "exchange_reconcile_not_found", client_order_id=cid, attempt=attempt)
        if attempt < attempts:
            delay = backoff(attempt)
            log_event(log, "exchange_place_retry", logging.WARNING, client_order_id=cid,
                      attempt=attempt, code=last.code, reason=last.reason, delay=delay)  # fmt: skip
            await sleep(delay)
    assert last is not None
    log_event(log, "exchange_place_gave_up", logging.ERROR,
              client_order_id=cid, attempts=attempts, reason=last.reason)  # fmt: skip
    raise Retryable(f"not placed after {attempts} attempts: {last.reason}", "NOT_PLACED")
