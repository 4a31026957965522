"""The bot runner: every RUNNING bot whose strategy trades by itself is run at its interval by
exactly one replica, through a lease row in the database.

Each tick a runner lists the runnable bots, takes or renews the lease of each (a conditional
UPDATE: only when the lease has expired or is already its own), and starts a step for the bots
it holds that are due. A step fetches closed candles from the orders service, asks the
strategy, and submits the decision through the orders service with the idempotency key
``f"{bot_id}:{step}"`` where ``step`` is the decision's candle (its open time divided by the
timeframe): any replica deciding on the same candle sends the same key, so a decision executes
at most once. Right before submitting, the step re-reads the bot's state and its own lease; the
lease row also remembers the last step submitted, so a decision is normally sent once and, in a
crash between the send and that note, resent only with the same key.

A runner that stops gracefully releases its leases; one that dies leaves them to expire, and
another replica takes its bots over within ``lease_seconds``.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import grpc
from opentelemetry import trace
from opentelemetry.instrumentation.utils import suppress_instrumentation
from sqlalchemy.exc import SQLAlchemyError

from services.bots import store
from services.bots.domain import BUY, HOLD, Action, Candle, State, decide
from services.bots.domain.spec import RSI_REVERSION, SMA_CROSSOVER
from services.bots.model import Bot
from services.bots.ports import Markets, OrderIntent
from services.bots.service import BotService
from services.common.errors import AppError
from services.common.logs import log_event

log = logging.getLogger("amarktai.bots.runner")
Clock = Callable[[], datetime]

# ccxt timeframes the runner uses, by length
TIMEFRAMES = [(86400, "1d"), (14400, "4h"), (3600, "1h"), (900, "15m"), (300, "5m"), (60, "1m")]
# refusals that will not go away by retrying: the bot goes to ERROR
FATAL = {grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.NOT_FOUND}
ALREADY_SUBMITTED = "decision already submitted"


def timeframe_for(interval_seconds: int) -> tuple[str, int]:
    """The longest timeframe not longer than the bot's interval (at least 1m)."""
    for seconds, name in TIMEFRAMES:
        if seconds <= max(interval_seconds, 60):
            return name, seconds
    raise AssertionError("unreachable")


def candles_needed(bot: Bot) -> int:
    if bot.strategy == SMA_CROSSOVER:
        need = int(bot.params["slow"]) + 1
    elif bot.strategy == RSI_REVERSION:
        need = 3 * int(bot.params["period"]) + 2  # Wilder's smoothing settles over ~3 periods
    else:
        need = 0
    return min(1000, need + 1)  # + the candle still forming


@dataclass(frozen=True)
class RunnerConfig:
    lease_seconds: float = 15.0
    renew_seconds: float = 5.0  # renew when less than lease - renew is left
    tick_seconds: float = 1.0


