"""The state behind the fake Binance: markets, prices, balances, orders and trades.

Market orders fill at once at the symbol's price; limit orders fill at once at the price when
marketable, otherwise rest until ``set_price`` crosses them (then they fill at their limit).
Every fill pays 0.1% commission in the quote asset. Errors are ``BinanceError`` with the HTTP
status, code and message Binance would send.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

Q8 = Decimal("0.00000001")
COMMISSION = Decimal("0.001")


def fmt(value: Decimal) -> str:
    return format(value.quantize(Q8), "f")


@dataclass(frozen=True)
class SymbolSpec:
    symbol: str
    base: str
    quote: str
    tick: Decimal
    step: Decimal
    min_qty: Decimal
    max_qty: Decimal


SYMBOLS = {
    "BTCUSDT": SymbolSpec(
        "BTCUSDT", "BTC", "USDT", Decimal("0.01"), Decimal("0.00001"), Decimal("0.00001"),
        Decimal("9000"),
    ),
    "ETHUSDT": SymbolSpec(
        "ETHUSDT", "ETH", "USDT", Decimal("0.01"), Decimal("0.0001"), Decimal("0.0001"),
        Decimal("100000"),
    ),
}  # fmt: skip


class BinanceError(Exception):
    def __init__(self, status: int, code: int, msg: str) -> None:
        super().__init__(msg)
        self.status, self.code, self.msg = status, code, msg


def insufficient() -> BinanceError:
    return BinanceError(400, -2010, "Account has insufficient balance for requested action.")


def lot_size() -> BinanceError:
    return BinanceError(400, -1013, "Filter failure: LOT_SIZE")


@dataclass
class Order:
    order_id: int
    client_order_id: str
    spec: SymbolSpec
    side: str  # BUY / SELL
    type: str  # MARKET / LIMIT
    price: Decimal | None
    orig_qty: Decimal
    time_ms: int
    status: str = "NEW"
    executed_qty: Decimal = Decimal(0)
    quote_qty: Decimal = Decimal(0)
    update_ms: int = 0
    fills: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        """The GET /api/v3/order answer."""
        return {
            "symbol": self.spec.symbol,
            "orderId": self.order_id,
            "orderListId": -1,
            "clientOrderId": self.client_order_id,
            "price": fmt(self.price or Decimal(0)),
            "origQty": fmt(self.orig_qty),
            "executedQty": fmt(self.executed_qty),
            "cummulativeQuoteQty": fmt(self.quote_qty),
            "status": self.status,
            "timeInForce": "GTC",
            "type": self.type,
            "side": self.side,
            "stopPrice": fmt(Decimal(0)),
            "icebergQty": fmt(Decimal(0)),
            "time": self.time_ms,
            "updateTime": self.update_ms or self.time_ms,
            "isWorking": True,
            "workingTime": self.time_ms,
            "origQuoteOrderQty": fmt(Decimal(0)),
            "selfTradePreventionMode": "NONE",
        }

    def answer(self, resp_type: str) -> dict:
        """The POST /api/v3/order answer for newOrderRespType ACK, RESULT or FULL."""
        if resp_type == "ACK":
            return {
                "symbol": self.spec.symbol,
                "orderId": self.order_id,
                "orderListId": -1,
                "clientOrderId": self.client_order_id,
                "transactTime": self.time_ms,
            }
        out = self.as_dict()
        for key in ("stopPrice", "icebergQty", "time", "updateTime", "isWorking"):
            out.pop(key)
        out["transactTime"] = self.time_ms
        if resp_type == "FULL":
            out["fills"] = [
                {k: t[k] for k in ("price", "qty", "commission", "commissionAsset")}
                | {"tradeId": t["id"]}
                for t in self.fills
            ]
        return out


def _decimal(params: dict[str, str], name: str) -> Decimal:
    try:
        value = Decimal(params[name])
    except (KeyError, InvalidOperation):
        raise BinanceError(
            400, -1102, f"Mandatory parameter '{name}' was not sent, was empty/null, or malformed."
        ) from None
    if not value.is_finite() or value <= 0:
        raise BinanceError(400, -1102, f"Parameter '{name}' was malformed.")
    return value


class Book:
    def __init__(self, now_ms: Callable[[], int] | None = None) -> None:
        self.now_ms = now_ms or (lambda: int(time.time() * 1000))
        self.prices = {"BTCUSDT": Decimal("60000.00"), "ETHUSDT": Decimal("3000.00")}
        self.free: dict[str, Decimal] = {
            "USDT": Decimal(100000),
            "BTC": Decimal(1),
            "ETH": Decimal(10),
        }
        self.locked: dict[str, Decimal] = {}
        self.orders: list[Order] = []
        self.trades: list[dict] = []
        self._order_id = 1000
        self._trade_id = 5000

    def spec(self, symbol: str) -> SymbolSpec:
        spec = SYMBOLS.get(symbol.replace("/", ""))
        if spec is None:
            raise BinanceError(400, -1121, "Invalid symbol.")
        return spec

    # ---- orders
    def place(self, params: dict[str, str]) -> Order:
        spec = self.spec(params.get("symbol", ""))
        side, otype = params.get("side", ""), params.get("type", "")
        if side not in ("BUY", "SELL"):
            raise BinanceError(400, -1117, "Invalid side.")
        if otype not in ("MARKET", "LIMIT"):
            raise BinanceError(400, -1116, "Invalid orderType.")
        qty = _decimal(params, "quantity")
        if qty % spec.step != 0 or not spec.min_qty <= qty <= spec.max_qty:
            raise lot_size()
        price = _decimal(params, "price") if otype == "LIMIT" else None
        if price is not None and price % spec.tick != 0:
            raise BinanceError(400, -1013, "Filter failure: PRICE_FILTER")
        client_id = params.get("newClientOrderId") or f"fake-{self._order_id + 1}"
        if any(o.client_order_id == client_id and o.status == "NEW" for o in self.orders):
            raise BinanceError(400, -2010, "Duplicate order sent.")
        market = self.prices[spec.symbol]
        marketable = price is None or (price >= market if side == "BUY" else price <= market)
        fill_price = market if marketable else price
        assert fill_price is not None
        self._check_funds(spec, side, qty, fill_price)
        self._order_id += 1
        order = Order(self._order_id, client_id, spec, side, otype, price, qty, self.now_ms())
        self.orders.append(order)
        if marketable:
            self._fill(order, fill_price, maker=False)
        else:
            self._lock(spec, side, qty, fill_price)
        return order

    def _need(
        self, spec: SymbolSpec, side: str, qty: Decimal, price: Decimal
    ) -> tuple[str, Decimal]:
        if side == "BUY":
            cost = qty * price
            return spec.quote, cost + (cost * COMMISSION).quantize(Q8)
        return spec.base, qty

    def _check_funds(self, spec: SymbolSpec, side: str, qty: Decimal, price: Decimal) -> None:
        asset, amount = self._need(spec, side, qty, price)
        if self.free.get(asset, Decimal(0)) < amount:
            raise insufficient()

    def _lock(
        self, spec: SymbolSpec, side: str, qty: Decimal, price: Decimal, sign: int = 1
    ) -> None:
        asset, amount = self._need(spec, side, qty, price)
        self.free[asset] = self.free.get(asset, Decimal(0)) - sign * amount
        self.locked[asset] = self.locked.get(asset, Decimal(0)) + sign * amount

    def _fill(self, order: Order, price: Decimal, maker: bool) -> None:
        spec, qty = order.spec, order.orig_qty - order.executed_qty
        if maker:  # a resting order: release what it locked, then pay from free
            self._lock(spec, order.side, qty, price, sign=-1)
        quote = qty * price
        fee = (quote * COMMISSION).quantize(Q8)
        sign = 1 if order.side == "BUY" else -1
        self.free[spec.base] = self.free.get(spec.base, Decimal(0)) + sign * qty
        self.free[spec.quote] = self.free.get(spec.quote, Decimal(0)) - sign * quote - fee
        self._trade_id += 1
        trade = {
            "symbol": spec.symbol,
            "id": self._trade_id,
            "orderId": order.order_id,
            "orderListId": -1,
            "price": fmt(price),
            "qty": fmt(qty),
            "quoteQty": fmt(quote),
            "commission": fmt(fee),
            "commissionAsset": spec.quote,
            "time": self.now_ms(),
            "isBuyer": order.side == "BUY",
            "isMaker": maker,
            "isBestMatch": True,
        }
        self.trades.append(trade)
        order.fills.append(trade)
        order.executed_qty += qty
        order.quote_qty += quote
        order.status = "FILLED"
        order.update_ms = trade["time"]

    def find(self, params: dict[str, str]) -> Order:
        spec = self.spec(params.get("symbol", ""))
        client_id, order_id = params.get("origClientOrderId"), params.get("orderId")
        for order in reversed(self.orders):  # the newest order with that client id
            if order.spec is spec and (
                (client_id is not None and order.client_order_id == client_id)
                or (order_id is not None and str(order.order_id) == order_id)
            ):
                return order
        raise BinanceError(400, -2013, "Order does not exist.")

    def cancel(self, params: dict[str, str]) -> Order:
        try:
            order = self.find(params)
        except BinanceError:
            raise BinanceError(400, -2011, "Unknown order sent.") from None
        if order.status != "NEW":
            raise BinanceError(400, -2011, "Unknown order sent.")
        assert order.price is not None
        self._lock(order.spec, order.side, order.orig_qty, order.price, sign=-1)
        order.status = "CANCELED"
        order.update_ms = self.now_ms()
        return order

    def set_price(self, symbol: str, price: Decimal) -> None:
        spec = self.spec(symbol)
        self.prices[spec.symbol] = price
        for order in self.orders:
            if order.spec is spec and order.status == "NEW" and order.price is not None:
                if (order.side == "BUY" and order.price >= price) or (
                    order.side == "SELL" and order.price <= price
                ):
                    self._fill(order, order.price, maker=True)

    def account(self) -> dict:
        assets = sorted(set(self.free) | set(self.locked))
        balances = [
            {
                "asset": a,
                "free": fmt(self.free.get(a, Decimal(0))),
                "locked": fmt(self.locked.get(a, Decimal(0))),
            }
            for a in assets
        ]
        return {
            "makerCommission": 10,
            "takerCommission": 10,
            "canTrade": True,
            "canWithdraw": True,
            "canDeposit": True,
            "updateTime": self.now_ms(),
            "accountType": "SPOT",
            "balances": balances,
            "permissions": ["SPOT"],
        }
