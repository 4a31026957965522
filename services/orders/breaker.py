"""The circuit breaker's use cases: evaluate (before orders, after fills), status, reset, history.

Figures come from the ledger's GetRiskMetrics (since the last reset's baseline) with open
positions marked at current prices, plus this service's own execution errors of the last hour
after the reset. A trip is stored with its metrics, once, and the bots are tripped through the
outbox (so a bots service that is down gets the call later).
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from services.common.coalesce import DEFAULT as batching_default
from services.common.coalesce import Batching, Coalescer, traced
from services.common.db import Database, decimal_text
from services.common.errors import AppError, failed_precondition
from services.common.logs import log_event
from services.orders import breaker_store as bstore
from services.orders import outbox as ob
from services.orders import store
from services.orders.clients import Peers, RiskFigures
from services.orders.domain.breaker import BreakerView, Metrics, Thresholds, Trip, evaluate
from services.orders.prices import Prices

log = logging.getLogger("amarktai.orders.breaker")


@dataclass(frozen=True)
class Snapshot:
    views: list[BreakerView]
    markets: list[tuple[str, str]]  # (exchange, symbol) the user has fills in
    account_errors: int
    bot_errors: int


@dataclass(frozen=True)
class ScopeMetrics:
    bot_id: str  # "" for the account
    metrics: Metrics


def _scope_metrics(
    snap: Snapshot, bot_id: str, figures: tuple[RiskFigures, RiskFigures]
) -> list[ScopeMetrics]:
    """The account's and the bot's metrics from the ledger's (account, bot) figures and the
    snapshot's error counts."""
    account, bot = figures
    return [
        ScopeMetrics("", to_metrics(account, snap.account_errors)),
        ScopeMetrics(bot_id, to_metrics(bot, snap.bot_errors)),
    ]


MARKED_USERS = 10_000  # users whose marked markets are remembered (the least recent go)


def _discard(task: asyncio.Future | None) -> None:
    """A speculative ledger call not used: cancelled, and its outcome (an error, say) taken
    so that nothing reports it as never retrieved; the figures are asked for again."""
    if task is None:
        return
    task.cancel()
    task.add_done_callback(lambda t: t.cancelled() or t.exception())


def _quote(symbol: str) -> str:
    return symbol.split("/", 1)[1]


def snapshot_from(results: list, bot_id: str, now: datetime) -> Snapshot:
    """A Snapshot from the rows of bstore.snapshot_steps (read here or in a fill's own
    transaction, for the evaluation after it)."""
    breaker_rows, market_rows, recent_errors = results
    rows = {r.bot_id: r for r in breaker_rows}
    account_errors, bot_errors = bstore.error_counts(rows, recent_errors, bot_id, now)
    markets = [(r.exchange, r.symbol) for r in market_rows]
    return Snapshot(bstore.views_of(rows, [bot_id]), markets, account_errors, bot_errors)


def to_metrics(r: RiskFigures, errors: int) -> Metrics:
    return Metrics(
        drawdown=r.drawdown,
        daily_loss=r.daily_loss,
        consecutive_losses=r.consecutive_losses,
        errors_last_hour=errors,
        equity=r.equity,
        peak=r.peak,
        day_start_equity=r.day_start_equity,
    )


def metrics_json(m: Metrics) -> dict:
    out = m.as_figures()
    if m.peak is not None:
        out["peak"] = decimal_text(m.peak)
    if m.day_start_equity is not None:
        out["day_start_equity"] = decimal_text(m.day_start_equity)
    return out


