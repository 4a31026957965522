"""A fake Binance spot REST API on 127.0.0.1, for driving real ccxt in tests.

In-process::

    async with FakeBinance() as fake:          # a free port; fake.url is http://127.0.0.1:PORT
        fake.set_price("BTC/USDT", "61000")
        fake.fail_next("timeout_after_accept")
        ...
        fake.orders_for("client-id-1")         # the orders it accepted with that client id
        fake.order_requests                    # every POST /api/v3/order it received

Standalone: ``python -m tests.fakes.fake_binance --port N``; the same controls are HTTP
endpoints: ``POST /_fake/price {"symbol", "price"}``, ``POST /_fake/fail_next {"kind"[,
"method", "path"]}``, ``POST /_fake/balance {"asset", "free"}``, ``GET /_fake/order_requests``,
``GET /_fake/orders``.

Signatures are not verified, but signed endpoints need the X-MBX-APIKEY header. Failure kinds
(each applies once, to the next matching request, by default POST /api/v3/order):

- ``timeout_after_accept``: the order is accepted, then the answer stalls past any client timeout
- ``disconnect_after_accept``: the order is accepted, then the connection is closed unanswered
- ``internal_error_after_accept``: the order is accepted, then 503 -1001
- ``internal_error``: 503 -1001 and nothing is accepted
- ``rate_limit``: 429 -1003; ``insufficient_funds``: 400 -2010; ``invalid_order``: 400 -1013
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tests.fakes.binance_book import SYMBOLS, BinanceError, Book, Order, fmt, insufficient, lot_size
from tests.fakes.http_server import DROP, HttpServer, Request, Response


def _internal() -> BinanceError:
    msg = "Internal error; unable to process your request. Please try again."
    return BinanceError(503, -1001, msg)


def _rate_limit() -> BinanceError:
    msg = "Too many requests; current limit is 6000 request weight per 1 MINUTE."
    return BinanceError(429, -1003, msg)


BEFORE = {
    "rate_limit": _rate_limit,
    "insufficient_funds": insufficient,
    "invalid_order": lot_size,
    "internal_error": _internal,
}
AFTER = {"timeout_after_accept", "disconnect_after_accept", "internal_error_after_accept"}
FAIL_KINDS = frozenset(BEFORE) | AFTER
SIGNED = {"/api/v3/order", "/api/v3/myTrades", "/api/v3/account", "/api/v3/openOrders"}
_INTERVALS = {"1m": 60, "3m": 180, "5m": 300, "15m": 900, "30m": 1800, "1h": 3600, "1d": 86400}


@dataclass(frozen=True)
class OrderRequest:
    """One POST /api/v3/order as received, and what the fake did with it."""

    client_order_id: str | None
    params: dict[str, str]
    outcome: str  # "accepted", "accepted+<failure kind>", or "error <code>"


class FakeBinance:
    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        stall_seconds: float = 30.0,
        keep_alive: bool = True,
    ) -> None:
        self.book = Book()
        self.order_requests: list[OrderRequest] = []
        self.requests: list[tuple[str, str]] = []  # (method, path) of every request
        self.stall_seconds = stall_seconds
        self._failures: list[tuple[str, str, str]] = []
        self._server = HttpServer(self._handle, host, port, keep_alive)
        self._host = host

    # ---- lifecycle
    @property
    def url(self) -> str:
        return f"http://{self._host}:{self._server.port}"

    async def start(self) -> FakeBinance:
        await self._server.start()
        return self

    async def stop(self) -> None:
        await self._server.stop()

    async def __aenter__(self) -> FakeBinance:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ---- controls
    def set_price(self, symbol: str, price: Decimal | str) -> None:
        self.book.set_price(symbol, Decimal(price))

    def set_balance(self, asset: str, free: Decimal | str) -> None:
        self.book.free[asset] = Decimal(free)

    def fail_next(self, kind: str, method: str = "POST", path: str = "/api/v3/order") -> None:
        if kind not in FAIL_KINDS:
            raise ValueError(f"unknown failure kind {kind!r}; one of {sorted(FAIL_KINDS)}")
        self._failures.append((method.upper(), path, kind))

    def orders_for(self, client_order_id: str) -> list[Order]:
        return [o for o in self.book.orders if o.client_order_id == client_order_id]

    # ---- HTTP
    async def _handle(self, req: Request) -> Response | object:
        self.requests.append((req.method, req.path))
        try:
            if req.path.startswith("/_fake/"):
                try:
                    return Response(200, self._control(req))
                except (ValueError, KeyError, TypeError, ArithmeticError) as e:
                    return Response(400, {"error": f"{type(e).__name__}: {e}"})
            if req.path in SIGNED and not req.headers.get("x-mbx-apikey"):
                raise BinanceError(401, -2014, "API-key format invalid.")
            failure = self._take_failure(req)
            if failure in BEFORE:
                error = BEFORE[failure]()
                if req.path == "/api/v3/order" and req.method == "POST":
                    self._record(req, f"error {error.code}")
                raise error
            payload = self._route(req)
            if failure is not None:
                if (req.method, req.path) == ("POST", "/api/v3/order"):
                    last = self.order_requests[-1]
                    self.order_requests[-1] = OrderRequest(
                        last.client_order_id, last.params, f"accepted+{failure}"
                    )
                return await self._after_accept(failure)
            return Response(200, payload)
        except BinanceError as e:
            return Response(e.status, {"code": e.code, "msg": e.msg})

    def _take_failure(self, req: Request) -> str | None:
        for i, (method, path, kind) in enumerate(self._failures):
            if method == req.method and path == req.path:
                del self._failures[i]
                return kind
        return None

    async def _after_accept(self, kind: str) -> Response | object:
        if kind == "timeout_after_accept":
            await asyncio.sleep(self.stall_seconds)  # cancelled when the fake stops
        if kind == "internal_error_after_accept":
            error = _internal()
            return Response(error.status, {"code": error.code, "msg": error.msg})
        return DROP

    def _record(self, req: Request, outcome: str) -> None:
        params = req.form()
        self.order_requests.append(OrderRequest(params.get("newClientOrderId"), params, outcome))

    def _route(self, req: Request) -> Any:
        p, book, key = req.form(), self.book, (req.method, req.path)
        if key == ("POST", "/api/v3/order"):
            try:
                order = book.place(p)
            except BinanceError as e:
                self._record(req, f"error {e.code}")
                raise
            self._record(req, "accepted")
            return order.answer(p.get("newOrderRespType", "FULL"))
        if key == ("GET", "/api/v3/order"):
            return book.find(p).as_dict()
        if key == ("DELETE", "/api/v3/order"):
            return book.cancel(p).as_dict()
        if key == ("GET", "/api/v3/myTrades"):
            spec = book.spec(p.get("symbol", ""))
            oid = p.get("orderId")
            trades = [t for t in book.trades if t["symbol"] == spec.symbol]
            return [t for t in trades if oid is None or str(t["orderId"]) == oid]
        if key == ("GET", "/api/v3/openOrders"):
            return [o.as_dict() for o in book.orders if o.status == "NEW"]
        if key == ("GET", "/api/v3/account"):
            return book.account()
        if key == ("GET", "/api/v3/exchangeInfo"):
            return exchange_info(book.now_ms())
        if key == ("GET", "/api/v3/ticker/24hr"):
            return ticker(book, p.get("symbol", ""))
        if key == ("GET", "/api/v3/klines"):
            return klines(book, p)
        if key == ("GET", "/api/v3/time"):
            return {"serverTime": book.now_ms()}
        if key == ("GET", "/api/v3/ping"):
            return {}
        raise BinanceError(404, -1000, f"the fake does not serve {req.method} {req.path}")

    def _control(self, req: Request) -> Any:
        body = req.json() if req.method == "POST" else {}
        if req.path == "/_fake/price":
            self.set_price(body["symbol"], body["price"])
        elif req.path == "/_fake/balance":
            self.set_balance(body["asset"], body["free"])
        elif req.path == "/_fake/fail_next":
            method, path = body.get("method", "POST"), body.get("path", "/api/v3/order")
            self.fail_next(body["kind"], method, path)
        elif req.path == "/_fake/order_requests":
            return [r.__dict__ for r in self.order_requests]
        elif req.path == "/_fake/orders":
            return [o.as_dict() for o in self.book.orders]
        else:
            raise BinanceError(404, -1000, f"no control {req.path}")
        return {"ok": True}


def exchange_info(now_ms: int) -> dict:
    symbols = [
        {
            "symbol": s.symbol,
            "status": "TRADING",
            "baseAsset": s.base,
            "baseAssetPrecision": 8,
            "quoteAsset": s.quote,
            "quotePrecision": 8,
            "quoteAssetPrecision": 8,
            "orderTypes": ["LIMIT", "LIMIT_MAKER", "MARKET"],
            "icebergAllowed": False,
            "ocoAllowed": False,
            "quoteOrderQtyMarketAllowed": True,
            "isSpotTradingAllowed": True,
            "isMarginTradingAllowed": False,
            "permissions": ["SPOT"],
            "permissionSets": [["SPOT"]],
            "filters": [
                {
                    "filterType": "PRICE_FILTER",
                    "minPrice": fmt(s.tick),
                    "maxPrice": fmt(Decimal(1000000)),
                    "tickSize": fmt(s.tick),
                },
                {
                    "filterType": "LOT_SIZE",
                    "minQty": fmt(s.min_qty),
                    "maxQty": fmt(s.max_qty),
                    "stepSize": fmt(s.step),
                },
            ],
        }
        for s in SYMBOLS.values()
    ]
    return {"timezone": "UTC", "serverTime": now_ms, "rateLimits": [], "symbols": symbols}


def ticker(book: Book, symbol: str) -> dict:
    spec = book.spec(symbol)
    price = book.prices[spec.symbol]
    now = book.now_ms()
    return {
        "symbol": spec.symbol,
        "priceChange": fmt(Decimal(0)),
        "priceChangePercent": "0.000",
        "weightedAvgPrice": fmt(price),
        "prevClosePrice": fmt(price),
        "lastPrice": fmt(price),
        "lastQty": fmt(Decimal(1)),
        "bidPrice": fmt(price - spec.tick),
        "bidQty": fmt(Decimal(1)),
        "askPrice": fmt(price + spec.tick),
        "askQty": fmt(Decimal(1)),
        "openPrice": fmt(price),
        "highPrice": fmt(price),
        "lowPrice": fmt(price),
        "volume": fmt(Decimal(100)),
        "quoteVolume": fmt(price * 100),
        "openTime": now - 86_400_000,
        "closeTime": now,
        "firstId": 1,
        "lastId": 100,
        "count": 100,
    }


def klines(book: Book, p: dict[str, str]) -> list[list]:
    """Flat candles at the symbol's current price, the newest being the current interval."""
    spec = book.spec(p.get("symbol", ""))
    step = _INTERVALS.get(p.get("interval", ""))
    if step is None:
        raise BinanceError(400, -1120, "Invalid interval.")
    limit = min(int(p.get("limit", "500")), 1000)
    price, ms = fmt(book.prices[spec.symbol]), step * 1000
    last = book.now_ms() // ms * ms
    opens = [last - i * ms for i in range(limit - 1, -1, -1)]
    return [
        [t, price, price, price, price, "1.00000000", t + ms - 1, price, 1, "0", "0", "0"]
        for t in opens
    ]


async def _main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    fake = await FakeBinance(args.host, args.port).start()
    print(f"fake binance listening on {fake.url}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await fake.stop()


if __name__ == "__main__":
    asyncio.run(_main())
