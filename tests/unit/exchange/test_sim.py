import asyncio
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from services.orders.exchange import sim
from services.orders.exchange.errors import UnknownSymbol
from services.orders.exchange.market import SimMarketData

D = Decimal
T0 = datetime(2026, 3, 10, 12, 0, 30, tzinfo=UTC)
REPO = Path(__file__).resolve().parents[3]


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def feed(seed: int = 42, now: datetime = T0, spread: str = "10") -> tuple[SimMarketData, Clock]:
    clock = Clock(now)
    return SimMarketData(seed, clock, lambda symbol: D(spread)), clock


async def prices(md: SimMarketData, clock: Clock, symbol: str, minutes: int) -> list[Decimal]:
    out = []
    for m in range(minutes):
        clock.now = T0 + timedelta(minutes=m)
        out.append((await md.ticker("binance", symbol)).last)
    return out


async def test_same_seed_same_prices():
    a, clock_a = feed(42)
    b, clock_b = feed(42)
    assert await prices(a, clock_a, "BTC/USDT", 30) == await prices(b, clock_b, "BTC/USDT", 30)
    assert await a.candles("x", "ETH/USDT", "1m", 50) == await b.candles("y", "ETH/USDT", "1m", 50)


async def test_different_seed_different_prices():
    a, clock_a = feed(42)
    b, clock_b = feed(43)
    assert await prices(a, clock_a, "BTC/USDT", 30) != await prices(b, clock_b, "BTC/USDT", 30)


async def test_a_minutes_price_does_not_depend_on_what_was_asked_before():
    a, clock_a = feed(42)
    b, clock_b = feed(42)
    later = T0 + timedelta(days=3, minutes=17)
    clock_a.now = later
    first = await a.ticker("binance", "BTC/USDT")  # a asks the far minute first
    await prices(b, clock_b, "BTC/USDT", 5)  # b asks other minutes first
    clock_b.now = later
    assert (await b.ticker("binance", "BTC/USDT")).last == first.last


def test_same_prices_in_another_process_with_another_hash_seed():
    code = (
        "from datetime import datetime, UTC; from decimal import Decimal; import asyncio\n"
        "from services.orders.exchange.market import SimMarketData\n"
        "md = SimMarketData(42, lambda: datetime(2026, 3, 10, 12, 0, 30, tzinfo=UTC),"
        " lambda s: Decimal(10))\n"
        "print(asyncio.run(md.ticker('binance', 'BTC/USDT')).last)\n"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, check=True
    )
    here, _ = feed(42)

    assert out.stdout.strip() == str(asyncio.run(here.ticker("binance", "BTC/USDT")).last)


async def test_prices_are_plausible():
    md, clock = feed(42)
    btc = await prices(md, clock, "BTC/USDT", 3 * 1440)  # three days, minute by minute
    assert all(D(54000) < p < D(66000) for p in btc)  # within ~10% of 60000
    moves = [abs(b / a - 1) for a, b in zip(btc, btc[1:], strict=False)]
    assert max(moves) < D("0.0025")  # a minute never moves more than 0.25%
    mean = sum(moves) / len(moves)
    assert D("0.0004") < mean < D("0.0015")  # about 0.1% per minute
    eth = await md.ticker("binance", "ETH/USDT")
    assert D(2700) < eth.last < D(3300)
    other = await md.ticker("binance", "LINK/USDT")
    assert D(90) < other.last < D(110)


async def test_quantization_two_places_above_one_six_below():
    md, _ = feed(42)
    btc = await md.ticker("binance", "BTC/USDT")
    xrp = await md.ticker("binance", "XRP/USDT")
    assert btc.last.as_tuple().exponent == -2
    assert xrp.last < 1 and xrp.last.as_tuple().exponent == -6
    assert btc.bid.as_tuple().exponent == btc.ask.as_tuple().exponent == -2


