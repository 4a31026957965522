"""Live execution: an order of a LIVE bot goes to the exchange through ccxt.

1. The client order id (derived from the user, the idempotency key and the order id) is saved
   with the order, now SUBMITTED, before any call to the exchange, in the same update that
   takes the order's lease (leases.py): only the lease holder talks to the exchange about it.
2. The user's exchange keys come from auth (service token); missing keys fail the order.
3. ``place_or_reconcile`` places it at most once (a timeout is looked up by client order id);
   each request that may place it first renews the lease and records the attempt's time.
4. What the exchange reports is recorded: its fills (by trade id, once each) and its status.
   Refused (OrderRejected) or never placed (Retryable): FAILED. Outcome unknown: the order
   stays SUBMITTED with the reason, and the reconciler (reconciler.py) settles it later.
Every failed exchange call counts as an execution error for the breaker.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from contextlib import AbstractAsyncContextManager
from decimal import Decimal
from typing import Any

from services.common.errors import AppError
from services.common.logs import log_event
from services.orders import store
from services.orders.domain.model import State
from services.orders.exchange import (
    ExchangeOrder,
    LiveExchange,
    LiveOrderRequest,
    OrderRejected,
    OutcomeUnknown,
    PlaceStats,
    Retryable,
    client_order_id,
    default_backoff,
    make_ccxt,
    place_or_reconcile,
)
from services.orders.execution import NewFill
from services.orders.faults import AFTER_EXCHANGE_ACK, BEFORE_EXCHANGE_CALL
from services.orders.leases import LIVE_OPEN, Lease
from services.orders.venues import VenuePool

log = logging.getLogger("amarktai.orders.live")
VenueFactory = Callable[[str, str, str, str], Any]  # (exchange, key, secret, passphrase)
DEFAULT_TIMEOUT_MS = 10_000


def ccxt_venues(
    base_urls: Mapping[str, str] | None = None,
    timeout_ms: int = DEFAULT_TIMEOUT_MS,
    rate_limit: bool = True,
) -> VenueFactory:
    """Venues through real ccxt; ``base_urls`` (EXCHANGE_BASE_URLS) points an exchange
    elsewhere, e.g. ``{"binance": "http://127.0.0.1:9999"}`` for a fake. ``rate_limit`` is
    ccxt's client-side throttle (tests against a local fake turn it off)."""
    urls = dict(base_urls or {})

    def make(exchange: str, api_key: str, secret: str, passphrase: str) -> LiveExchange:
        x = make_ccxt(
            exchange, api_key, secret, urls.get(exchange), timeout_ms=timeout_ms,
            rate_limit=rate_limit,
        )  # fmt: skip
        if passphrase:
            x.password = passphrase  # ccxt's name for an API passphrase (OKX, KuCoin, ...)
        return LiveExchange(x)

    return make


ccxt_venue = ccxt_venues()


def state_of(eo: ExchangeOrder, amount: Decimal) -> State:
    if eo.status == "closed" or eo.filled >= amount:
        return State.FILLED
    if eo.status in ("canceled", "expired", "rejected"):
        return State.CANCELED
    return State.PARTIALLY_FILLED if eo.filled > 0 else State.SUBMITTED


class LeaseLost(Exception):
    """Another process took the order's lease over: this one must not send anything more."""


class _Guarded:
    """The venue as ``place_or_reconcile`` sees it: a placement is sent only after the lease
    is renewed and the attempt recorded (so a reconciler knows when it may have been sent)."""

    def __init__(self, venue: Any, lease: Lease, faults: Any) -> None:
        self.venue = venue
        self.lease = lease
        self.faults = faults
        self.settle_seconds = venue.settle_seconds

    async def place(self, req: LiveOrderRequest) -> ExchangeOrder:
        if not await self.lease.attempt():
            raise LeaseLost(f"the lease on order {self.lease.order_id} was taken over")
        self.faults.hit(BEFORE_EXCHANGE_CALL)
        return await self.venue.place(req)

    async def lookup(self, client_order_id: str, symbol: str) -> ExchangeOrder | None:
        return await self.venue.lookup(client_order_id, symbol)


