import decimal
import random
from decimal import ROUND_HALF_EVEN, Decimal, localcontext

import pytest
from ccxt.base.decimal_to_precision import (
    DECIMAL_PLACES,
    ROUND,
    SIGNIFICANT_DIGITS,
    TICK_SIZE,
    TRUNCATE,
    decimal_to_precision,
)

from services.orders.exchange.precision import plain, round_to_precision

D = Decimal


@pytest.mark.parametrize(
    ("value", "tick", "truncate", "expected"),
    [
        ("0.001234567", "0.00001000", True, "0.00123"),  # Binance BTC stepSize: down
        ("0.00001999", "0.00001", True, "0.00001"),
        ("0.000009", "0.00001", True, "0.00000"),
        ("2999.999", "0.01", False, "3000.00"),  # tickSize: half up
        ("2999.994", "0.01", False, "2999.99"),
        ("2999.995", "0.01", False, "3000.00"),
        ("10.26", "0.5", False, "10.5"),  # 20.52 ticks -> 21 ticks
        ("10.26", "0.5", True, "10.0"),
        ("1234", "10", True, "1230"),
    ],
)
def test_tick_size(value, tick, truncate, expected):
    got = round_to_precision(D(value), tick, TICK_SIZE, truncate=truncate)
    assert got == D(expected)
    assert plain(got) == expected


@pytest.mark.parametrize(
    ("value", "digits", "truncate", "expected"),
    [
        ("1.23456", 2, True, "1.23"),
        ("1.235", 2, False, "1.24"),
        ("1.234", 2, False, "1.23"),
        ("7", 3, False, "7.000"),
        ("1234.5", -1, True, "1230"),
    ],
)
def test_decimal_places(value, digits, truncate, expected):
    got = round_to_precision(D(value), digits, DECIMAL_PLACES, truncate=truncate)
    assert plain(got) == expected


@pytest.mark.parametrize(
    ("value", "digits", "truncate", "expected"),
    [
        ("123456", 3, True, "123000"),
        ("987.6", 3, False, "988"),
        ("0.00123456", 3, False, "0.00123"),
        ("0.00123556", 3, True, "0.00123"),
    ],
)
def test_significant_digits(value, digits, truncate, expected):
    got = round_to_precision(D(value), digits, SIGNIFICANT_DIGITS, truncate=truncate)
    assert plain(got) == expected


def test_bad_precisions_are_value_errors():
    with pytest.raises(ValueError):
        round_to_precision(D(1), None, TICK_SIZE, truncate=True)
    with pytest.raises(ValueError):
        round_to_precision(D(1), "0", TICK_SIZE, truncate=True)
    with pytest.raises(ValueError):
        round_to_precision(D(1), "1.5", DECIMAL_PLACES, truncate=True)


def test_same_results_as_ccxt_on_random_values():
    rng = random.Random(7)
    for _ in range(500):
        value = D(rng.randint(1, 10**9)).scaleb(-rng.randint(0, 9))
        tick = rng.choice(["0.00001000", "0.01", "0.5", "0.0001", "1"])
        for mode, precision in ((TICK_SIZE, tick), (DECIMAL_PLACES, rng.randint(0, 8))):
            for truncate in (True, False):
                with localcontext():  # ccxt's helper changes the context it runs in
                    theirs = decimal_to_precision(
                        str(value), TRUNCATE if truncate else ROUND, precision, mode
                    )
                ours = round_to_precision(value, precision, mode, truncate=truncate)
                assert ours == D(theirs), (value, precision, mode, truncate)


def test_rounding_leaves_the_threads_decimal_context_alone():
    before = decimal.getcontext().copy()
    round_to_precision(D("0.001234567"), "0.00001", TICK_SIZE, truncate=True)
    round_to_precision(D("2999.995"), "0.01", TICK_SIZE, truncate=False)
    after = decimal.getcontext()
    assert after.rounding == before.rounding == ROUND_HALF_EVEN
    assert after.prec == before.prec
    assert dict(after.traps) == dict(before.traps)


def test_ccxt_helper_does_change_the_context_it_runs_in():
    # why we round ourselves and wrap every ccxt call in a local context
    with localcontext() as ctx:
        decimal_to_precision("1.005", ROUND, 2, DECIMAL_PLACES)
        assert ctx.rounding == decimal.ROUND_HALF_UP
        assert ctx.traps[decimal.Underflow]


def test_plain_has_no_exponent():
    assert plain(D("1E-5")) == "0.00001"
    assert plain(D("1.0E+3")) == "1000"
