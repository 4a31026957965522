from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from services.orders.exchange import CcxtMarketData, MarketDataUnavailable, UnknownSymbol
from tests.integration.exchange.conftest import ccxt_for, closed_port_url

D = Decimal


@pytest.fixture
async def md(fake):
    source = CcxtMarketData(lambda exchange_id: ccxt_for(fake.url, keys=False))
    yield source
    await source.close()


async def test_ticker_from_the_exchange(fake, md):
    t = await md.ticker("binance", "BTC/USDT")
    # the fake quotes 60000.00 with one tick (0.01) either side
    assert (t.symbol, t.last, t.bid, t.ask) == (
        "BTC/USDT",
        D("60000"),
        D("59999.99"),
        D("60000.01"),
    )
    assert all(isinstance(v, Decimal) for v in (t.last, t.bid, t.ask))
    assert t.at.tzinfo is not None and abs(datetime.now(UTC) - t.at) < timedelta(seconds=5)


async def test_ticker_follows_the_price(fake, md):
    fake.set_price("ETH/USDT", "3123.45")
    t = await md.ticker("binance", "ETH/USDT")
    assert (t.last, t.bid, t.ask) == (D("3123.45"), D("3123.44"), D("3123.46"))


async def test_candles_from_the_exchange(fake, md):
    fake.set_price("BTC/USDT", "61000.5")
    candles = await md.candles("binance", "BTC/USDT", "1m", 5)
    assert len(candles) == 5
    for prev, c in zip(candles, candles[1:], strict=False):
        assert c.open_time - prev.open_time == timedelta(minutes=1)
    assert all(c.close == D("61000.5") and c.volume == D(1) for c in candles)
    assert datetime.now(UTC) - candles[-1].open_time < timedelta(minutes=1, seconds=5)


async def test_markets_are_loaded_once_and_spot_only(fake, md):
    await md.ticker("binance", "BTC/USDT")
    await md.ticker("binance", "ETH/USDT")
    await md.candles("binance", "BTC/USDT")
    paths = [p for _, p in fake.requests]
    assert paths.count("/api/v3/exchangeInfo") == 1
    assert all(p.startswith("/api/v3/") for p in paths)  # no futures, margin or currencies


async def test_unknown_symbol(md):
    with pytest.raises(UnknownSymbol):
        await md.ticker("binance", "DOGE/USDT")


async def test_exchange_down_is_unavailable():
    source = CcxtMarketData(lambda exchange_id: ccxt_for(closed_port_url(), keys=False))
    try:
        with pytest.raises(MarketDataUnavailable):
            await source.ticker("binance", "BTC/USDT")
    finally:
        await source.close()


async def test_bad_window_is_refused_before_any_call(fake, md):
    with pytest.raises(ValueError):
        await md.candles("binance", "BTC/USDT", "7m")
    assert fake.requests == []
