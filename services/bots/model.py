"""The bots service's records."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from services.bots.domain import State

PAPER, LIVE = "PAPER", "LIVE"


@dataclass(frozen=True)
class Bot:
    id: str
    user_id: str
    name: str
    exchange: str
    symbol: str
    strategy: str
    params: dict[str, str]
    allocated_capital: Decimal
    interval_seconds: int
    mode: str
    state: State
    state_reason: str
    created_at: datetime
    updated_at: datetime

    @property
    def quote(self) -> str:
        return self.symbol.split("/")[1]


@dataclass(frozen=True)
class BotEvent:
    sequence: int
    bot_id: str
    from_state: State | None  # None: the bot was created
    to_state: State
    reason: str
    at: datetime


@dataclass(frozen=True)
class Page:
    items: list[Bot] = field(default_factory=list)
    next_page_token: str = ""
