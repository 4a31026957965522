"""Strategies on candles worked out by hand."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from services.bots.domain import BUY, HOLD, SELL, Candle, decide
from services.bots.domain.strategies import rsi_series, sma_crossover

D = Decimal
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def candles(closes) -> list[Candle]:
    return [Candle(T0 + timedelta(minutes=i), D(c), D(c), D(c), D(c)) for i, c in enumerate(closes)]


def test_sma_buy_on_the_crossing_candle():
    # fast=2, slow=3. Before: SMA2(10,9)=9.5 <= SMA3(10,10,9)=9.667.
    # Now: SMA2(9,12)=10.5 > SMA3(10,9,12)=10.333 -> buy.
    # edge = (12 - 10.333...) / 10.333... * 10000 = 1612.90 bps
    d = sma_crossover(candles([10, 10, 9, 12]), 2, 3)
    assert d.action == BUY
    assert d.at == T0 + timedelta(minutes=3)
    assert d.expected_edge_bps == D("1612.90")


def test_sma_sell_on_the_crossing_candle():
    # Before: SMA2(10,11)=10.5 >= SMA3(10,10,11)=10.333; now SMA2(11,8)=9.5 < SMA3(10,11,8)=9.667
    # edge = (9.6667 - 8) / 9.6667 * 10000 = 1724.14 bps
    d = sma_crossover(candles([10, 10, 11, 8]), 2, 3)
    assert d.action == SELL
    assert d.expected_edge_bps == D("1724.14")


def test_sma_holds_while_the_trend_lasts_and_with_too_few_candles():
    assert sma_crossover(candles([10, 9, 12, 13]), 2, 3).action == HOLD  # already above
    short = sma_crossover(candles([10, 9, 12]), 2, 3)
    assert short.action == HOLD and short.at is None


def test_rsi_values_by_hand():
    # period 2, changes +1, -1, -2: first avg gain 0.5, loss 0.5 -> RSI 50
    # then gain = (0.5*1 + 0)/2 = 0.25, loss = (0.5*1 + 2)/2 = 1.25 -> RS 0.2 -> RSI 16.67
    rsi = rsi_series([D(10), D(11), D(10), D(8)], 2)
    assert rsi[0] == D(50)
    assert round(rsi[1], 2) == D("16.67")


def test_rsi_buy_when_it_falls_below_oversold():
    # RSI goes 50 -> 16.67 with oversold 30: buy on the last candle.
    # mean of the last 2 closes (10, 8) = 9; edge = (9 - 8) / 8 * 10000 = 1250 bps
    params = {"period": "2", "oversold": "30", "overbought": "70", "amount": "1"}
    d = decide("rsi_reversion", params, candles([10, 11, 10, 8]))
    assert d.action == BUY
    assert d.expected_edge_bps == D("1250.00")
    assert d.at == T0 + timedelta(minutes=3)


def test_rsi_sell_when_it_rises_above_overbought():
    # changes -1, +1, +2: RSI 50, then gain (0.5+2)/2=1.25, loss 0.25 -> RSI 83.33 > 70: sell
    # mean (10, 12) = 11; edge = (12 - 11) / 12 * 10000 = 833.33 bps
    params = {"period": "2", "oversold": "30", "overbought": "70", "amount": "1"}
    d = decide("rsi_reversion", params, candles([10, 9, 10, 12]))
    assert d.action == SELL
    assert d.expected_edge_bps == D("833.33")


def test_manual_never_decides():
    assert decide("manual", {}, candles([1, 2, 3])).action == HOLD