class Runner:
    def __init__(
        self,
        service: BotService,
        markets: Markets,
        *,
        holder: str | None = None,
        clock: Clock = lambda: datetime.now(UTC),
        config: RunnerConfig | None = None,
        tracer_provider: trace.TracerProvider | None = None,
    ) -> None:
        self.service = service
        self.db = service.db
        self.markets = markets
        self.holder = holder or f"runner-{uuid.uuid4().hex[:12]}"
        self.clock = clock
        self.config = config or RunnerConfig()
        self.held: dict[str, datetime] = {}  # bot id -> our lease's expiry
        self.due: dict[str, datetime] = {}  # bot id -> when its next step is due
        self.evaluated: dict[str, int] = {}  # bot id -> the last candle (step) decided on
        self.steps: dict[str, asyncio.Task] = {}
        provider = tracer_provider or trace.NoOpTracerProvider()
        self.tracer = provider.get_tracer("amarktai.bots.runner")

    # --- the loop --------------------------------------------------------------------------

    async def run(self) -> None:
        """Tick until cancelled. Cancelling is a crash as far as leases go: they expire."""
        log_event(log, "runner_started", holder=self.holder)
        try:
            while True:
                try:
                    await self.tick()
                except SQLAlchemyError as exc:
                    log_event(log, "runner_db_error", logging.WARNING, error=str(exc)[:300])
                await asyncio.sleep(self.config.tick_seconds)
        finally:
            for task in list(self.steps.values()):
                task.cancel()

    async def run_once(self) -> None:
        """One pass of the loop, then the steps it started, to their end: for a caller that
        moves the clock itself (tests drive minutes of a running bot this way, no sleeping)."""
        await self.tick()
        started = list(self.steps.values())
        if started:
            await asyncio.wait(started)

    async def release_all(self) -> None:
        """After ``run`` has stopped: give the leases back so another replica need not wait."""
        ids, self.held = list(self.held), {}
        if ids:
            await asyncio.to_thread(self._release, ids)
        log_event(log, "runner_stopped", holder=self.holder, released=len(ids))

    def _release(self, ids: list[str]) -> None:
        now = self.clock()
        with self.db.write() as conn:
            for bot_id in ids:
                store.release_lease(conn, bot_id, self.holder, now)

    async def tick(self) -> None:
        # the lease housekeeping makes no spans (it runs every second); each step is one trace
        with suppress_instrumentation():
            await self._tick()

    async def _tick(self) -> None:
        found = await asyncio.to_thread(self._runnable)
        now = self.clock()
        running = {b.id for b, _holder, _until in found}
        gone = [bot_id for bot_id in self.held if bot_id not in running]
        for bot_id in gone:
            del self.held[bot_id]
            self.due.pop(bot_id, None)
            self.evaluated.pop(bot_id, None)
        if gone:
            await asyncio.to_thread(self._release, gone)
        renew_before = timedelta(seconds=self.config.lease_seconds - self.config.renew_seconds)
        for bot, holder, lease_until in found:
            if holder not in ("", self.holder) and lease_until is not None and lease_until > now:
                self._forget(bot.id)  # another replica holds it: no write to try
                continue
            until = self.held.get(bot.id)
            if until is None or until - now < renew_before:
                until = await asyncio.to_thread(self._acquire, bot.id)
                if until is None:
                    self._forget(bot.id)
                    continue
                if bot.id not in self.held:
                    log_event(log, "lease_acquired", bot_id=bot.id, holder=self.holder)
                self.held[bot.id] = until
            if bot.id in self.steps or self.due.get(bot.id, now) > now:
                continue
            self.due[bot.id] = now + timedelta(seconds=bot.interval_seconds)
            # the step runs in a context of its own, with instrumentation on
            task = asyncio.create_task(self._step_guarded(bot), context=contextvars.Context())
            self.steps[bot.id] = task
            task.add_done_callback(lambda _t, bot_id=bot.id: self.steps.pop(bot_id, None))

    def _forget(self, bot_id: str) -> None:
        if self.held.pop(bot_id, None) is not None:
            log_event(log, "lease_lost", bot_id=bot_id, holder=self.holder)
        self.due.pop(bot_id, None)
        self.evaluated.pop(bot_id, None)

    def _runnable(self) -> list[tuple[Bot, str, datetime | None]]:
        with self.db.read() as conn:
            return store.runnable_bots(conn)

    def _acquire(self, bot_id: str) -> datetime | None:
        """Take or renew the bot's lease: its new expiry, or None when another holds it."""
        now = self.clock()
        until = now + timedelta(seconds=self.config.lease_seconds)
        with self.db.write() as conn:
            ok = store.acquire_lease(conn, bot_id, self.holder, now, until)
        return until if ok else None

    # --- one step of one bot ---------------------------------------------------------------

    async def _step_guarded(self, bot: Bot) -> None:
        try:
            with self.tracer.start_as_current_span(
                "bot.step", attributes={"bot.id": bot.id, "bot.strategy": bot.strategy}
            ):
                await self.step(bot)
        except AppError as exc:
            await self._refused(bot, exc)
        except SQLAlchemyError as exc:
            log_event(log, "step_db_error", logging.WARNING, bot_id=bot.id, error=str(exc)[:300])
        except Exception:  # a bug in one bot's step must not stop the others: log it loudly
            log.error("step_crashed", exc_info=True, extra={"fields": {"bot_id": bot.id}})

    async def _refused(self, bot: Bot, exc: AppError) -> None:
        log_event(
            log,
            "step_refused",
            logging.WARNING,
            bot_id=bot.id,
            code=exc.code.name,
            reason=exc.reason,
            error=exc.message,
        )
        if exc.code in FATAL:
            reason = f"runner: {exc.message}"[:500]
            try:
                await asyncio.to_thread(
                    self.service.transition, bot.user_id, bot.id, Action.FAIL, reason
                )
            except AppError:
                pass  # no longer RUNNING (paused, stopped, tripped meanwhile): nothing to mark

    async def step(self, bot: Bot) -> None:
        timeframe, tf_seconds = timeframe_for(bot.interval_seconds)
        newest = int(self.clock().timestamp()) // tf_seconds - 1  # the last candle closed
        if self.evaluated.get(bot.id, -1) >= newest:
            return  # decided on that candle already: nothing new to look at
        candles = await self.markets.candles(bot, timeframe, candles_needed(bot))
        now = self.clock()
        closed = [c for c in candles if c.open_time + timedelta(seconds=tf_seconds) <= now]
        if await self._act(bot, closed, tf_seconds) and closed:
            self.evaluated[bot.id] = int(closed[-1].open_time.timestamp()) // tf_seconds

    async def _act(self, bot: Bot, closed: list[Candle], tf_seconds: int) -> bool:
        """Decide on the closed candles and submit; False when the bot was not ours to act
        for (lease lost, no longer RUNNING), so that the candle is looked at again."""
        decision = decide(bot.strategy, bot.params, closed)
        span = trace.get_current_span()
        span.set_attribute("bot.decision", decision.action)
        span.set_attribute("bot.decision_reason", decision.reason)
        if decision.action == HOLD or decision.at is None:
            return True
        step = int(decision.at.timestamp()) // tf_seconds
        held = await self.markets.position(bot)
        if decision.action == BUY:
            if held > 0:
                return True  # already long: one entry per position
            intent_amount, reduce_only = Decimal(bot.params["amount"]), False
        else:
            if held <= 0:
                return True  # nothing to close (the strategies do not sell short)
            intent_amount, reduce_only = held, True
        check = await asyncio.to_thread(self._can_submit, bot.id, step)
        if check == ALREADY_SUBMITTED:
            log_event(log, "step_skipped", logging.DEBUG, bot_id=bot.id, step=step, why=check)
            return True
        if check is not None:
            log_event(log, "step_skipped", bot_id=bot.id, step=step, why=check)
            return False
        intent = OrderIntent(
            idempotency_key=f"{bot.id}:{step}",
            side=decision.action,
            amount=intent_amount,
            expected_edge_bps=decision.expected_edge_bps,
            reduce_only=reduce_only,
        )
        span.set_attribute("order.idempotency_key", intent.idempotency_key)
        span.set_attribute("order.expected_edge_bps", str(intent.expected_edge_bps))
        result = await self.markets.submit(bot, intent)
        span.set_attribute("order.id", result.order_id)
        span.set_attribute("order.state", result.state)
        await asyncio.to_thread(self._mark, bot.id, step)
        log_event(
            log,
            "order_submitted",
            bot_id=bot.id,
            key=intent.idempotency_key,
            side=intent.side,
            amount=intent.amount,
            edge_bps=intent.expected_edge_bps,
            reduce_only=reduce_only,
            order_id=result.order_id,
            state=result.state,
            replayed=result.replayed,
            rejection=result.rejection,
            why=decision.reason,
        )
        return True

    def _can_submit(self, bot_id: str, step: int) -> str | None:
        """None when this runner may submit ``step`` for the bot now, else why not."""
        with self.db.read() as conn:
            row = store.lease_check(conn, bot_id, self.holder, self.clock())
        if row is None:
            return "lease not held"
        if row.state != State.RUNNING.value:
            return f"bot is {row.state}"
        if row.last_step >= step:
            return ALREADY_SUBMITTED
        return None

    def _mark(self, bot_id: str, step: int) -> None:
        with self.db.write() as conn:
            store.mark_step(conn, bot_id, self.holder, step)
