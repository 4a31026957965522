"""Market data and fee figures as the pipeline needs them, over the exchange package.

``market`` is the exchange package's market data (SimMarketData or CcxtMarketData, or a test
double with the same ``ticker``/``candles``); ``fee_bps`` gives (maker, taker) in bps for an
exchange id (the exchange package's ``fees.maker_taker_bps`` with FEE_OVERRIDES_BPS bound).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, Protocol

import grpc

from services.common.errors import AppError, invalid
from services.common.logs import log_event
from services.orders.domain.fees import FeeCosts
from services.orders.domain.paper import Quote
from services.orders.exchange import MarketDataError, UnknownSymbol

log = logging.getLogger("amarktai.orders.prices")


class MarketData(Protocol):
    async def ticker(self, exchange: str, symbol: str) -> Any: ...

    async def candles(self, exchange: str, symbol: str, timeframe: str, limit: int) -> Any: ...


def _dec(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    d = value if isinstance(value, Decimal) else Decimal(str(value))
    return d if d.is_finite() and d > 0 else None


def market_unavailable(exchange: str, symbol: str, exc: BaseException) -> AppError:
    return AppError(
        grpc.StatusCode.UNAVAILABLE,
        "MARKET_DATA_UNAVAILABLE",
        f"no market data for {symbol} on {exchange}: {exc}",
    )


class Prices:
    def __init__(
        self,
        market: MarketData,
        fee_bps: Callable[[str], tuple[Decimal, Decimal]],
        *,
        spreads: Mapping[str, Decimal],
        default_spread_bps: Decimal,
        slippage_buffer_bps: Decimal,
        safety_margin_bps: Decimal,
        min_edge_bps: Decimal,
    ) -> None:
        self.market = market
        self._fee_bps = fee_bps
        self.spreads = dict(spreads)
        self.default_spread_bps = default_spread_bps
        self.slippage_buffer_bps = slippage_buffer_bps
        self.safety_margin_bps = safety_margin_bps
        self.min_edge_bps = min_edge_bps

    def spread_bps(self, symbol: str) -> Decimal:
        return self.spreads.get(symbol, self.default_spread_bps)

    def fees(self, exchange: str) -> tuple[Decimal, Decimal]:
        """(maker, taker) bps; an exchange ccxt does not know is bad input on ``exchange``."""
        try:
            maker, taker = self._fee_bps(exchange)
        except (KeyError, ValueError, AttributeError) as exc:
            raise invalid("exchange", f"{exchange!r} is not an exchange we know: {exc}") from None
        return Decimal(maker), Decimal(taker)

    def costs(self, exchange: str, symbol: str) -> FeeCosts:
        maker, taker = self.fees(exchange)
        return FeeCosts(
            maker_bps=maker,
            taker_bps=taker,
            spread_bps=self.spread_bps(symbol),
            slippage_buffer_bps=self.slippage_buffer_bps,
            safety_margin_bps=self.safety_margin_bps,
            min_edge_bps=self.min_edge_bps,
        )

    async def ticker(self, exchange: str, symbol: str) -> Any:
        try:
            return await self.market.ticker(exchange, symbol)
        except UnknownSymbol as exc:
            raise invalid("symbol", str(exc)) from None
        except MarketDataError as exc:
            log_event(log, "ticker_failed", logging.WARNING, exchange=exchange, symbol=symbol,
                      error=repr(exc))  # fmt: skip
            raise market_unavailable(exchange, symbol, exc) from exc

    async def quote(self, exchange: str, symbol: str) -> Quote:
        return self.to_quote(exchange, symbol, await self.ticker(exchange, symbol))

    @staticmethod
    def to_quote(exchange: str, symbol: str, t: Any) -> Quote:
        last = _dec(getattr(t, "last", None))
        bid, ask = _dec(getattr(t, "bid", None)), _dec(getattr(t, "ask", None))
        if last is None and bid is not None and ask is not None:
            last = (bid + ask) / 2
        if last is None:
            raise market_unavailable(exchange, symbol, ValueError("the ticker has no price"))
        return Quote(bid, ask, last)

    async def candles(self, exchange: str, symbol: str, timeframe: str, limit: int) -> Any:
        try:
            return await self.market.candles(exchange, symbol, timeframe, limit)
        except UnknownSymbol as exc:
            raise invalid("symbol", str(exc)) from None
        except MarketDataError as exc:
            raise market_unavailable(exchange, symbol, exc) from exc
        except ValueError as exc:  # the timeframe (the limit is checked before)
            raise invalid("timeframe", str(exc)) from None
