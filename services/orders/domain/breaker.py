"""Gate D, the circuit breaker: does a scope's risk trip it, and does a tripped one refuse?

A breaker (the account's or one bot's) trips when, since its last reset: drawdown >=
MAX_DRAWDOWN_PERCENT, today's loss >= MAX_DAILY_LOSS_PERCENT of the day's starting equity,
trailing losing trades >= MAX_CONSECUTIVE_LOSSES, or execution errors in the last hour >=
MAX_ERRORS_PER_HOUR. The triggers are checked in that order; the first that holds is the one
recorded. A tripped breaker refuses new orders, but reduce-only orders pass.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from services.common.db import decimal_text
from services.orders.domain.model import Gate, GateDecision


class Trigger(StrEnum):
    DRAWDOWN = "DRAWDOWN"
    DAILY_LOSS = "DAILY_LOSS"
    CONSECUTIVE_LOSSES = "CONSECUTIVE_LOSSES"
    ERROR_RATE = "ERROR_RATE"


@dataclass(frozen=True)
class Thresholds:
    max_drawdown: Decimal
    max_daily_loss: Decimal
    max_consecutive_losses: int
    max_errors_per_hour: int


@dataclass(frozen=True)
class Metrics:
    drawdown: Decimal
    daily_loss: Decimal
    consecutive_losses: int
    errors_last_hour: int
    equity: Decimal | None = None
    peak: Decimal | None = None
    day_start_equity: Decimal | None = None

    def as_figures(self, prefix: str = "") -> dict[str, str]:
        out = {
            f"{prefix}drawdown": decimal_text(self.drawdown),
            f"{prefix}daily_loss": decimal_text(self.daily_loss),
            f"{prefix}consecutive_losses": str(self.consecutive_losses),
            f"{prefix}errors_last_hour": str(self.errors_last_hour),
        }
        if self.equity is not None:
            out[f"{prefix}equity"] = decimal_text(self.equity)
        return out


@dataclass(frozen=True)
class Trip:
    trigger: Trigger
    reason: str


def _pct(d: Decimal) -> str:
    return decimal_text((d * 100).quantize(Decimal("0.01")))


def evaluate(m: Metrics, t: Thresholds) -> Trip | None:
    """The first trigger that holds, or None."""
    if m.drawdown >= t.max_drawdown:
        return Trip(
            Trigger.DRAWDOWN,
            f"drawdown {_pct(m.drawdown)}% >= MAX_DRAWDOWN_PERCENT {_pct(t.max_drawdown)}%",
        )
    if m.daily_loss >= t.max_daily_loss:
        return Trip(
            Trigger.DAILY_LOSS,
            f"today's loss {_pct(m.daily_loss)}% of the day's starting equity >= "
            f"MAX_DAILY_LOSS_PERCENT {_pct(t.max_daily_loss)}%",
        )
    if m.consecutive_losses >= t.max_consecutive_losses:
        return Trip(
            Trigger.CONSECUTIVE_LOSSES,
            f"{m.consecutive_losses} losing trades in a row >= MAX_CONSECUTIVE_LOSSES "
            f"{t.max_consecutive_losses}",
        )
    if m.errors_last_hour >= t.max_errors_per_hour:
        return Trip(
            Trigger.ERROR_RATE,
            f"{m.errors_last_hour} execution errors in the last hour >= MAX_ERRORS_PER_HOUR "
            f"{t.max_errors_per_hour}",
        )
    return None


@dataclass(frozen=True)
class BreakerView:
    """A scope's breaker as the gate sees it: tripped or not, and why."""

    scope: str  # "account" or "bot"
    bot_id: str
    tripped: bool
    trigger: Trigger | None = None
    reason: str = ""


def scope_name(b: BreakerView) -> str:
    return "the account" if b.scope == "account" else f"bot {b.bot_id}"


def decide(breakers: list[BreakerView], reduce_only: bool, figures: dict[str, str]) -> GateDecision:
    """Refuse when any breaker is tripped, unless the order only reduces a position."""
    tripped = [b for b in breakers if b.tripped]
    if not tripped:
        return GateDecision(Gate.CIRCUIT_BREAKER, True, "no breaker tripped", figures={**figures})
    first = tripped[0]
    what = f"the circuit breaker of {scope_name(first)} is tripped ({first.reason})"
    figures = {**figures, "tripped_scope": first.scope, "trigger": str(first.trigger or "")}
    if reduce_only:
        return GateDecision(
            Gate.CIRCUIT_BREAKER, True, f"{what}; a reduce-only order may pass", figures=figures
        )
    return GateDecision(
        Gate.CIRCUIT_BREAKER,
        False,
        f"{what}; reset it with a reason (POST /api/circuit-breaker/reset)",
        code="BREAKER_TRIPPED",
        figures=figures,
    )
