"""The bots service's settings: defaults, and a bad value names its variable."""

from decimal import Decimal

import pytest

from services.bots.settings import BotsSettings
from services.common.settings import SettingsError

BASE = {"JWT_SECRET": "s" * 40}


def test_defaults():
    s = BotsSettings.from_env(BASE)
    assert s.common.listen_addr == "127.0.0.1:50053"
    assert s.promotion.min_paper_days == 7
    assert s.promotion.min_trades == 25
    assert s.promotion.min_win_rate == Decimal("0.52")
    assert s.promotion.min_profit_pct == Decimal("0.03")
    assert s.runner_enabled and s.lease_seconds == 15


@pytest.mark.parametrize(
    "name, value",
    [
        ("LIVE_MIN_PAPER_DAYS", "seven"),
        ("LIVE_MIN_PAPER_DAYS", "-1"),
        ("LIVE_MIN_TRADES", "2.5"),
        ("LIVE_MIN_WIN_RATE", "1.5"),
        ("LIVE_MIN_WIN_RATE", "abc"),
        ("LIVE_MIN_PROFIT_PCT", "-0.1"),
        ("LIVE_MIN_PROFIT_PCT", "NaN"),
        ("BOT_LEASE_SECONDS", "1"),
        ("BOT_RUNNER", "maybe"),
        ("BOT_EVENTS_POLL_SECONDS", "0"),
        ("CALL_DEADLINE_SECONDS", "600"),
        ("BOTS_ADDR", "nowhere"),
    ],
)
def test_bad_value_names_the_variable(name, value):
    with pytest.raises(SettingsError) as err:
        BotsSettings.from_env(BASE | {name: value})
    assert err.value.variable == name
    assert name in str(err.value)


def test_values_are_read():
    s = BotsSettings.from_env(
        BASE
        | {
            "LIVE_MIN_PAPER_DAYS": "14",
            "LIVE_MIN_TRADES": "50",
            "LIVE_MIN_WIN_RATE": "0.6",
            "LIVE_MIN_PROFIT_PCT": "0.05",
            "BOT_RUNNER": "off",
        }
    )
    assert (s.promotion.min_paper_days, s.promotion.min_trades) == (14, 50)
    assert (s.promotion.min_win_rate, s.promotion.min_profit_pct) == (
        Decimal("0.6"),
        Decimal("0.05"),
    )
    assert not s.runner_enabled
