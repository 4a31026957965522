"""The orders service's settings, read once at start. A bad value names its variable.

Gate and breaker settings (DESIGN 7) and their defaults:

| variable | default | meaning |
| --- | --- | --- |
| MAX_TRADES_PER_BOT_DAILY | 50 | accepted orders per bot per UTC day |
| MAX_TRADES_PER_USER_DAILY | 500 | accepted orders per user per UTC day |
| BURST_LIMIT_ORDERS_PER_EXCHANGE | 10 | accepted orders per (user, exchange) in the window |
| BURST_LIMIT_WINDOW_SECONDS | 10 | the sliding window |
| MAX_DRAWDOWN_PERCENT | 0.20 | a fraction: 0.20 is 20% |
| MAX_DAILY_LOSS_PERCENT | 0.10 | a fraction of the day's starting equity |
| MAX_CONSECUTIVE_LOSSES | 5 | trailing losing trades |
| MAX_ERRORS_PER_HOUR | 10 | execution errors in the last hour |
| MIN_EDGE_BPS | 5 | net edge an order must keep after costs |
| SAFETY_MARGIN_BPS | 2 | added to every order's cost |
| SLIPPAGE_BUFFER_BPS | 5 | added to a market order's cost |
| PAPER_SLIPPAGE_BPS | 2 | the paper simulator's slippage (kept below the buffer) |
| PENDING_ORDER_TTL_HOURS | 24 | how long an idempotency key stays taken |
| FEE_OVERRIDES_BPS | none | e.g. binance=7.5/10 (maker/taker) |
| SPREAD_BPS, DEFAULT_SPREAD_BPS | none, 10 | spread estimates |
| MARKET_DATA, MARKET_SEED | sim, 42 | market data source and the sim's seed |
| ORDERS_FILL_CHECK_SECONDS | 1 | how often resting paper limit orders are checked |
| ORDERS_CALL_TIMEOUT_SECONDS | 5 | deadline of every call to another service |
| ORDERS_BATCH_MAX | 256 | the most calls of concurrent orders sent together in one batch call |
| | | (1 to 1000; 1: every call on its own, see coalesce.py) |
| ORDERS_BATCH_LINGER_MS | 2 | under load, how long a batch waits for more (0 to 1000; 0: never) |
| EXCHANGE_BASE_URLS | none | where ccxt sends an exchange's calls instead of the real API, |
| | | e.g. binance=http://127.0.0.1:9999 (a fake exchange for tests and demos) |
| ORDERS_EXCHANGE_TIMEOUT_SECONDS | 10 | timeout of one request to an exchange |
| ORDERS_RECONCILE_SECONDS | 5 | how often open live orders are looked up at the exchange |
| ORDERS_LEASE_SECONDS | 10 | how long a silent process keeps a live order's lease (>= 1) |
| ORDERS_FAULT_POINT | none | TEST ONLY: die like SIGKILL at that point (see faults.py): |
| | | before_exchange_call, after_exchange_ack, after_commit, during_outbox_delivery |
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from services.common.coalesce import Batching
from services.common.settings import CommonSettings, Env, SettingsError
from services.orders.domain.breaker import Thresholds
from services.orders.domain.fees import parse_spreads
from services.orders.domain.limiter import Limits
from services.orders.faults import POINTS


@dataclass(frozen=True)
class OrdersSettings:
    common: CommonSettings
    limits: Limits
    thresholds: Thresholds
    min_edge_bps: Decimal
    safety_margin_bps: Decimal
    slippage_buffer_bps: Decimal
    paper_slippage_bps: Decimal
    pending_order_ttl_hours: int
    fee_overrides: Any  # what the exchange package's parse_fee_overrides gives
    spreads: Mapping[str, Decimal]
    default_spread_bps: Decimal
    market_data: str
    market_seed: int
    fill_check_seconds: Decimal
    call_timeout_seconds: Decimal
    batching: Batching
    exchange_base_urls: Mapping[str, str]
    exchange_timeout_seconds: Decimal
    reconcile_seconds: Decimal
    lease_seconds: Decimal
    fault_point: str

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> OrdersSettings:
        e = Env(env)
        common = CommonSettings.from_env("orders", env)
        limits = Limits(
            per_bot_daily=e.int("MAX_TRADES_PER_BOT_DAILY", 50, minimum=1),
            per_user_daily=e.int("MAX_TRADES_PER_USER_DAILY", 500, minimum=1),
            burst_orders=e.int("BURST_LIMIT_ORDERS_PER_EXCHANGE", 10, minimum=1),
            burst_window_seconds=e.int("BURST_LIMIT_WINDOW_SECONDS", 10, minimum=1),
        )
        thresholds = Thresholds(
            max_drawdown=_fraction(e, "MAX_DRAWDOWN_PERCENT", "0.20"),
            max_daily_loss=_fraction(e, "MAX_DAILY_LOSS_PERCENT", "0.10"),
            max_consecutive_losses=e.int("MAX_CONSECUTIVE_LOSSES", 5, minimum=1),
            max_errors_per_hour=e.int("MAX_ERRORS_PER_HOUR", 10, minimum=1),
        )
        spreads_text = e.str("SPREAD_BPS", "") or ""
        try:
            spreads = parse_spreads(spreads_text)
        except ValueError as exc:
            raise SettingsError("SPREAD_BPS", str(exc)) from None
        return cls(
            common=common,
            limits=limits,
            thresholds=thresholds,
            min_edge_bps=e.decimal("MIN_EDGE_BPS", "5"),
            safety_margin_bps=e.decimal("SAFETY_MARGIN_BPS", "2"),
            slippage_buffer_bps=e.decimal("SLIPPAGE_BUFFER_BPS", "5"),
            paper_slippage_bps=e.decimal("PAPER_SLIPPAGE_BPS", "2"),
            pending_order_ttl_hours=e.int("PENDING_ORDER_TTL_HOURS", 24, minimum=1),
            fee_overrides=_fee_overrides(e.str("FEE_OVERRIDES_BPS", "") or ""),
            spreads=spreads,
            default_spread_bps=e.decimal("DEFAULT_SPREAD_BPS", "10"),
            market_data=e.choice("MARKET_DATA", "sim", ("sim", "ccxt")),
            market_seed=e.int("MARKET_SEED", 42),
            fill_check_seconds=_positive(e, "ORDERS_FILL_CHECK_SECONDS", "1"),
            call_timeout_seconds=_positive(e, "ORDERS_CALL_TIMEOUT_SECONDS", "5"),
            batching=Batching(
                max_batch=e.int("ORDERS_BATCH_MAX", 256, minimum=1, maximum=1000),
                linger=e.int("ORDERS_BATCH_LINGER_MS", 2, maximum=1000) / 1000,
            ),
            exchange_base_urls=_base_urls(e.str("EXCHANGE_BASE_URLS", "") or ""),
            exchange_timeout_seconds=_positive(e, "ORDERS_EXCHANGE_TIMEOUT_SECONDS", "10"),
            reconcile_seconds=_positive(e, "ORDERS_RECONCILE_SECONDS", "5"),
            lease_seconds=e.decimal("ORDERS_LEASE_SECONDS", "10", minimum="1"),
            fault_point=_fault_point(e.str("ORDERS_FAULT_POINT", "") or ""),
        )

    def spread_bps(self, symbol: str) -> Decimal:
        return self.spreads.get(symbol, self.default_spread_bps)


def _fraction(e: Env, name: str, default: str) -> Decimal:
    value = e.decimal(name, default)
    if not Decimal(0) < value <= Decimal(1):
        raise SettingsError(name, f"{value} is not a fraction in (0, 1] (0.20 means 20%)")
    return value


def _positive(e: Env, name: str, default: str) -> Decimal:
    value = e.decimal(name, default)
    if value <= 0:
        raise SettingsError(name, "must be greater than zero")
    return value


def _fee_overrides(text: str) -> Any:
    from services.orders.exchange import fees  # the exchange package's parser

    try:
        return fees.parse_fee_overrides(text)
    except ValueError as exc:
        raise SettingsError("FEE_OVERRIDES_BPS", str(exc)) from None


def parse_base_urls(text: str) -> dict[str, str]:
    """``binance=http://127.0.0.1:9999,kraken=https://...`` -> {exchange: base URL}."""
    from services.orders.exchange import is_known_exchange

    out: dict[str, str] = {}
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        name, sep, url = (x.strip() for x in part.partition("="))
        if not sep or not name or not url:
            raise ValueError(f"{part!r} is not exchange=URL")
        if not is_known_exchange(name):
            raise ValueError(f"{name!r} is not a ccxt exchange id")
        if name in out:
            raise ValueError(f"{name!r} is given twice")
        parts = urlsplit(url)
        try:
            parts.port  # noqa: B018 - raises ValueError for a bad port
        except ValueError:
            raise ValueError(f"{url!r} has a bad port") from None
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.query:
            raise ValueError(f"{url!r} is not an http(s)://host[:port] URL")
        out[name] = url.rstrip("/")
    return out


def _base_urls(text: str) -> dict[str, str]:
    try:
        return parse_base_urls(text)
    except ValueError as exc:
        raise SettingsError("EXCHANGE_BASE_URLS", str(exc)) from None


def _fault_point(value: str) -> str:
    if value and value not in POINTS:
        raise SettingsError(
            "ORDERS_FAULT_POINT", f"{value!r} is not one of {', '.join(POINTS)} (tests only)"
        )
    return value
