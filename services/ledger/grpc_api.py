"""LedgerService servicer: request -> use case (in a worker thread) -> response."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import grpc

from amarktai.ledger.v1 import ledger_pb2 as pb
from amarktai.ledger.v1 import ledger_pb2_grpc
from services.common import validate as v
from services.common.auth import Caller, batch_item_caller, current_caller, require_service
from services.common.errors import AppError, invalid, permission_denied
from services.common.validate import decimal_text_or_empty as _s
from services.ledger import batch
from services.ledger.convert import _ts, audit_out, event_in, event_out, fill_in, fill_out, marks_in
from services.ledger.schema import heads
from services.ledger.service import LedgerService

MAX_BATCH = 1000
DOMAIN = "ledger"
MAX_USER_ID = heads.c.user_id.type.length  # what the ledger's tables hold
_PERIODS = {
    pb.PROFIT_PERIOD_DAILY: "daily",
    pb.PROFIT_PERIOD_WEEKLY: "weekly",
    pb.PROFIT_PERIOD_MONTHLY: "monthly",
}


def _currency(value: str, field: str = "currency") -> str:
    return v.currency(value, field) if value else "USDT"


class LedgerServicer(ledger_pb2_grpc.LedgerServiceServicer):
    def __init__(
        self, service: LedgerService, verify: Callable[[str], Caller] | None = None
    ) -> None:
        """``verify``: the server's TokenVerifier, for the tokens of batch items (the batch
        calls are refused without it)."""
        self.service = service
        self.verify = verify

    async def _record(self, items):
        caller = current_caller()
        return await asyncio.to_thread(self.service.record, caller.user_id, items)

    async def RecordFill(self, request, context):
        if not request.HasField("fill"):
            raise invalid("fill", "is required")
        now = self.service.clock()
        caller = current_caller()
        item = fill_in(request.fill, caller, "", now)
        if not request.include_risk:
            [rec] = await self._record([item])
            return pb.RecordFillResponse(fill=fill_out(rec), replayed=rec.replayed)
        marks = marks_in(request.risk_marks, "risk_marks")
        rec, (bot, account) = await asyncio.to_thread(
            self.service.record_fill_with_risk, caller.user_id, item, marks
        )
        e = rec.entry
        risk = _risk_out(e.bot_id, e.currency, bot)
        risk.account.CopyFrom(_risk_out("", e.currency, account))
        return pb.RecordFillResponse(fill=fill_out(rec), replayed=rec.replayed, risk=risk)

    async def RecordFills(self, request, context):
        if not 0 < len(request.fills) <= MAX_BATCH:
            raise invalid("fills", f"must hold 1 to {MAX_BATCH} fills")
        caller, now = current_caller(), self.service.clock()
        items = [fill_in(f, caller, f"fills[{i}].", now) for i, f in enumerate(request.fills)]
        recs = await self._record(items)
        return pb.RecordFillsResponse(
            results=[pb.RecordFillResponse(fill=fill_out(r), replayed=r.replayed) for r in recs]
        )

    async def RecordEvent(self, request, context):
        if not request.HasField("event"):
            raise invalid("event", "is required")
        now = self.service.clock()
        [rec] = await self._record([event_in(request.event, current_caller(), "", now)])
        return pb.RecordEventResponse(event=event_out(rec), replayed=rec.replayed)

    async def RecordEvents(self, request, context):
        if not 0 < len(request.events) <= MAX_BATCH:
            raise invalid("events", f"must hold 1 to {MAX_BATCH} events")
        caller, now = current_caller(), self.service.clock()
        items = [event_in(e, caller, f"events[{i}].", now) for i, e in enumerate(request.events)]
        recs = await self._record(items)
        return pb.RecordEventsResponse(
            results=[pb.RecordEventResponse(event=event_out(r), replayed=r.replayed) for r in recs]
        )

    async def GetPortfolioSummary(self, request, context):
        user = current_caller().user_id
        currency = _currency(request.currency)
        bot_id = v.identifier(request.bot_id, "bot_id", required=False)
        marks = marks_in(request.marks)
        s = await asyncio.to_thread(self.service.summary, user, currency, bot_id, marks)
        f = s.figures
        return pb.GetPortfolioSummaryResponse(
            currency=s.currency,
            equity=_s(s.equity),
            net_funding=_s(f.net_funding),
            realized_pnl=_s(f.realized_pnl),
            fees=_s(f.fees),
            net_pnl=_s(f.net_pnl),
            unrealized_pnl=_s(s.unrealized_pnl),
            current_drawdown=_s(s.current_drawdown),
            max_drawdown=_s(s.max_drawdown),
            trades=f.trades,
            winning_trades=f.winning_trades,
            positions=[
                pb.Position(
                    bot_id=p.bot_id,
                    symbol=p.symbol,
                    amount=_s(p.amount),
                    average_price=_s(p.average_price),
                    mark_price=_s(p.mark),
                    unrealized_pnl=_s(p.unrealized_pnl),
                )
                for p in s.positions
            ],
            last_sequence=s.last_sequence,
        )

    async def GetProfits(self, request, context):
        user = current_caller().user_id
        if request.period not in _PERIODS:
            raise invalid("period", "must be daily, weekly or monthly")
        currency = _currency(request.currency)
        bot_id = v.identifier(request.bot_id, "bot_id", required=False)
        period = _PERIODS[request.period]
        buckets = await asyncio.to_thread(self.service.profits, user, period, currency, bot_id)
        return pb.GetProfitsResponse(
            period=request.period,
            currency=currency,
            buckets=[
                pb.ProfitBucket(
                    period_start=_ts(b.period_start),
                    realized_pnl=_s(b.realized_pnl),
                    fees=_s(b.fees),
                    net_pnl=_s(b.net_pnl),
                    trades=b.trades,
                    winning_trades=b.winning_trades,
                )
                for b in buckets
            ],
        )

    async def GetCountdown(self, request, context):
        user = current_caller().user_id
        target = v.decimal(request.target, "target", positive=True)
        currency = _currency(request.currency)
        c = await asyncio.to_thread(self.service.countdown, user, target, currency)
        return pb.GetCountdownResponse(
            currency=currency,
            current_equity=_s(c.current_equity),
            target=_s(c.target),
            daily_growth=_s(c.daily_growth),
            days_to_target=_s(c.days_to_target),
            reached=c.reached,
        )

    async def ListFills(self, request, context):
        user = current_caller().user_id
        recs, token = await asyncio.to_thread(
            self.service.list_fills,
            user,
            bot_id=v.identifier(request.bot_id, "bot_id", required=False),
            symbol=v.symbol(request.symbol) if request.symbol else "",
            since=v.timestamp(request.since, request.HasField("since"), "since"),
            until=v.timestamp(request.until, request.HasField("until"), "until"),
            page_size=v.page_size(request.page_size),
            page_token=request.page_token,
        )
        return pb.ListFillsResponse(items=[fill_out(r) for r in recs], next_page_token=token)

    async def GetAuditTrail(self, request, context):
        user = current_caller().user_id
        recs, token = await asyncio.to_thread(
            self.service.audit_trail, user, v.page_size(request.page_size), request.page_token
        )
        return pb.GetAuditTrailResponse(items=[audit_out(r) for r in recs], next_page_token=token)

    async def Verify(self, request, context):
        user = current_caller().user_id
        count, problems = await asyncio.to_thread(self.service.verify, user)
        return pb.VerifyResponse(ok=not problems, entries_checked=count, problems=problems)

    async def GetBotStats(self, request, context):
        user = current_caller().user_id
        bot_id = v.identifier(request.bot_id, "bot_id")
        currency = _currency(request.currency)
        f = await asyncio.to_thread(self.service.bot_stats, user, bot_id, currency)
        resp = pb.GetBotStatsResponse(
            bot_id=bot_id,
            trades=f.trades,
            winning_trades=f.winning_trades,
            losing_trades=f.losing_trades,
            win_rate=_s(f.win_rate),
            net_pnl=_s(f.net_pnl),
            realized_pnl=_s(f.realized_pnl),
            fees=_s(f.fees),
            consecutive_losses=f.consecutive_losses,
            equity=_s(f.equity),
            net_funding=_s(f.net_funding),
            current_drawdown=_s(f.current_drawdown),
            max_drawdown=_s(f.max_drawdown),
        )
        if f.first_trade_at is not None:
            resp.first_trade_at.CopyFrom(_ts(f.first_trade_at))
        return resp

    async def GetRiskMetrics(self, request, context):
        user = current_caller().user_id
        bot_id = v.identifier(request.bot_id, "bot_id", required=False)
        currency = _currency(request.currency)
        marks = marks_in(request.marks)
        scopes = [bot_id, ""] if request.include_account else [bot_id]
        ms = await asyncio.to_thread(self.service.risk_metrics_of, user, scopes, currency, marks)
        resp = _risk_out(bot_id, currency, ms[0])
        if request.include_account:
            resp.account.CopyFrom(_risk_out("", currency, ms[1]))
        return resp

    async def ResetRiskBaseline(self, request, context):
        caller = current_caller()
        if not caller.is_service:
            raise permission_denied("SERVICE_ONLY", "only the orders service resets the breaker")
        bot_id = v.identifier(request.bot_id, "bot_id", required=False)
        currency = _currency(request.currency)
        reason = v.text(request.reason, "reason")
        seq = await asyncio.to_thread(
            self.service.reset_risk_baseline, caller.user_id, bot_id, currency, reason
        )
        return pb.ResetRiskBaselineResponse(baseline_sequence=seq)

    # --- batches of calls of many users, for the orders service ------------------------------

    async def RecordFillBatch(self, request, context):
        now = self.service.clock()
        results, places, fills = self._items(
            request.items, pb.RecordFillBatchResult, lambda i, item: self._fill(i, item, now)
        )
        if fills:
            outcomes = await asyncio.to_thread(batch.record_fill_batch, self.service, fills)
            for i, o in zip(places, outcomes, strict=True):
                results[i] = _fill_result(o)
        return pb.RecordFillBatchResponse(results=results)

    async def GetRiskMetricsBatch(self, request, context):
        results, places, queries = self._items(
            request.items, pb.GetRiskMetricsBatchResult, self._risk_query
        )
        if queries:
            answers = await asyncio.to_thread(batch.risk_metrics_batch, self.service, queries)
            for i, q, ms in zip(places, queries, answers, strict=True):
                resp = _risk_out(q.scopes[0], q.currency, ms[0])
                if len(ms) > 1:
                    resp.account.CopyFrom(_risk_out("", q.currency, ms[1]))
                results[i] = pb.GetRiskMetricsBatchResult(response=resp)
        return pb.GetRiskMetricsBatchResponse(results=results)

    def _items(self, items, result, parse) -> tuple[list, list[int], list]:
        """A batch call's items parsed (``parse(i, item)``), once the call is found to be a
        service's: the results with each bad item's error (a ``result``) in its place, and
        the places and values of the good items, for the use case."""
        require_service()
        if self.verify is None:
            raise AppError(grpc.StatusCode.UNIMPLEMENTED, "UNIMPLEMENTED", "no batch calls here")
        if not 0 < len(items) <= MAX_BATCH:
            raise invalid("items", f"must hold 1 to {MAX_BATCH} items")
        results: list = [None] * len(items)
        places, good = [], []
        for i, item in enumerate(items):
            try:
                good.append(parse(i, item))
                places.append(i)
            except AppError as exc:
                results[i] = result(error=exc.to_status(DOMAIN))
        return results, places, good

    def _fill(self, i: int, item: pb.RecordFillBatchItem, now) -> batch.BatchFill:
        """An item of RecordFillBatch checked as RecordFill checks its call."""
        caller = batch_item_caller(self.verify, item.service_token)
        if len(caller.user_id) > MAX_USER_ID:  # (alone, the call would fail on the column)
            raise invalid(f"items[{i}].service_token", "names a user id that is too long")
        path, request = f"items[{i}].request.", item.request
        if not request.HasField("fill"):
            raise invalid(f"{path}fill", "is required")
        new = fill_in(request.fill, caller, f"{path}fill.", now)
        if not request.include_risk:
            return batch.BatchFill(caller.user_id, new)
        marks = marks_in(request.risk_marks, f"{path}risk_marks")
        return batch.BatchFill(caller.user_id, new, marks)

    def _risk_query(self, i: int, item: pb.GetRiskMetricsBatchItem) -> batch.RiskQuery:
        """An item of GetRiskMetricsBatch checked as GetRiskMetrics checks its call."""
        caller = batch_item_caller(self.verify, item.service_token)
        path, request = f"items[{i}].request.", item.request
        bot_id = v.identifier(request.bot_id, f"{path}bot_id", required=False)
        currency = _currency(request.currency, f"{path}currency")
        marks = marks_in(request.marks, f"{path}marks")
        scopes = (bot_id, "") if request.include_account else (bot_id,)
        return batch.RiskQuery(caller.user_id, scopes, currency, marks)


def _fill_result(o: batch.FillOutcome) -> pb.RecordFillBatchResult:
    """One item's outcome as RecordFill answers it."""
    if o.error is not None:
        return pb.RecordFillBatchResult(error=o.error.to_status(DOMAIN))
    rec = o.recorded
    resp = pb.RecordFillResponse(fill=fill_out(rec), replayed=rec.replayed)
    if o.risk is not None:
        e = rec.entry
        resp.risk.CopyFrom(_risk_out(e.bot_id, e.currency, o.risk[0]))
        resp.risk.account.CopyFrom(_risk_out("", e.currency, o.risk[1]))
    return pb.RecordFillBatchResult(response=resp)


def _risk_out(bot_id: str, currency: str, m) -> pb.GetRiskMetricsResponse:
    resp = pb.GetRiskMetricsResponse(
        bot_id=bot_id,
        currency=currency,
        equity=_s(m.equity),
        peak=_s(m.peak),
        drawdown=_s(m.drawdown),
        day_start_equity=_s(m.day_start_equity),
        daily_loss=_s(m.daily_loss),
        consecutive_losses=m.consecutive_losses,
        baseline_sequence=m.baseline_sequence,
    )
    if m.baseline_at is not None:
        resp.baseline_at.CopyFrom(_ts(m.baseline_at))
    return resp
