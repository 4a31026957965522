"""The live adapter: orders on an exchange through ccxt.async_support.

ccxt runs with its own retries off (``maxRetriesOnFailure`` 0, checked), numbers as strings
(``number = str``, so every amount becomes a Decimal through str), and every ccxt call inside
a local decimal context (ccxt's rounding helpers change the context they run in).
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from decimal import Decimal, localcontext
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import ccxt
import ccxt.async_support as ccxt_async

from services.orders.exchange.errors import (
    ExchangeLayerError,
    OrderRejected,
    OutcomeUnknown,
    Retryable,
    placement_error,
    read_error,
)
from services.orders.exchange.fees import is_known_exchange
from services.orders.exchange.model import ExchangeFill, ExchangeOrder, LiveOrderRequest
from services.orders.exchange.precision import plain, round_to_precision

DEFAULT_TIMEOUT_MS = 10_000
_RETRY_OPTIONS = ("maxRetriesOnFailure", "defaultMaxRetriesOnFailure")
_CLIENT_ID_PARAM = {"binance": "origClientOrderId"}  # how fetch/cancel name a client order id


def _rebase(urls: Any, base: str) -> Any:
    if isinstance(urls, dict):
        return {k: _rebase(v, base) for k, v in urls.items()}
    if not isinstance(urls, str):
        return urls
    b, u = urlsplit(base), urlsplit(urls)
    return urlunsplit((b.scheme, b.netloc, b.path.rstrip("/") + u.path, u.query, u.fragment))


def assert_no_retries(exchange: Any) -> None:
    """Raise RuntimeError if ccxt would retry a failed request by itself (a retried order
    placement could execute twice)."""
    scopes = [exchange.options] + [v for v in exchange.options.values() if isinstance(v, dict)]
    for scope in scopes:
        for name in _RETRY_OPTIONS:
            if scope.get(name) not in (None, 0):
                raise RuntimeError(f"ccxt {exchange.id} would retry failed requests ({name})")
    if exchange.handle_option("order", "maxRetriesOnFailure", 0) != 0:
        raise RuntimeError(f"ccxt {exchange.id} would retry failed order requests")


def make_ccxt(
    exchange_id: str,
    api_key: str | None = None,
    secret: str | None = None,
    base_url: str | None = None,
    *,
    timeout_ms: int = DEFAULT_TIMEOUT_MS,
    rate_limit: bool = True,
) -> Any:
    """A ccxt.async_support exchange for spot trading: no ccxt retries (asserted), numbers as
    strings, spot markets only. ``base_url`` (e.g. a fake's ``http://127.0.0.1:PORT``) replaces
    the scheme and host of every API URL. ``rate_limit`` is ccxt's client-side throttle.
    Without keys only public calls work. The caller closes it (``await exchange.close()``).
    Raises ValueError for an exchange ccxt does not know."""
    if not is_known_exchange(exchange_id):
        raise ValueError(f"unknown exchange {exchange_id!r}")
    config: dict[str, Any] = {
        "enableRateLimit": rate_limit,
        "timeout": timeout_ms,
        "options": {
            "fetchMarkets": {"types": ["spot"]},
            "fetchMargins": False,
            "fetchCurrencies": False,
            "maxRetriesOnFailure": 0,
            "maxRetriesOnFailureDelay": 0,
        },
    }
    if api_key is not None:
        config |= {"apiKey": api_key, "secret": secret}
    exchange = getattr(ccxt_async, exchange_id)(config)
    exchange.number = str
    if base_url is not None:
        exchange.urls["api"] = _rebase(exchange.urls["api"], base_url)
    assert_no_retries(exchange)
    return exchange


def _dec(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _fill(trade: dict, order_id: str, index: int) -> ExchangeFill:
    fee = trade.get("fee") or {}
    trade_id = trade.get("id")
    return ExchangeFill(
        trade_id=str(trade_id) if trade_id is not None else f"{order_id}:{index}",
        amount=Decimal(str(trade["amount"])),
        price=Decimal(str(trade["price"])),
        fee=_dec(fee.get("cost")) or Decimal(0),
        fee_currency=fee.get("currency"),
    )


def to_exchange_order(raw: dict, trades: list[dict] | None = None) -> ExchangeOrder:
    """An ExchangeOrder from a ccxt order (and, when given, the order's trades)."""
    order_id = str(raw["id"])
    source = (raw.get("trades") or []) if trades is None else trades
    return ExchangeOrder(
        exchange_order_id=order_id,
        client_order_id=raw.get("clientOrderId"),
        symbol=raw.get("symbol") or "",
        side=raw.get("side") or "",
        type=raw.get("type") or "",
        status=raw.get("status") or "unknown",
        amount=_dec(raw.get("amount")),
        price=_dec(raw.get("price")) if raw.get("type") == "limit" else None,
        filled=_dec(raw.get("filled")) or Decimal(0),
        average=_dec(raw.get("average")),
        fills=[_fill(t, order_id, i) for i, t in enumerate(source)],
    )


class LiveExchange:
    """Orders on one exchange account. Build with ``LiveExchange(make_ccxt(...))``; markets
    are loaded once, on first use. ``await close()`` at the end."""

    def __init__(self, exchange: Any) -> None:
        assert_no_retries(exchange)
        self._x = exchange
        self.exchange_id: str = exchange.id
        self._lock = asyncio.Lock()
        self._lookup_param = _CLIENT_ID_PARAM.get(exchange.id, "clientOrderId")
        # After this long, a request that failed can no longer be accepted: Binance refuses a
        # request whose timestamp is older than recvWindow (plus a second of clock skew).
        self.settle_seconds: float = exchange.options.get("recvWindow", 10_000) / 1000 + 1

    async def close(self) -> None:
        await self._x.close()

    async def _load(self) -> None:
        """Load the markets once. Raises Retryable when the exchange does not give them."""
        if self._x.markets:
            return
        async with self._lock:
            if self._x.markets:
                return
            try:
                with localcontext():
                    await self._x.load_markets()
            except ccxt.BaseError as e:
                raise Retryable(f"markets not loaded: {e}", "MARKETS_UNAVAILABLE") from e

    async def _market(self, symbol: str) -> dict:
        await self._load()
        try:
            return self._x.market(symbol)
        except ccxt.BadSymbol as e:
            reason = f"{self.exchange_id} has no market {symbol}"
            raise OrderRejected(reason, "UNKNOWN_SYMBOL") from e

    def _rounded(self, req: LiveOrderRequest, market: dict) -> tuple[Decimal, Decimal | None]:
        mode, precision = self._x.precisionMode, market.get("precision") or {}
        try:
            amount = round_to_precision(req.amount, precision.get("amount"), mode, truncate=True)
            price = None
            if req.price is not None:
                price = round_to_precision(req.price, precision.get("price"), mode, truncate=False)
        except ValueError as e:
            raise OrderRejected(f"{req.symbol}: {e}", "NO_PRECISION") from e
        least = _dec(((market.get("limits") or {}).get("amount") or {}).get("min")) or Decimal(0)
        if amount <= 0 or amount < least:
            raise OrderRejected(
                f"amount {req.amount} rounds to {amount}, below {req.symbol}'s minimum {least}",
                "AMOUNT_TOO_SMALL",
            )
        if price is not None and price <= 0:
            raise OrderRejected(f"price {req.price} rounds to {price}", "PRICE_TOO_SMALL")
        return amount, price

    async def place(self, req: LiveOrderRequest) -> ExchangeOrder:
        """Place one order with ``req.client_order_id``, amount and price rounded to the
        market's precision. Returns what the exchange reports, with its fills. Raises
        OrderRejected, Retryable or OutcomeUnknown (see errors.py); ccxt never retries."""
        market = await self._market(req.symbol)
        amount, price = self._rounded(req, market)
        params = {"clientOrderId": req.client_order_id}
        try:
            with localcontext():
                raw = await self._x.create_order(
                    req.symbol, req.type, req.side, plain(amount),
                    None if price is None else plain(price), params,
                )  # fmt: skip
        except ccxt.BaseError as e:
            raise placement_error(e) from e
        except Exception as e:  # the request may have gone out: the outcome is unknown
            raise OutcomeUnknown(f"{type(e).__name__}: {e}") from e
        try:
            return await self._with_fills(raw, req.symbol)
        except ExchangeLayerError as e:
            raise OutcomeUnknown(f"placed as {raw.get('id')}, fills not read: {e.reason}") from e

    async def _read(self, method: str, *args: Any) -> Any:
        try:
            with localcontext():
                return await getattr(self._x, method)(*args)
        except ccxt.BaseError as e:
            raise read_error(e) from e

    async def _with_fills(self, raw: dict, symbol: str) -> ExchangeOrder:
        """The order, with its trades read from the exchange when the answer lacks them."""
        order = to_exchange_order(raw)
        if order.filled <= sum((f.amount for f in order.fills), Decimal(0)):
            return order
        oid = order.exchange_order_id
        if self._x.has.get("fetchOrderTrades"):
            trades = await self._read("fetch_order_trades", oid, symbol)
        else:
            mine = await self._read("fetch_my_trades", symbol)
            trades = [t for t in mine if t.get("order") == oid]
        return replace(order, fills=to_exchange_order(raw, trades).fills)

    async def lookup(self, client_order_id: str, symbol: str) -> ExchangeOrder | None:
        """The order with this client order id, or None when the exchange does not know it.
        Raises Retryable (network, rate limit) or ExchangeLayerError (refused for good)."""
        await self._load()
        try:
            with localcontext():
                params = {self._lookup_param: client_order_id}
                raw = await self._x.fetch_order(None, symbol, params)
        except ccxt.OrderNotFound:
            return None
        except ccxt.BaseError as e:
            raise read_error(e) from e
        return await self._with_fills(raw, symbol)

    async def cancel(self, client_order_id: str, symbol: str) -> ExchangeOrder | None:
        """Cancel an open order; its final state, or None when the exchange knows no OPEN
        order with this id (never placed, or already filled/canceled: ``lookup`` tells)."""
        await self._load()
        try:
            with localcontext():
                params = {self._lookup_param: client_order_id}
                raw = await self._x.cancel_order(None, symbol, params)
        except ccxt.OrderNotFound:
            return None
        except ccxt.BaseError as e:
            raise read_error(e) from e
        return await self._with_fills(raw, symbol)
