"""OrdersSettings: the defaults of DESIGN 7, and a bad value names its variable."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from services.common.settings import SettingsError
from services.orders.settings import OrdersSettings

BASE = {"JWT_SECRET": "s" * 40}


def test_defaults():
    s = OrdersSettings.from_env(BASE)
    assert s.common.listen_addr == "127.0.0.1:50052"
    assert (s.limits.per_bot_daily, s.limits.per_user_daily) == (50, 500)
    assert (s.limits.burst_orders, s.limits.burst_window_seconds) == (10, 10)
    assert s.thresholds.max_drawdown == D("0.20") and s.thresholds.max_daily_loss == D("0.10")
    assert (s.thresholds.max_consecutive_losses, s.thresholds.max_errors_per_hour) == (5, 10)
    assert (s.min_edge_bps, s.safety_margin_bps, s.slippage_buffer_bps) == (5, 2, 5)
    assert s.pending_order_ttl_hours == 24 and s.market_data == "sim" and s.market_seed == 42
    assert s.spread_bps("BTC/USDT") == 10 and s.fee_overrides == {}
    assert s.batching.max_batch == 256 and s.batching.linger == 0.002


def test_values():
    s = OrdersSettings.from_env(
        {**BASE, "SPREAD_BPS": "BTC/USDT=5,ETH/USDT=5", "FEE_OVERRIDES_BPS": "binance=7.5/10",
         "MAX_TRADES_PER_BOT_DAILY": "3", "MIN_EDGE_BPS": "0"}
    )  # fmt: skip
    assert s.spread_bps("BTC/USDT") == 5 and s.spread_bps("SOL/USDT") == 10
    assert s.fee_overrides == {"binance": (D("7.5"), D("10"))}
    assert s.limits.per_bot_daily == 3 and s.min_edge_bps == 0


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("MAX_TRADES_PER_BOT_DAILY", "0"),
        ("MAX_TRADES_PER_USER_DAILY", "many"),
        ("BURST_LIMIT_WINDOW_SECONDS", "-1"),
        ("MAX_DRAWDOWN_PERCENT", "20"),
        ("MAX_DAILY_LOSS_PERCENT", "0"),
        ("MAX_CONSECUTIVE_LOSSES", "x"),
        ("MIN_EDGE_BPS", "NaN"),
        ("SPREAD_BPS", "BTC/USDT"),
        ("FEE_OVERRIDES_BPS", "binance=7.5"),
        ("MARKET_DATA", "live"),
        ("PENDING_ORDER_TTL_HOURS", "0"),
        ("EXCHANGE_BASE_URLS", "binance"),
        ("EXCHANGE_BASE_URLS", "nosuchexchange=http://127.0.0.1:9999"),
        ("EXCHANGE_BASE_URLS", "binance=ftp://127.0.0.1:9999"),
        ("EXCHANGE_BASE_URLS", "binance=http://127.0.0.1:99999"),
        ("EXCHANGE_BASE_URLS", "binance=http://a:1,binance=http://b:2"),
        ("ORDERS_FAULT_POINT", "somewhere"),
        ("ORDERS_LEASE_SECONDS", "0.5"),
        ("ORDERS_RECONCILE_SECONDS", "0"),
        ("ORDERS_EXCHANGE_TIMEOUT_SECONDS", "-1"),
        ("ORDERS_BATCH_MAX", "0"),
        ("ORDERS_BATCH_MAX", "1001"),
        ("ORDERS_BATCH_LINGER_MS", "-1"),
        ("ORDERS_BATCH_LINGER_MS", "1001"),
    ],
)
def test_bad_value_names_the_variable(name, value):
    with pytest.raises(SettingsError) as e:
        OrdersSettings.from_env({**BASE, name: value})
    assert e.value.variable == name


def test_live_settings_defaults():
    s = OrdersSettings.from_env(BASE)
    assert s.exchange_base_urls == {} and s.fault_point == ""
    assert (s.lease_seconds, s.reconcile_seconds, s.exchange_timeout_seconds) == (10, 5, 10)


def test_exchange_base_urls_and_fault_point():
    s = OrdersSettings.from_env(
        {**BASE, "EXCHANGE_BASE_URLS": " binance=http://127.0.0.1:9999/ , kraken=https://k.test",
         "ORDERS_FAULT_POINT": "after_exchange_ack"}
    )  # fmt: skip
    assert s.exchange_base_urls == {"binance": "http://127.0.0.1:9999", "kraken": "https://k.test"}
    assert s.fault_point == "after_exchange_ack"
