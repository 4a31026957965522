"""A bot's definition checked field by field: every problem names its field.

Strategies and their parameters (values are strings, as in the API):
- ``manual``: no parameters; places nothing by itself.
- ``sma_crossover``: ``fast`` and ``slow`` (whole numbers, 1 <= fast < slow <= 200; default 10
  and 30), ``amount`` (the order size in the base currency, > 0, required).
- ``rsi_reversion``: ``period`` (whole number 2..100, default 14), ``oversold`` and
  ``overbought`` (0 < oversold < overbought < 100, default 30 and 70), ``amount`` (> 0,
  required).
The stored parameters are the canonical ones, defaults filled in.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache

from services.common import validate as v
from services.common.db import decimal_text
from services.common.errors import AppError, invalid_many

MANUAL = "manual"
SMA_CROSSOVER = "sma_crossover"
RSI_REVERSION = "rsi_reversion"
STRATEGIES = (MANUAL, SMA_CROSSOVER, RSI_REVERSION)

NAME_MAX = 100
DEFAULT_INTERVAL = 60
MIN_INTERVAL, MAX_INTERVAL = 5, 86400
_INT_RE = re.compile(r"^[+-]?\d{1,9}$")


@cache
def exchange_ids() -> frozenset[str]:
    import ccxt  # heavy: imported the first time a bot is checked, not at start

    return frozenset(ccxt.exchanges)


@dataclass(frozen=True)
class BotSpec:
    name: str
    exchange: str
    symbol: str
    strategy: str
    params: dict[str, str] = field(default_factory=dict)
    allocated_capital: Decimal = Decimal(0)
    interval_seconds: int = DEFAULT_INTERVAL

    @property
    def quote(self) -> str:
        return self.symbol.split("/")[1]


class _Check:
    """Collects violations: ``run(field, fn)`` returns fn() or None after noting its error."""

    def __init__(self) -> None:
        self.violations: list[tuple[str, str]] = []

    def run(self, fn, *args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except AppError as exc:
            self.violations.extend(exc.violations)
            return None

    def add(self, field_name: str, description: str) -> None:
        self.violations.append((field_name, description))


def _name(value: str) -> str:
    name = value.strip()
    if not 1 <= len(name) <= NAME_MAX:
        raise invalid_many([("name", f"must be 1 to {NAME_MAX} characters")])
    return v.text(name, "name", NAME_MAX)


def _exchange(value: str) -> str:
    ex = value.strip().lower()
    if not ex:
        raise invalid_many([("exchange", "is required (a ccxt exchange id, e.g. binance)")])
    if ex not in exchange_ids():
        raise invalid_many([("exchange", f"{value!r} is not a ccxt exchange id")])
    return ex


def _interval(value: int) -> int:
    if value == 0:
        return DEFAULT_INTERVAL
    if not MIN_INTERVAL <= value <= MAX_INTERVAL:
        raise invalid_many(
            [("interval_seconds", f"must be {MIN_INTERVAL} to {MAX_INTERVAL} (0: 60)")]
        )
    return value


def _int_param(params: Mapping[str, str], key: str, default: int, lo: int, hi: int) -> int:
    raw = params.get(key, "").strip()
    if raw == "":
        return default
    if not _INT_RE.match(raw):
        raise invalid_many([(f"params.{key}", f"{raw!r} is not a whole number")])
    value = int(raw)
    if not lo <= value <= hi:
        raise invalid_many([(f"params.{key}", f"must be {lo} to {hi}")])
    return value


def _dec_param(params: Mapping[str, str], key: str, default: str | None) -> Decimal:
    raw = params.get(key, "").strip()
    if raw == "" and default is not None:
        return Decimal(default)
    return v.decimal(raw, f"params.{key}", positive=True)


def _params(strategy: str, params: Mapping[str, str], check: _Check) -> dict[str, str]:
    known = {
        MANUAL: (),
        SMA_CROSSOVER: ("fast", "slow", "amount"),
        RSI_REVERSION: ("period", "oversold", "overbought", "amount"),
    }[strategy]
    for key in sorted(set(params) - set(known)):
        allowed = ", ".join(known) if known else "none"
        check.add(f"params.{key}", f"is not a parameter of {strategy} (known: {allowed})")
    out: dict[str, str] = {}
    if strategy == SMA_CROSSOVER:
        fast = check.run(_int_param, params, "fast", 10, 1, 199)
        slow = check.run(_int_param, params, "slow", 30, 2, 200)
        if fast is not None and slow is not None and fast >= slow:
            check.add("params.fast", f"must be less than params.slow ({slow})")
        out |= {"fast": str(fast), "slow": str(slow)}
    elif strategy == RSI_REVERSION:
        period = check.run(_int_param, params, "period", 14, 2, 100)
        low = check.run(_dec_param, params, "oversold", "30")
        high = check.run(_dec_param, params, "overbought", "70")
        if low is not None and high is not None:
            if high >= 100:
                check.add("params.overbought", "must be below 100")
            elif low >= high:
                check.add("params.oversold", f"must be below params.overbought ({high})")
        out["period"] = str(period)
        if low is not None and high is not None:
            out |= {"oversold": decimal_text(low), "overbought": decimal_text(high)}
    if strategy != MANUAL:
        amount = check.run(_dec_param, params, "amount", None)
        if amount is not None:
            out["amount"] = decimal_text(amount)
    return out


def validate_spec(
    *,
    name: str,
    exchange: str,
    symbol: str,
    strategy: str,
    params: Mapping[str, str],
    allocated_capital: str,
    interval_seconds: int,
) -> BotSpec:
    """A checked, canonical BotSpec, or INVALID_ARGUMENT listing every bad field."""
    check = _Check()
    clean_name = check.run(_name, name)
    clean_exchange = check.run(_exchange, exchange)
    clean_symbol = check.run(v.symbol, symbol, "symbol")
    strat = strategy.strip().lower()
    clean_params: dict[str, str] = {}
    if strat not in STRATEGIES:
        check.add("strategy", f"{strategy!r} is not one of {', '.join(STRATEGIES)}")
    else:
        clean_params = _params(strat, params, check)
    capital = check.run(v.decimal, allocated_capital, "allocated_capital", positive=True)
    interval = check.run(_interval, interval_seconds)
    if check.violations:
        raise invalid_many(check.violations)
    return BotSpec(
        name=clean_name,
        exchange=clean_exchange,
        symbol=clean_symbol,
        strategy=strat,
        params=clean_params,
        allocated_capital=capital,
        interval_seconds=interval,
    )
