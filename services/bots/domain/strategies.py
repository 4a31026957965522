"""The runner's strategies as pure functions: closed candles in, one decision out.

A decision is taken on the last closed candle and names it (``at``): the runner keys the order
it places by that candle, so evaluating the same candle again (another tick, another replica
after a takeover) gives the same idempotency key. Both strategies act on the candle where a
signal *starts* (a crossing), never on a lasting condition, so one signal is one order.

- sma_crossover: buy when the fast simple moving average of closes crosses above the slow one,
  sell when it crosses below. Expected edge: how far the close stands beyond the slow average,
  in bps (a trend that broke out by that much is expected to keep it).
- rsi_reversion: Wilder's RSI over ``period``; buy when it falls below ``oversold``, sell when
  it rises above ``overbought``. Expected edge: the distance from the close back to the
  period's simple average, in bps (the move a reversion to the mean would give).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Context, Decimal, localcontext

from services.bots.domain.spec import RSI_REVERSION, SMA_CROSSOVER

CTX = Context(prec=34, rounding=ROUND_HALF_EVEN)
BPS = Decimal(10000)
EDGE_PLACES = Decimal("0.01")
BUY, SELL, HOLD = "buy", "sell", "hold"


@dataclass(frozen=True)
class Candle:
    open_time: datetime
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal = Decimal(0)


@dataclass(frozen=True)
class Decision:
    action: str  # buy | sell | hold
    at: datetime | None  # open time of the candle decided on; None when too few candles
    expected_edge_bps: Decimal = Decimal(0)
    reason: str = ""


def _mean(values: Sequence[Decimal]) -> Decimal:
    return sum(values, Decimal(0)) / len(values)


def _edge(diff: Decimal, base: Decimal) -> Decimal:
    if base <= 0 or diff <= 0:
        return Decimal(0)
    return (diff / base * BPS).quantize(EDGE_PLACES)


def sma_crossover(candles: Sequence[Candle], fast: int, slow: int) -> Decision:
    if len(candles) < slow + 1:
        return Decision(HOLD, None, reason=f"needs {slow + 1} candles, has {len(candles)}")
    closes = [c.close for c in candles]
    last = candles[-1]
    with localcontext(CTX):
        fast_now, slow_now = _mean(closes[-fast:]), _mean(closes[-slow:])
        fast_prev, slow_prev = _mean(closes[-fast - 1 : -1]), _mean(closes[-slow - 1 : -1])
        if fast_prev <= slow_prev and fast_now > slow_now:
            edge = _edge(last.close - slow_now, slow_now)
            return Decision(BUY, last.open_time, edge, f"SMA{fast} crossed above SMA{slow}")
        if fast_prev >= slow_prev and fast_now < slow_now:
            edge = _edge(slow_now - last.close, slow_now)
            return Decision(SELL, last.open_time, edge, f"SMA{fast} crossed below SMA{slow}")
    return Decision(HOLD, last.open_time, reason="no crossing")


def rsi_series(closes: Sequence[Decimal], period: int) -> list[Decimal]:
    """Wilder's RSI after each close from index ``period`` on (len(closes) - period values)."""
    with localcontext(CTX):
        changes = [b - a for a, b in zip(closes, closes[1:], strict=False)]
        if len(changes) < period:
            return []
        gain = _mean([max(c, Decimal(0)) for c in changes[:period]])
        loss = _mean([max(-c, Decimal(0)) for c in changes[:period]])
        out = [_rsi(gain, loss)]
        for c in changes[period:]:
            gain = (gain * (period - 1) + max(c, Decimal(0))) / period
            loss = (loss * (period - 1) + max(-c, Decimal(0))) / period
            out.append(_rsi(gain, loss))
    return out


def _rsi(gain: Decimal, loss: Decimal) -> Decimal:
    if loss == 0:
        return Decimal(100) if gain > 0 else Decimal(50)
    return Decimal(100) - Decimal(100) / (1 + gain / loss)


def rsi_reversion(
    candles: Sequence[Candle], period: int, oversold: Decimal, overbought: Decimal
) -> Decision:
    if len(candles) < period + 2:
        return Decision(HOLD, None, reason=f"needs {period + 2} candles, has {len(candles)}")
    closes = [c.close for c in candles]
    last = candles[-1]
    rsi = rsi_series(closes, period)
    prev, now = rsi[-2], rsi[-1]
    with localcontext(CTX):
        mean = _mean(closes[-period:])
        if prev >= oversold > now:
            edge = _edge(mean - last.close, last.close)
            return Decision(BUY, last.open_time, edge, f"RSI {now:.2f} fell below {oversold}")
        if prev <= overbought < now:
            edge = _edge(last.close - mean, last.close)
            return Decision(SELL, last.open_time, edge, f"RSI {now:.2f} rose above {overbought}")
    return Decision(HOLD, last.open_time, reason="RSI entered no zone")


def decide(strategy: str, params: Mapping[str, str], candles: Sequence[Candle]) -> Decision:
    """The decision of a bot's strategy (its stored, canonical params) on closed candles."""
    if strategy == SMA_CROSSOVER:
        return sma_crossover(candles, int(params["fast"]), int(params["slow"]))
    if strategy == RSI_REVERSION:
        return rsi_reversion(
            candles,
            int(params["period"]),
            Decimal(params["oversold"]),
            Decimal(params["overbought"]),
        )
    return Decision(HOLD, None, reason=f"{strategy} places no orders by itself")
