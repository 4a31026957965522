from decimal import Decimal

import ccxt
import pytest

from services.orders.exchange import fees
from services.orders.exchange.fees import is_known_exchange, maker_taker_bps, parse_fee_overrides


def test_binance_fees_come_from_ccxts_description():
    # ccxt describes Binance spot as maker 0.001 and taker 0.001: 0.1% = 10 bps
    assert maker_taker_bps("binance", {}) == (Decimal("10"), Decimal("10"))


def test_kraken_fees_come_from_ccxts_description():
    # ccxt: maker 0.0016, taker 0.0026 -> 16 and 26 bps
    assert maker_taker_bps("kraken", {}) == (Decimal("16"), Decimal("26"))


def test_fractions_become_bps_without_float_error(monkeypatch):
    # 0.0006 * 10000 is 5.999999999999999 in floats; through str it is exactly 6
    class Fake:
        fees = {"trading": {"maker": 0.0006, "taker": 0.0029}}

    monkeypatch.setattr(ccxt, "fakexchange", Fake, raising=False)
    monkeypatch.setattr(ccxt, "exchanges", [*ccxt.exchanges, "fakexchange"])
    fees._ccxt_bps.cache_clear()
    try:
        maker, taker = maker_taker_bps("fakexchange", {})
    finally:
        fees._ccxt_bps.cache_clear()
    assert (maker, taker) == (Decimal("6"), Decimal("29"))
    assert str(maker) == "6" and str(taker) == "29"


def test_overrides_replace_ccxts_fees():
    overrides = parse_fee_overrides("binance=7.5/10")
    assert maker_taker_bps("binance", overrides) == (Decimal("7.5"), Decimal("10"))
    assert maker_taker_bps("kraken", overrides) == (Decimal("16"), Decimal("26"))


def test_parse_several_with_spaces_and_case():
    assert parse_fee_overrides(" binance = 7.5 / 10 , Kraken=16/26,") == {
        "binance": (Decimal("7.5"), Decimal("10")),
        "kraken": (Decimal("16"), Decimal("26")),
    }


def test_parse_allows_a_maker_rebate():
    assert parse_fee_overrides("binance=-1/4") == {"binance": (Decimal("-1"), Decimal("4"))}


@pytest.mark.parametrize("text", ["", "   ", ","])
def test_parse_empty_means_no_overrides(text):
    assert parse_fee_overrides(text) == {}


@pytest.mark.parametrize(
    ("text", "bad_part"),
    [
        ("binance=7.5", "binance=7.5"),
        ("binance:7.5/10", "binance:7.5/10"),
        ("kraken=16/26,nosuchexchange=1/2", "nosuchexchange=1/2"),
        ("binance=abc/10", "binance=abc/10"),
        ("binance=7.5/", "binance=7.5/"),
        ("binance=NaN/10", "binance=NaN/10"),
        ("binance=7.5/Infinity", "binance=7.5/Infinity"),
        ("binance=7.5/5000", "binance=7.5/5000"),
        ("=1/2", "=1/2"),
        ("binance=1/2,binance=3/4", "binance=3/4"),
    ],
)
def test_parse_names_the_bad_part(text, bad_part):
    with pytest.raises(ValueError) as err:
        parse_fee_overrides(text)
    assert repr(bad_part) in str(err.value)


def test_known_exchanges():
    assert is_known_exchange("binance")
    assert is_known_exchange("kraken")
    assert not is_known_exchange("nosuchexchange")
    assert not is_known_exchange("Binance")


def test_unknown_exchange_without_override_is_an_error():
    with pytest.raises(ValueError, match="nosuchexchange"):
        maker_taker_bps("nosuchexchange", {})


def test_exchange_without_percentage_fees_asks_for_an_override():
    # ccxt's description of bitso has no trading fee figures
    with pytest.raises(ValueError, match="FEE_OVERRIDES_BPS"):
        maker_taker_bps("bitso", {})
    assert maker_taker_bps("bitso", {"bitso": (Decimal(50), Decimal(65))}) == (
        Decimal(50),
        Decimal(65),
    )


def test_fees_kept_beside_trading_are_found():
    # ccxt keeps bitget's spot fees under fees['spot']: 0.002 -> 20 bps
    assert maker_taker_bps("bitget", {}) == (Decimal("20"), Decimal("20"))
