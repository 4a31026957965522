"""The runner's pure parts: the timeframe for an interval and how many candles a bot needs."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from services.bots.domain import State
from services.bots.model import Bot
from services.bots.runner import candles_needed, timeframe_for


@pytest.mark.parametrize(
    "interval, expected",
    [(5, ("1m", 60)), (60, ("1m", 60)), (299, ("1m", 60)), (300, ("5m", 300)),
     (3600, ("1h", 3600)), (20000, ("4h", 14400)), (86400, ("1d", 86400))],
)  # fmt: skip
def test_timeframe_for(interval, expected):
    assert timeframe_for(interval) == expected


def bot(strategy: str, params: dict) -> Bot:
    t = datetime(2026, 1, 1, tzinfo=UTC)
    return Bot("b", "u", "n", "binance", "BTC/USDT", strategy, params, Decimal(1), 60, "PAPER",
               State.RUNNING, "", t, t)  # fmt: skip


def test_candles_needed():
    assert candles_needed(bot("sma_crossover", {"fast": "5", "slow": "20"})) == 22
    assert candles_needed(bot("rsi_reversion", {"period": "14"})) == 45
    assert candles_needed(bot("sma_crossover", {"fast": "5", "slow": "200"})) == 202
    assert candles_needed(bot("rsi_reversion", {"period": "100"})) == 303
