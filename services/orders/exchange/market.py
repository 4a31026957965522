"""Market data: tickers and candles, from the seeded sim feed or from an exchange via ccxt."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import (
    ROUND_CEILING,
    ROUND_FLOOR,
    Context,
    Decimal,
    DivisionByZero,
    InvalidOperation,
    Overflow,
    localcontext,
)
from typing import Any, Protocol

import ccxt

from services.orders.exchange.errors import MarketDataUnavailable, UnknownSymbol
from services.orders.exchange.sim import PathCache, SymbolPath, split_symbol

TIMEFRAME_MINUTES = {"1m": 1, "5m": 5, "15m": 15, "1h": 60}
MAX_CANDLES = 1000
_CTX = Context(prec=34, traps=[InvalidOperation, DivisionByZero, Overflow])


@dataclass(frozen=True)
class Ticker:
    symbol: str
    bid: Decimal
    ask: Decimal
    last: Decimal
    at: datetime  # timezone-aware UTC


@dataclass(frozen=True)
class Candle:
    open_time: datetime  # timezone-aware UTC, start of the interval
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal  # in the base asset


class MarketData(Protocol):
    """Both raise UnknownSymbol for a symbol the source does not have, MarketDataUnavailable
    when the source cannot answer now, ValueError for a bad timeframe or limit."""

    async def ticker(self, exchange: str, symbol: str) -> Ticker: ...

    async def candles(
        self, exchange: str, symbol: str, timeframe: str = "1m", limit: int = 100
    ) -> list[Candle]: ...


def _check_window(timeframe: str, limit: int) -> int:
    if timeframe not in TIMEFRAME_MINUTES:
        raise ValueError(f"timeframe {timeframe!r} is not one of {', '.join(TIMEFRAME_MINUTES)}")
    if not 1 <= limit <= MAX_CANDLES:
        raise ValueError(f"limit {limit} is not between 1 and {MAX_CANDLES}")
    return TIMEFRAME_MINUTES[timeframe]


class SimMarketData:
    """A seeded random walk per symbol (see sim.py): the same seed, symbol and minute always
    give the same price, in every process. The exchange argument is ignored. The ticker's last
    price is constant within a minute and equals the close of that minute's candle; bid/ask are
    last -/+ half of ``spread_bps(symbol)``."""

    def __init__(
        self, seed: int, clock: Callable[[], datetime], spread_bps: Callable[[str], Decimal]
    ) -> None:
        self._paths = PathCache(seed)
        self._symbols: dict[str, SymbolPath] = {}
        self._clock = clock
        self._spread_bps = spread_bps
        # symbol -> (minute, bid, ask, last): constant within a minute, asked for by every order
        self._quotes: dict[str, tuple[int, Decimal, Decimal, Decimal]] = {}

    def _symbol(self, symbol: str) -> SymbolPath:
        found = self._symbols.get(symbol)
        if found is None:
            parts = split_symbol(symbol)
            if parts is None:
                raise UnknownSymbol(symbol, "expected BASE/QUOTE")
            found = self._symbols[symbol] = SymbolPath.for_symbol(*parts)
        return found

    def _now(self) -> tuple[datetime, int]:
        now = self._clock()
        if now.tzinfo is None:
            raise ValueError("the clock must give timezone-aware datetimes")
        return now, int(now.timestamp()) // 60

    async def ticker(self, exchange: str, symbol: str) -> Ticker:
        now, minute = self._now()
        held = self._quotes.get(symbol)
        if held is not None and held[0] == minute:
            return Ticker(symbol, held[1], held[2], held[3], now)
        path = self._symbol(symbol)
        last = path.price(self._paths.offset(symbol, minute))
        with localcontext(_CTX):
            half = last * self._spread_bps(symbol) / 20000
            bid = (last - half).quantize(path.quantum, rounding=ROUND_FLOOR)
            ask = (last + half).quantize(path.quantum, rounding=ROUND_CEILING)
        self._quotes[symbol] = (minute, bid, ask, last)
        return Ticker(symbol, bid, ask, last, now)

    async def candles(
        self, exchange: str, symbol: str, timeframe: str = "1m", limit: int = 100
    ) -> list[Candle]:
        """The last ``limit`` candles, oldest first; the newest is the current interval's."""
        size = _check_window(timeframe, limit)
        path = self._symbol(symbol)
        _, now_minute = self._now()
        current = now_minute - now_minute % size
        out = []
        for start in range(current - (limit - 1) * size, current + 1, size):
            last = min(start + size, now_minute + 1)
            minutes = [self._paths.minute(symbol, m) for m in range(start, last)]
            out.append(
                Candle(
                    open_time=datetime.fromtimestamp(start * 60, UTC),
                    open=path.price(minutes[0][0]),
                    high=path.price(max(m[1] for m in minutes)),
                    low=path.price(min(m[2] for m in minutes)),
                    close=path.price(minutes[-1][3]),
                    volume=Decimal(sum(m[4] for m in minutes)) / 100,
                )
            )
        return out


def _dec(value: Any, what: str) -> Decimal:
    if value is None:
        raise MarketDataUnavailable(f"the exchange gave no {what}")
    return Decimal(str(value))


def _when(ms: Any, fallback: Callable[[], datetime]) -> datetime:
    return fallback() if ms is None else datetime.fromtimestamp(int(ms) / 1000, UTC)


class CcxtMarketData:
    """Public tickers and candles through ccxt.async_support. ``make_exchange(exchange_id)``
    builds a ccxt exchange (``live.make_ccxt`` with no keys does); one is kept per exchange.
    Call ``close()`` at shutdown."""

    def __init__(
        self,
        make_exchange: Callable[[str], Any],
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._make = make_exchange
        self._clock = clock
        self._exchanges: dict[str, Any] = {}

    def _exchange(self, exchange_id: str) -> Any:
        if exchange_id not in self._exchanges:
            self._exchanges[exchange_id] = self._make(exchange_id)
        return self._exchanges[exchange_id]

    async def _call(self, exchange_id: str, symbol: str, method: str, *args: Any) -> Any:
        x = self._exchange(exchange_id)
        try:
            with localcontext():  # ccxt changes the decimal context it runs in
                await x.load_markets()
                return await getattr(x, method)(symbol, *args)
        except ccxt.BadSymbol as e:
            raise UnknownSymbol(symbol, str(e)) from e
        except ccxt.BaseError as e:
            raise MarketDataUnavailable(f"{exchange_id} {method}: {type(e).__name__}: {e}") from e

    async def ticker(self, exchange: str, symbol: str) -> Ticker:
        t = await self._call(exchange, symbol, "fetch_ticker")
        return Ticker(
            symbol,
            _dec(t.get("bid"), "bid"),
            _dec(t.get("ask"), "ask"),
            _dec(t.get("last"), "last price"),
            _when(t.get("timestamp"), self._clock),
        )

    async def candles(
        self, exchange: str, symbol: str, timeframe: str = "1m", limit: int = 100
    ) -> list[Candle]:
        _check_window(timeframe, limit)
        rows = await self._call(exchange, symbol, "fetch_ohlcv", timeframe, None, limit)
        return [
            Candle(
                datetime.fromtimestamp(int(r[0]) / 1000, UTC),
                _dec(r[1], "open"),
                _dec(r[2], "high"),
                _dec(r[3], "low"),
                _dec(r[4], "close"),
                _dec(r[5], "volume"),
            )
            for r in rows
        ]

    async def close(self) -> None:
        exchanges, self._exchanges = self._exchanges, {}
        for x in exchanges.values():
            await x.close()
