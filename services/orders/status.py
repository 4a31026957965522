"""Read-side use cases: the breakers' status, their history, and the trade limits' use."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import Row

from services.common.db import Database
from services.orders import breaker_store as bstore
from services.orders import store
from services.orders.breaker import Breaker, to_metrics
from services.orders.domain.breaker import Metrics
from services.orders.domain.limiter import (
    BOT_DAILY,
    BURST,
    USER_DAILY,
    Limits,
    day_start,
    next_midnight,
    window_start,
)


@dataclass(frozen=True)
class BreakerItem:
    bot_id: str  # "" for the account
    row: Row | None  # the stored breaker, None when never tripped nor reset
    metrics: Metrics


@dataclass(frozen=True)
class LimitItem:
    name: str
    used: int
    capacity: int
    resets_at: datetime | None
    bot_id: str = ""
    exchange: str = ""


class StatusReader:
    def __init__(
        self, db: Database, breaker: Breaker, limits: Limits, clock: Callable[[], datetime]
    ) -> None:
        self.db = db
        self.breaker = breaker
        self.limits = limits
        self.clock = clock

    async def breakers(self, user_id: str) -> list[BreakerItem]:
        """The account's breaker and each bot's (the user's bots and any stored one)."""
        peers = self.breaker.peers
        bots = await peers.list_bots(user_id)
        rows = await asyncio.to_thread(self.breaker._rows, user_id)
        quote_of = {b.id: (b.symbol.split("/", 1)[1] if "/" in b.symbol else "USDT") for b in bots}
        scopes = ["", *[b.id for b in bots], *[s for s in rows if s and s not in quote_of]]
        marks: dict[str, list[str]] = {}
        for quote in {"USDT", *quote_of.values()}:
            marks[quote] = await self.breaker.marks(user_id, quote)
        now = self.clock()

        def errors():
            with self.db.read() as conn:
                return {s: bstore.errors_since_reset(conn, user_id, s, now) for s in scopes}

        errs = await asyncio.to_thread(errors)
        figures = await asyncio.gather(
            *(
                peers.risk_metrics(
                    user_id, s, quote_of.get(s, "USDT"), marks[quote_of.get(s, "USDT")]
                )
                for s in scopes
            )
        )
        return [
            BreakerItem(s, rows.get(s), to_metrics(f, errs[s]))
            for s, f in zip(scopes, figures, strict=True)
        ]

    def history(self, user_id: str, before_id: int | None, limit: int) -> list[Row]:
        with self.db.read() as conn:
            return bstore.history(conn, user_id, before_id, limit)

    def limits_status(self, user_id: str, bot_id: str, exchange: str) -> list[LimitItem]:
        now = self.clock()
        today, midnight = day_start(now), next_midnight(now)
        lim = self.limits
        start = window_start(now, lim)
        with self.db.read() as conn:
            counts = store.day_counts(conn, user_id, today)
            recent = store.window_slots(conn, user_id, start)
        used_today = counts.pop("", 0)
        items = [
            LimitItem(USER_DAILY, used_today, lim.per_user_daily, midnight if used_today else None)
        ]
        per_bot: dict[str, int] = {bot_id: 0} if bot_id else {}
        per_bot.update(counts)
        for b, used in sorted(per_bot.items()):
            items.append(
                LimitItem(BOT_DAILY, used, lim.per_bot_daily, midnight if used else None, bot_id=b)
            )
        window: dict[str, list[datetime]] = {exchange: []} if exchange else {}
        for s in recent:
            window.setdefault(s.exchange, []).append(s.limit_at)
        for ex, times in sorted(window.items()):
            frees = min(times) + timedelta(seconds=lim.burst_window_seconds) if times else None
            items.append(LimitItem(BURST, len(times), lim.burst_orders, frees, exchange=ex))
        return items


def event_metrics(row: Row) -> Metrics | None:
    data = json.loads(row.metrics or "{}")
    if not data:
        return None
    return Metrics(
        drawdown=Decimal(data.get("drawdown", "0")),
        daily_loss=Decimal(data.get("daily_loss", "0")),
        consecutive_losses=int(data.get("consecutive_losses", 0)),
        errors_last_hour=int(data.get("errors_last_hour", 0)),
        equity=Decimal(data["equity"]) if "equity" in data else None,
        peak=Decimal(data["peak"]) if "peak" in data else None,
        day_start_equity=Decimal(data["day_start_equity"]) if "day_start_equity" in data else None,
    )
