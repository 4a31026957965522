"""The order pipeline's vocabulary: requests, states, gates and their decisions. No I/O."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from services.common.db import decimal_text

BPS = Decimal(10000)


class Side(StrEnum):
    BUY = "BUY"
    SELL = "SELL"


class OrderType(StrEnum):
    MARKET = "MARKET"
    LIMIT = "LIMIT"


class Mode(StrEnum):
    PAPER = "PAPER"
    LIVE = "LIVE"


class State(StrEnum):
    RECEIVED = "RECEIVED"
    REJECTED = "REJECTED"
    ACCEPTED = "ACCEPTED"
    SUBMITTED = "SUBMITTED"
    PARTIALLY_FILLED = "PARTIALLY_FILLED"
    FILLED = "FILLED"
    CANCELED = "CANCELED"
    FAILED = "FAILED"


FINAL_STATES = frozenset({State.REJECTED, State.FILLED, State.CANCELED, State.FAILED})
PENDING_STATES = frozenset(
    {State.RECEIVED, State.ACCEPTED, State.SUBMITTED, State.PARTIALLY_FILLED}
)


class Gate(StrEnum):
    IDEMPOTENCY = "IDEMPOTENCY"
    FEE_COVERAGE = "FEE_COVERAGE"
    TRADE_LIMIT = "TRADE_LIMIT"
    CIRCUIT_BREAKER = "CIRCUIT_BREAKER"


@dataclass(frozen=True)
class OrderRequest:
    """A validated order request (amounts and prices as Decimal, enums by short name)."""

    idempotency_key: str
    bot_id: str
    exchange: str
    symbol: str
    side: Side
    type: OrderType
    amount: Decimal
    price: Decimal | None
    expected_edge_bps: Decimal
    reduce_only: bool

    @property
    def base(self) -> str:
        return self.symbol.split("/", 1)[0]

    @property
    def quote(self) -> str:
        return self.symbol.split("/", 1)[1]

    def fingerprint(self) -> str:
        """A digest of every parameter but the key: equal requests have equal fingerprints."""
        fields = {
            "bot_id": self.bot_id,
            "exchange": self.exchange,
            "symbol": self.symbol,
            "side": str(self.side),
            "type": str(self.type),
            "amount": decimal_text(self.amount),
            "price": "" if self.price is None else decimal_text(self.price),
            "expected_edge_bps": decimal_text(self.expected_edge_bps),
            "reduce_only": self.reduce_only,
        }
        text = json.dumps(fields, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class GateDecision:
    """One gate's answer. ``figures`` are the numbers it decided on, as text."""

    gate: Gate
    passed: bool
    reason: str
    code: str = ""
    figures: dict[str, str] = field(default_factory=dict)
    retry_after_seconds: int = 0

    def to_json(self) -> dict:
        return {
            "gate": str(self.gate),
            "passed": self.passed,
            "reason": self.reason,
            "code": self.code,
            "figures": self.figures,
            "retry_after_seconds": self.retry_after_seconds,
        }

    @classmethod
    def from_json(cls, data: dict) -> GateDecision:
        return cls(
            gate=Gate(data["gate"]),
            passed=bool(data["passed"]),
            reason=data["reason"],
            code=data.get("code", ""),
            figures=dict(data.get("figures", {})),
            retry_after_seconds=int(data.get("retry_after_seconds", 0)),
        )


def bps_text(value: Decimal) -> str:
    """Basis points for figures and messages: at most 4 decimals, no trailing zeros."""
    return decimal_text(value.quantize(Decimal("0.0001")))
