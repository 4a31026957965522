"""Promotion from paper to live: every criterion of DESIGN 5.3 with its value and requirement.

Pure: the caller gathers the facts (2FA status and the code's check from auth, trade figures
from the ledger, stored keys from auth, the bot's age from its creation time) and this decides.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_DOWN, Decimal, localcontext

from services.bots.domain.strategies import CTX
from services.common.db import decimal_text


@dataclass(frozen=True)
class Requirements:
    min_paper_days: int = 7  # LIVE_MIN_PAPER_DAYS
    min_trades: int = 25  # LIVE_MIN_TRADES
    min_win_rate: Decimal = Decimal("0.52")  # LIVE_MIN_WIN_RATE
    min_profit_pct: Decimal = Decimal("0.03")  # LIVE_MIN_PROFIT_PCT, of allocated capital


@dataclass(frozen=True)
class Facts:
    totp_enabled: bool
    totp_checked: bool  # a code was given and auth accepted it
    created_at: datetime
    now: datetime
    trades: int
    win_rate: Decimal
    net_pnl: Decimal
    allocated_capital: Decimal
    exchange: str
    key_exchanges: frozenset[str]


@dataclass(frozen=True)
class Criterion:
    name: str
    met: bool
    value: str
    requirement: str


def _down(d: Decimal, places: str) -> str:
    with localcontext(CTX) as ctx:
        ctx.rounding = ROUND_DOWN
        return decimal_text(d.quantize(Decimal(places)))


def evaluate(f: Facts, r: Requirements) -> list[Criterion]:
    age = f.now - f.created_at
    with localcontext(CTX):
        days = Decimal(int(age.total_seconds())) / 86400
        profit = f.net_pnl / f.allocated_capital
    has_keys = f.exchange in f.key_exchanges
    if not f.totp_enabled:
        code = "not checked: 2FA is off"
    else:
        code = "valid" if f.totp_checked else "missing"
    return [
        Criterion("two_factor_enabled", f.totp_enabled, "on" if f.totp_enabled else "off", "on"),
        Criterion("totp_code", f.totp_enabled and f.totp_checked, code, "a valid TOTP code"),
        Criterion(
            "paper_days",
            age >= timedelta(days=r.min_paper_days),
            _down(days, "0.01"),
            f">= {r.min_paper_days}",
        ),
        Criterion("closed_trades", f.trades >= r.min_trades, str(f.trades), f">= {r.min_trades}"),
        Criterion(
            "win_rate",
            f.win_rate >= r.min_win_rate,
            decimal_text(f.win_rate),
            f">= {decimal_text(r.min_win_rate)}",
        ),
        Criterion(
            "net_profit_pct",
            profit >= r.min_profit_pct,
            _down(profit, "0.0001"),
            f">= {decimal_text(r.min_profit_pct)} (net PnL {decimal_text(f.net_pnl)} of "
            f"allocated capital {decimal_text(f.allocated_capital)})",
        ),
        Criterion(
            "exchange_keys",
            has_keys,
            "stored" if has_keys else "none",
            f"API keys stored for {f.exchange}",
        ),
    ]