async def test_bid_and_ask_are_last_minus_and_plus_half_the_spread():
    md, _ = feed(42, spread="10")  # 10 bps: half is 0.05% of last
    t = await md.ticker("binance", "BTC/USDT")
    half = t.last * D("0.0005")  # ~30 USDT at 60000
    assert abs((t.last - t.bid) - half) < D("0.01")
    assert abs((t.ask - t.last) - half) < D("0.01")
    assert t.at == T0
    flat, _ = feed(42, spread="0")
    t0 = await flat.ticker("binance", "BTC/USDT")
    assert t0.bid == t0.ask == t0.last == t.last


async def test_candles_agree_with_tickers():
    md, clock = feed(42)
    candles = await md.candles("binance", "BTC/USDT", "1m", 60)
    assert len(candles) == 60
    assert candles[-1].open_time == datetime(2026, 3, 10, 12, 0, tzinfo=UTC)  # current minute
    assert candles[0].open_time == datetime(2026, 3, 10, 11, 1, tzinfo=UTC)
    assert candles[-1].close == (await md.ticker("binance", "BTC/USDT")).last
    for prev, c in zip(candles, candles[1:], strict=False):
        assert c.open_time - prev.open_time == timedelta(minutes=1)
        assert c.open == prev.close
    for c in candles:
        assert c.low <= min(c.open, c.close) <= max(c.open, c.close) <= c.high
        assert c.volume > 0
    # a minute earlier, the ticker said what that candle closed at
    clock.now = T0 - timedelta(minutes=1)
    assert (await md.ticker("binance", "BTC/USDT")).last == candles[-2].close


async def test_candles_continue_across_midnight():
    md, _ = feed(42, now=datetime(2026, 3, 11, 0, 5, tzinfo=UTC))
    candles = await md.candles("binance", "ETH/USDT", "1m", 10)
    midnight = [c for c in candles if c.open_time == datetime(2026, 3, 11, tzinfo=UTC)][0]
    before = candles[candles.index(midnight) - 1]
    assert midnight.open == before.close


async def test_five_minute_candles_aggregate_the_minutes():
    md, _ = feed(42, now=datetime(2026, 3, 10, 12, 7, 10, tzinfo=UTC))
    ones = await md.candles("binance", "BTC/USDT", "1m", 13)  # 11:55 .. 12:07
    fives = await md.candles("binance", "BTC/USDT", "5m", 2)  # 12:00 and 12:05 (so far)
    assert [c.open_time.minute for c in fives] == [0, 5]
    full = [c for c in ones if 0 <= c.open_time.minute < 5 and c.open_time.hour == 12]
    assert fives[0].open == full[0].open and fives[0].close == full[-1].close
    assert fives[0].high == max(c.high for c in full)
    assert fives[0].low == min(c.low for c in full)
    assert fives[0].volume == sum(c.volume for c in full)
    partial = [c for c in ones if c.open_time.minute >= 5]  # 12:05, 12:06, 12:07
    assert fives[1].close == partial[-1].close == ones[-1].close


async def test_the_path_is_computed_once_per_day_and_symbol(monkeypatch):
    calls = []
    real = sim.make_block

    def counting(seed, symbol, block):
        calls.append((symbol, block))
        return real(seed, symbol, block)

    monkeypatch.setattr(sim, "make_block", counting)
    md, clock = feed(42)
    await prices(md, clock, "BTC/USDT", 200)
    assert calls == [("BTC/USDT", T0.toordinal() - datetime(1970, 1, 1).toordinal())]


@pytest.mark.parametrize("symbol", ["BTCUSDT", "BTC/", "/USDT", "BTC-USDT/X Y"])
async def test_bad_symbols(symbol):
    md, _ = feed()
    with pytest.raises(UnknownSymbol):
        await md.ticker("binance", symbol)


async def test_bad_windows_and_clocks():
    md, _ = feed()
    with pytest.raises(ValueError, match="timeframe"):
        await md.candles("binance", "BTC/USDT", "2m")
    for limit in (0, 1001):
        with pytest.raises(ValueError, match="limit"):
            await md.candles("binance", "BTC/USDT", "1m", limit)
    naive = SimMarketData(1, lambda: datetime(2026, 1, 1), lambda s: D(10))
    with pytest.raises(ValueError, match="timezone"):
        await naive.ticker("binance", "BTC/USDT")
