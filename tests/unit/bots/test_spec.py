"""Bot definitions: every bad field is named; good ones come back canonical."""

from decimal import Decimal

import pytest

from services.bots.domain import validate_spec
from services.common.errors import AppError

GOOD = dict(
    name="Trend BTC",
    exchange="binance",
    symbol="BTC/USDT",
    strategy="sma_crossover",
    params={"fast": "5", "slow": "20", "amount": "0.010"},
    allocated_capital="1000",
    interval_seconds=0,
)


def fields_of(**changes) -> list[str]:
    with pytest.raises(AppError) as err:
        validate_spec(**(GOOD | changes))
    assert err.value.code.name == "INVALID_ARGUMENT"
    return [f for f, _ in err.value.violations]


def test_good_spec_is_canonical():
    spec = validate_spec(**(GOOD | {"exchange": " Binance ", "symbol": "btc/usdt"}))
    assert spec.exchange == "binance"
    assert spec.symbol == "BTC/USDT"
    assert spec.params == {"fast": "5", "slow": "20", "amount": "0.01"}
    assert spec.allocated_capital == Decimal("1000")
    assert spec.interval_seconds == 60  # 0 means the default


def test_defaults_are_filled_in():
    spec = validate_spec(**(GOOD | {"params": {"amount": "1"}}))
    assert spec.params == {"fast": "10", "slow": "30", "amount": "1"}
    rsi = validate_spec(**(GOOD | {"strategy": "rsi_reversion", "params": {"amount": "2"}}))
    assert rsi.params == {"period": "14", "oversold": "30", "overbought": "70", "amount": "2"}
    manual = validate_spec(**(GOOD | {"strategy": "manual", "params": {}}))
    assert manual.params == {}


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"name": "bad\x00name"}, "name"),
        ({"exchange": ""}, "exchange"),
        ({"exchange": "not-an-exchange"}, "exchange"),
        ({"symbol": "BTCUSDT"}, "symbol"),
        ({"strategy": "martingale"}, "strategy"),
        ({"allocated_capital": ""}, "allocated_capital"),
        ({"allocated_capital": "0"}, "allocated_capital"),
        ({"allocated_capital": "-5"}, "allocated_capital"),
        ({"allocated_capital": "NaN"}, "allocated_capital"),
        ({"allocated_capital": "abc"}, "allocated_capital"),
        ({"interval_seconds": 4}, "interval_seconds"),
        ({"interval_seconds": 86401}, "interval_seconds"),
        ({"interval_seconds": -1}, "interval_seconds"),
        ({"params": {"fast": "20", "slow": "20", "amount": "1"}}, "params.fast"),
        ({"params": {"fast": "0", "slow": "20", "amount": "1"}}, "params.fast"),
        ({"params": {"fast": "2.5", "slow": "20", "amount": "1"}}, "params.fast"),
        ({"params": {"fast": "5", "slow": "201", "amount": "1"}}, "params.slow"),
        ({"params": {"fast": "5", "slow": "x", "amount": "1"}}, "params.slow"),
        ({"params": {"fast": "5", "slow": "20"}}, "params.amount"),
        ({"params": {"fast": "5", "slow": "20", "amount": "0"}}, "params.amount"),
        ({"params": {"fast": "5", "slow": "20", "amount": "1", "stop": "3"}}, "params.stop"),
    ],
)
def test_bad_field_is_named(changes, field):
    assert fields_of(**changes) == [field]


@pytest.mark.parametrize(
    "params, field",
    [
        ({"period": "1", "amount": "1"}, "params.period"),
        ({"period": "101", "amount": "1"}, "params.period"),
        ({"oversold": "0", "amount": "1"}, "params.oversold"),
        ({"oversold": "70", "overbought": "70", "amount": "1"}, "params.oversold"),
        ({"overbought": "100", "amount": "1"}, "params.overbought"),
        ({"overbought": "abc", "amount": "1"}, "params.overbought"),
        ({}, "params.amount"),
    ],
)
def test_rsi_params(params, field):
    assert fields_of(strategy="rsi_reversion", params=params) == [field]


def test_manual_takes_no_params():
    assert fields_of(strategy="manual", params={"amount": "1"}) == ["params.amount"]


def test_every_problem_is_listed_at_once():
    got = fields_of(name="", exchange="nope", symbol="x", allocated_capital="0")
    assert got == ["name", "exchange", "symbol", "allocated_capital"]