class LiveExecution:
    def __init__(
        self,
        app: Any,
        venue_factory: VenueFactory = ccxt_venue,
        backoff: Callable[[int], float] = default_backoff,
    ) -> None:
        self.app = app
        self.venues = VenuePool(venue_factory)
        self.backoff = backoff  # between placement attempts (tests shorten it)

    async def close(self) -> None:
        await self.venues.close()

    def lease(self, order_id: str) -> Lease:
        app = self.app
        return Lease(
            app.db, order_id, app.instance, app.tuning.lease_seconds, app.wall_clock,
            app.tuning.reconcile_seconds,
        )  # fmt: skip

    async def keys(self, order) -> Any:
        """The user's keys for the order's exchange (auth, service token); AppError if none."""
        return await self.app.peers.exchange_keys(order.user_id, order.exchange)

    def venue(self, order, keys) -> AbstractAsyncContextManager[Any]:
        """``async with live.venue(order, keys) as venue``: the account's pooled venue."""
        return self.venues.use(order.exchange, keys.api_key, keys.api_secret, keys.passphrase)

    async def execute(self, order) -> None:
        """The first execution of an order that just passed the gates."""
        cid = client_order_id(order.user_id, order.idempotency_key, order.id)
        if not await asyncio.to_thread(self._submitted, order.id, cid):
            return  # no longer ACCEPTED: the reconciler gave it up as interrupted
        async with self.lease(order.id) as lease:
            try:
                keys = await self.keys(order)
            except AppError as exc:
                await self.app.executor.fail(order, f"no usable exchange keys: {exc.message}")
                return
            async with self.venue(order, keys) as venue:
                await self.place(order, cid, venue, lease)

    async def place(self, order, cid: str, venue: Any, lease: Lease) -> None:
        """Place (at most once, with this client order id) and record the outcome."""
        req = LiveOrderRequest(
            cid,
            order.symbol,
            order.side.lower(),
            order.type.lower(),
            order.amount,
            order.price if order.type == "LIMIT" else None,
        )
        stats = PlaceStats()
        try:
            eo = await place_or_reconcile(
                _Guarded(venue, lease, self.app.faults), req, backoff=self.backoff, stats=stats
            )
        except LeaseLost as exc:
            await self.count_errors(order, stats.errors)
            log_event(log, "live_lease_lost", logging.WARNING, order_id=order.id, reason=str(exc))
            return
        except (OrderRejected, Retryable) as exc:
            await self.count_errors(order, stats.errors[:-1])
            await self.app.executor.fail(order, f"{exc.code}: {exc.reason}")
            return
        except OutcomeUnknown as exc:
            await self.count_errors(order, stats.errors)
            await asyncio.to_thread(self._unknown, order.id, f"{exc.code}: {exc.reason}")
            return
        await self.count_errors(order, stats.errors)
        self.app.faults.hit(AFTER_EXCHANGE_ACK)
        await self.record(order, eo)

    async def record(self, order, eo: ExchangeOrder) -> None:
        """Record what the exchange reported: new fills by trade id, and the state."""
        quote = order.symbol.split("/", 1)[1]
        base = order.symbol.split("/", 1)[0]
        fills = []
        for f in eo.fills:
            fee_currency = f.fee_currency or quote
            fee_quote = None
            if fee_currency not in (base, quote) and f.fee:
                fee_quote = await self._value(order.exchange, fee_currency, quote, f.fee)
            fills.append(
                NewFill(
                    fill_id=f"{order.id}:{f.trade_id}",
                    amount=f.amount,
                    price=f.price,
                    fee=f.fee,
                    fee_currency=fee_currency,
                    expected_price=order.expected_price,
                    expected_fee_bps=order.expected_fee_bps,
                    trade_id=f.trade_id,
                    fee_quote=fee_quote,
                )
            )
        if eo.exchange_order_id and eo.exchange_order_id != order.exchange_order_id:
            await asyncio.to_thread(self._exchange_id, order.id, eo.exchange_order_id)
        complete = sum((f.amount for f in eo.fills), Decimal(0)) >= eo.filled
        await self.app.executor.record_fills(
            order, fills, "LIVE", state_of(eo, order.amount), complete=complete
        )

    async def _value(self, exchange: str, currency: str, quote: str, fee: Decimal):
        try:
            q = await self.app.prices.quote(exchange, f"{currency}/{quote}")
        except AppError as exc:
            log_event(log, "fee_not_valued", logging.WARNING, currency=currency, error=exc.message)
            return None
        return fee * q.last

    async def count_errors(self, order, codes: list[str]) -> None:
        """Failed exchange calls: the breaker's execution errors."""
        for code in codes:
            await asyncio.to_thread(
                self.app.breaker.record_error, order.user_id, order.bot_id, order.id, code
            )

    def _submitted(self, order_id: str, cid: str) -> bool:
        app = self.app
        now = app.wall_clock()
        lease_until = now + app.lease_span()
        with app.db.write() as conn:
            return store.update_order(
                conn, order_id, [str(State.ACCEPTED)], state=str(State.SUBMITTED),
                client_order_id=cid, updated_at=app.clock(), lease_owner=app.instance,
                lease_until=lease_until, submitted_at=now,
            )  # fmt: skip

    def _exchange_id(self, order_id: str, exchange_order_id: str) -> None:
        with self.app.db.write() as conn:
            store.update_order(conn, order_id, exchange_order_id=exchange_order_id)

    def _unknown(self, order_id: str, reason: str) -> None:
        with self.app.db.write() as conn:
            store.update_order(
                conn, order_id, LIVE_OPEN, state_reason=f"outcome unknown, to reconcile: {reason}",
                done=True, updated_at=self.app.clock(),
            )  # fmt: skip