class Breaker:
    def __init__(
        self,
        db: Database,
        peers: Peers,
        prices: Prices,
        outbox: ob.Outbox,
        thresholds: Thresholds,
        clock: Callable[[], datetime],
        batching: Batching = batching_default,
    ) -> None:
        self.db = db
        self.peers = peers
        self.prices = prices
        self.outbox = outbox
        self.thresholds = thresholds
        self.clock = clock
        # (user, quote currency) -> the markets its last evaluation here marked
        self._marked: OrderedDict[tuple[str, str], frozenset] = OrderedDict()
        # the snapshots of concurrent orders: read together, from one snapshot
        self._snapshots: Coalescer[tuple[str, str, str], Snapshot] = Coalescer(
            self._read_snapshots, batching
        )

    # --- evaluation --------------------------------------------------------------------------

    def views(self, user_id: str, bot_ids: list[str]) -> list[BreakerView]:
        with self.db.read() as conn:
            return bstore.views(conn, user_id, bot_ids)

    def snapshot(self, user_id: str, bot_id: str, symbol: str) -> Snapshot:
        """What an evaluation reads here, from one snapshot in one round trip: the breakers,
        the markets to mark and the execution errors of the account and the bot."""
        return self.snapshots([(user_id, bot_id, symbol)])[0]

    def snapshots(self, items: list[tuple[str, str, str]]) -> list[Snapshot]:
        """snapshot() of several (user, bot, symbol), read in one round trip."""
        now = self.clock()
        keys = sorted({(u, _quote(sym)) for u, _b, sym in items})  # one read per user and quote
        steps = [bstore.snapshot_steps(u, quote, now) for u, quote in keys]
        results = self.db.read_together([s for group in steps for s in group])
        at, where = 0, {}
        for key, group in zip(keys, steps, strict=True):
            where[key] = results[at : at + len(group)]
            at += len(group)
        return [snapshot_from(where[(u, _quote(sym))], b, now) for u, b, sym in items]

    async def _read_snapshots(self, items: list[tuple[str, str, str]]) -> list[Snapshot]:
        return await asyncio.to_thread(self.snapshots, items)

    async def _snapshot(self, user_id: str, bot_id: str, symbol: str) -> Snapshot:
        """snapshot(), read together with those of concurrent orders (alone when traced)."""
        if traced():
            return await asyncio.to_thread(self.snapshot, user_id, bot_id, symbol)
        return await self._snapshots.call((user_id, bot_id, symbol))

    async def prefetch(
        self, user_id: str, bot_id: str, exchange: str, symbol: str, reduce_only: bool
    ) -> tuple[Snapshot, list[ScopeMetrics] | AppError | None]:
        """What gate D decides on, read for one order: the snapshot, and (unless the order
        is reduce-only or a breaker is tripped already) the figures from the ledger, or the
        AppError that kept them. Started as the order arrives, beside the bot check.

        The ledger is asked at once, beside the snapshot, with the markets the user's last
        evaluation here marked (markets only ever get added); its figures are used only if
        the snapshot has no market beyond those, else it is asked again with them all."""
        if reduce_only:
            return await self._snapshot(user_id, bot_id, symbol), None
        quote = _quote(symbol)
        known = self._marked.get((user_id, quote))
        early = None
        if known is not None:
            early = asyncio.ensure_future(
                self._figures(user_id, bot_id, exchange, symbol, list(known))
            )
        try:
            snap = await self._snapshot(user_id, bot_id, symbol)
        except BaseException:
            _discard(early)
            raise
        if any(v.tripped for v in snap.views):
            _discard(early)
            return snap, None
        self._remember(user_id, quote, snap.markets)
        try:
            if early is not None and set(snap.markets) <= known:
                figures = await early
            else:
                _discard(early)
                figures = await self._figures(user_id, bot_id, exchange, symbol, snap.markets)
        except AppError as exc:
            return snap, exc
        return snap, _scope_metrics(snap, bot_id, figures)

    async def _figures(self, user_id: str, bot_id: str, exchange: str, symbol: str, markets):
        marks = await self._marks(markets, exchange, symbol)
        return await self.peers.risk_metrics_with_account(user_id, bot_id, _quote(symbol), marks)

    def _remember(self, user_id: str, quote: str, markets: list[tuple[str, str]]) -> None:
        key = (user_id, quote)
        self._marked[key] = frozenset(markets)
        self._marked.move_to_end(key)
        while len(self._marked) > MARKED_USERS:
            self._marked.popitem(last=False)

    async def marks_of(self, snap: Snapshot, exchange: str, symbol: str) -> list[str]:
        """The marks an evaluation on this snapshot uses (the order's market and every
        market the user has fills in), at current prices."""
        return await self._marks(snap.markets, exchange, symbol)

    async def marks(
        self, user_id: str, quote: str, exchange: str = "", symbol: str = ""
    ) -> list[str]:
        """SYMBOL=PRICE for the order's symbol and every symbol the user has fills in."""

        def markets():
            with self.db.read() as conn:
                return [(r.exchange, r.symbol) for r in store.traded_markets(conn, user_id, quote)]

        return await self._marks(await asyncio.to_thread(markets), exchange, symbol)

    async def _marks(self, markets: list[tuple[str, str]], exchange: str, symbol: str):
        pairs = {symbol: exchange} if symbol else {}
        for ex, sym in markets:
            pairs.setdefault(sym, ex)
        quotes = await asyncio.gather(*(self.prices.quote(ex, s) for s, ex in pairs.items()))
        return [f"{s}={decimal_text(q.last)}" for s, q in zip(pairs, quotes, strict=True)]

    async def measure(
        self, user_id: str, bot_id: str, exchange: str, symbol: str, snap: Snapshot | None = None
    ) -> list[ScopeMetrics]:
        """The account's and the bot's metrics now. Raises AppError when they cannot be had."""
        if snap is None:
            snap = await asyncio.to_thread(self.snapshot, user_id, bot_id, symbol)
        figures = await self._figures(user_id, bot_id, exchange, symbol, snap.markets)
        return _scope_metrics(snap, bot_id, figures)

    async def evaluate(
        self, user_id: str, bot_id: str, exchange: str, symbol: str, snap: Snapshot | None = None
    ) -> tuple[list[BreakerView], list[ScopeMetrics]]:
        """Measure, trip what the figures say, and return the breakers after it (read again
        only when the figures called for a trip)."""
        if snap is None:
            snap = await asyncio.to_thread(self.snapshot, user_id, bot_id, symbol)
        measured = await self.measure(user_id, bot_id, exchange, symbol, snap)
        return await self.judge(user_id, bot_id, snap, measured), measured

    async def judge(
        self, user_id: str, bot_id: str, snap: Snapshot, measured: list[ScopeMetrics]
    ) -> list[BreakerView]:
        """Trip what the figures say; the breakers after it (read again only after a trip)."""
        tripped = False
        for sm in measured:
            trip = evaluate(sm.metrics, self.thresholds)
            if trip is not None:
                tripped = True
                await self.trip(user_id, sm.bot_id, trip, sm.metrics)
        if not tripped:
            return snap.views
        return await asyncio.to_thread(self.views, user_id, [bot_id])

    async def trip(self, user_id: str, bot_id: str, trip: Trip, m: Metrics) -> bool:
        now = self.clock()
        reason = f"circuit breaker: {trip.reason}"

        def record():
            with self.db.write() as conn:
                if not bstore.trip(
                    conn, user_id, bot_id, trip.trigger, trip.reason, metrics_json(m), now
                ):
                    return None
                return ob.enqueue(
                    conn,
                    ob.TRIP,
                    user_id,
                    bot_id or "account",
                    {"bot_id": bot_id, "reason": reason},
                )

        row_id = await asyncio.to_thread(record)
        if row_id is None:
            return False
        log_event(log, "breaker_tripped", user_id=user_id, bot_id=bot_id, trigger=trip.trigger,
                  reason=trip.reason)  # fmt: skip
        await self.outbox.deliver([row_id])
        return True

    async def after_fill(
        self,
        user_id: str,
        bot_id: str,
        exchange: str,
        symbol: str,
        snap: Snapshot | None = None,
        figures: tuple[RiskFigures, RiskFigures] | None = None,
    ) -> None:
        """Evaluate after a fill (``snap``: read in the fill's transaction; ``figures``: the
        account's and the bot's as the ledger answered the fill's delivery, else they are
        asked for); a failure is logged (the next order evaluates again)."""
        try:
            if figures is None or snap is None:
                await self.evaluate(user_id, bot_id, exchange, symbol, snap)
                return
            await self.judge(user_id, bot_id, snap, _scope_metrics(snap, bot_id, figures))
        except AppError as exc:
            log_event(log, "breaker_after_fill_failed", logging.WARNING, user_id=user_id,
                      bot_id=bot_id, error=exc.message)  # fmt: skip

    def record_error(self, user_id: str, bot_id: str, order_id: str, message: str) -> None:
        now = self.clock()
        with self.db.write() as conn:
            bstore.add_error(conn, user_id, bot_id, order_id, message, now)

    # --- reset ---------------------------------------------------------------------------------

    async def reset(self, user_id: str, bot_id: str, reason: str, totp_code: str) -> int:
        """Reset a tripped breaker: TOTP, ledger baseline, bots to PAUSED, then ours."""
        if bot_id:
            await self.peers.get_bot(user_id, bot_id)  # another user's bot is NOT_FOUND
        rows = await asyncio.to_thread(self._rows, user_id)
        scopes = [bot_id] if bot_id else list(rows)
        if not any(rows.get(s) is not None and rows[s].tripped for s in scopes):
            what = f"bot {bot_id}" if bot_id else "the account"
            raise failed_precondition(
                "BREAKER_NOT_TRIPPED", f"the circuit breaker of {what} is not tripped"
            )
        await self.peers.verify_totp(user_id, totp_code)
        for currency in await asyncio.to_thread(self._currencies, user_id):
            await self.peers.reset_risk_baseline(user_id, bot_id, currency, reason)
        cleared = await self.peers.clear_tripped_bots(user_id, bot_id, reason)
        now = self.clock()

        def save():
            with self.db.write() as conn:
                bstore.reset(conn, user_id, bot_id, reason, now)

        await asyncio.to_thread(save)
        log_event(log, "breaker_reset", user_id=user_id, bot_id=bot_id, bots_cleared=cleared)
        return cleared

    def _rows(self, user_id: str):
        with self.db.read() as conn:
            return bstore.rows_of(conn, user_id)

    def _currencies(self, user_id: str) -> list[str]:
        with self.db.read() as conn:
            return sorted(set(store.traded_quotes(conn, user_id)) | {"USDT"})
