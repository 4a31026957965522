"""Promotion criteria: each one's value and requirement, worked out by hand."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from services.bots.domain import Facts, Requirements, evaluate

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
GOOD = Facts(
    totp_enabled=True,
    totp_checked=True,
    created_at=NOW - timedelta(days=7, hours=12),
    now=NOW,
    trades=25,
    win_rate=Decimal("0.52"),
    net_pnl=Decimal("30"),
    allocated_capital=Decimal("1000"),
    exchange="binance",
    key_exchanges=frozenset({"binance"}),
)


def by_name(facts: Facts) -> dict:
    return {c.name: c for c in evaluate(facts, Requirements())}


def test_all_met_at_the_exact_thresholds():
    got = by_name(GOOD)
    assert all(c.met for c in got.values())
    assert got["paper_days"].value == "7.5"
    assert got["paper_days"].requirement == ">= 7"
    assert got["closed_trades"].value == "25"
    assert got["win_rate"].value == "0.52"
    assert got["net_profit_pct"].value == "0.03"  # 30 / 1000
    assert got["exchange_keys"].value == "stored"


def failing(**changes) -> list[str]:
    return [c.name for c in evaluate(replace(GOOD, **changes), Requirements()) if not c.met]


def test_each_criterion_fails_alone():
    assert failing(totp_enabled=False, totp_checked=False) == ["two_factor_enabled", "totp_code"]
    assert failing(created_at=NOW - timedelta(days=7) + timedelta(seconds=1)) == ["paper_days"]
    assert failing(trades=24) == ["closed_trades"]
    assert failing(win_rate=Decimal("0.5199")) == ["win_rate"]
    assert failing(net_pnl=Decimal("29.99")) == ["net_profit_pct"]
    assert failing(key_exchanges=frozenset({"kraken"})) == ["exchange_keys"]


def test_values_of_a_young_losing_bot():
    got = by_name(replace(GOOD, created_at=NOW - timedelta(hours=36), net_pnl=Decimal("-12.5")))
    assert got["paper_days"].value == "1.5"
    assert got["net_profit_pct"].value == "-0.0125"  # -12.5 / 1000
