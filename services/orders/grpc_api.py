"""OrderService servicer: request -> use case -> response. Thin."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime

import grpc

from amarktai.orders.v1 import orders_pb2 as pb
from amarktai.orders.v1 import orders_pb2_grpc
from services.common import validate as v
from services.common.auth import Caller, current_caller
from services.common.errors import AppError, invalid
from services.common.logs import log_event
from services.common.server import answer_item
from services.common.validate import decimal_text_or_empty as _s
from services.orders import store
from services.orders.app import OrdersApp
from services.orders.convert import (
    decode_token,
    encode_token,
    exchange,
    metrics_out,
    order_in,
    order_out,
    scope_value,
    trigger_value,
    ts,
)
from services.orders.domain.model import PENDING_STATES
from services.orders.pipeline import OrderOut
from services.orders.status import event_metrics

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["OrderService"].full_name
SUBMIT_ORDER = f"/{SERVICE_NAME}/SubmitOrder"


log = logging.getLogger("amarktai.orders")


MAX_BATCH = 1000


class OrderServicer(orders_pb2_grpc.OrderServiceServicer):
    def __init__(self, app: OrdersApp, verifier: Callable[[str], Caller] | None = None) -> None:
        """``verifier``: the TokenVerifier (of the JWT secret) that checks each
        SubmitOrderBatch item's access token; without one, SubmitOrderBatch is UNIMPLEMENTED."""
        self.app = app
        self.verifier = verifier

    async def SubmitOrder(self, request, context):
        user = current_caller().user_id
        out = await self.app.pipeline.submit(user, order_in(request))
        o = out.order
        # one line per order, inside the request's span: the formatter adds its trace id
        log_event(
            log,
            "order",
            order_id=o.id,
            bot_id=o.bot_id,
            symbol=o.symbol,
            side=o.side,
            type=o.type,
            amount=o.amount,
            mode=o.mode,
            state=o.state,
            replayed=out.replayed,
            reason=o.state_reason,
        )
        return pb.SubmitOrderResponse(order=order_out(out))

    async def SubmitOrderBatch(self, request, context):
        if self.verifier is None:
            raise AppError(
                grpc.StatusCode.UNIMPLEMENTED, "UNIMPLEMENTED", "SubmitOrderBatch is not enabled"
            )
        if not 1 <= len(request.items) <= MAX_BATCH:
            raise invalid("items", f"must hold 1 to {MAX_BATCH} items")
        answers = await asyncio.gather(*(self._item(item) for item in request.items))
        return pb.SubmitOrderBatchResponse(
            results=[
                pb.SubmitOrderBatchResult(error=error)
                if error is not None
                else pb.SubmitOrderBatchResult(response=response)
                for response, error in answers
            ]
        )

    async def _item(self, item):
        return await answer_item(
            self.verifier, "orders", SUBMIT_ORDER, item.access_token, item.traceparent,
            lambda: self.SubmitOrder(item.request, None),
        )  # fmt: skip

    async def GetOrder(self, request, context):
        user = current_caller().user_id
        order_id = v.identifier(request.id, "id")
        return pb.GetOrderResponse(order=order_out(await self.app.pipeline.read(user, order_id)))

    async def CancelOrder(self, request, context):
        user = current_caller().user_id
        order_id = v.identifier(request.id, "id")
        out = await self.app.cancels.cancel(user, order_id)
        return pb.CancelOrderResponse(order=order_out(out))

    async def _list(self, request, states):
        user = current_caller().user_id
        bot_id = v.identifier(request.bot_id, "bot_id", required=False)
        size = v.page_size(request.page_size)
        tok = decode_token(request.page_token, ("t", "i"))
        before = (datetime.fromisoformat(tok["t"]), tok["i"]) if tok else None

        def load():
            with self.app.db.read() as conn:
                rows = store.list_orders(
                    conn, user, bot_id=bot_id, states=states, before=before, limit=size + 1
                )
                page = rows[:size]
                fills = store.fills_of(conn, [r.id for r in page])
            return page, fills, len(rows) > size

        page, fills, more = await asyncio.to_thread(load)
        token = ""
        if more:
            last = page[-1]
            token = encode_token({"t": last.created_at.isoformat(), "i": last.id})
        return [order_out(OrderOut(r, fills[r.id])) for r in page], token

    async def ListPendingOrders(self, request, context):
        items, token = await self._list(request, [str(s) for s in PENDING_STATES])
        return pb.ListPendingOrdersResponse(items=items, next_page_token=token)

    async def ListOrders(self, request, context):
        states: list[str] = []
        if request.state:
            states = [v.enum_name(pb.OrderState, request.state, "state", "ORDER_STATE_")]
        items, token = await self._list(request, states)
        return pb.ListOrdersResponse(items=items, next_page_token=token)

    async def GetBreakerStatus(self, request, context):
        user = current_caller().user_id
        items = await self.app.status.breakers(user)
        t = self.app.thresholds
        resp = pb.GetBreakerStatusResponse(
            max_drawdown=_s(t.max_drawdown),
            max_daily_loss=_s(t.max_daily_loss),
            max_consecutive_losses=t.max_consecutive_losses,
            max_errors_per_hour=t.max_errors_per_hour,
        )
        for item in items:
            row = item.row
            b = pb.BreakerStatus(
                scope=scope_value(item.bot_id),
                bot_id=item.bot_id,
                tripped=bool(row and row.tripped),
                metrics=metrics_out(item.metrics),
            )
            if row is not None and row.tripped:
                b.trigger = trigger_value(row.trigger)
                b.reason = row.reason
                b.tripped_at.CopyFrom(ts(row.tripped_at))
            if row is not None and row.reset_at is not None:
                b.reset_at.CopyFrom(ts(row.reset_at))
            resp.items.append(b)
        return resp

    async def ResetBreaker(self, request, context):
        user = current_caller().user_id
        bot_id = v.identifier(request.bot_id, "bot_id", required=False)
        reason = v.text(request.reason.strip(), "reason", max_len=500)
        if not reason:
            raise invalid("reason", "is required: say why the breaker may be reset")
        cleared = await self.app.breaker.reset(user, bot_id, reason, request.totp_code)
        rows = await asyncio.to_thread(self.app.breaker._rows, user)
        row = rows.get(bot_id)
        item = pb.BreakerStatus(scope=scope_value(bot_id), bot_id=bot_id, tripped=False)
        if row is not None and row.reset_at is not None:
            item.reset_at.CopyFrom(ts(row.reset_at))
        return pb.ResetBreakerResponse(item=item, bots_cleared=cleared)

    async def GetBreakerHistory(self, request, context):
        user = current_caller().user_id
        size = v.page_size(request.page_size)
        tok = decode_token(request.page_token, ("i",))
        before = tok["i"] if tok else None
        if before is not None and (type(before) is not int or before < 0):
            raise invalid("page_token", "is not a token this service gave")
        rows = await asyncio.to_thread(self.app.status.history, user, before, size + 1)
        items = [
            pb.BreakerEvent(
                id=str(r.id),
                kind=pb.BreakerEventKind.Value(f"BREAKER_EVENT_KIND_{r.kind}"),
                scope=scope_value(r.bot_id),
                bot_id=r.bot_id,
                trigger=trigger_value(r.trigger),
                reason=r.reason,
                metrics=metrics_out(event_metrics(r)),
                at=ts(r.at),
            )
            for r in rows[:size]
        ]
        token = encode_token({"i": rows[size - 1].id}) if len(rows) > size else ""
        return pb.GetBreakerHistoryResponse(items=items, next_page_token=token)

    async def GetLimitsStatus(self, request, context):
        user = current_caller().user_id
        bot_id = v.identifier(request.bot_id, "bot_id", required=False)
        ex = exchange(request.exchange) if request.exchange else ""
        items = await asyncio.to_thread(self.app.status.limits_status, user, bot_id, ex)
        resp = pb.GetLimitsStatusResponse()
        for i in items:
            item = pb.LimitStatus(
                name=i.name, used=i.used, capacity=i.capacity, bot_id=i.bot_id, exchange=i.exchange
            )
            if i.resets_at is not None:
                item.resets_at.CopyFrom(ts(i.resets_at))
            resp.items.append(item)
        return resp

    async def GetTicker(self, request, context):
        current_caller()
        ex, symbol = exchange(request.exchange), v.symbol(request.symbol)
        t = await self.app.prices.ticker(ex, symbol)
        q = self.app.prices.to_quote(ex, symbol, t)
        resp = pb.GetTickerResponse(
            exchange=ex, symbol=symbol, bid=_s(q.bid), ask=_s(q.ask), last=_s(q.last)
        )
        at = getattr(t, "at", None)
        if isinstance(at, datetime):
            resp.at.CopyFrom(ts(at))
        return resp

    async def GetCandles(self, request, context):
        current_caller()
        ex, symbol = exchange(request.exchange), v.symbol(request.symbol)
        timeframe = request.timeframe or "1m"
        if not 0 <= request.limit <= 1000:
            raise invalid("limit", "must be between 1 and 1000")
        candles = await self.app.prices.candles(ex, symbol, timeframe, request.limit or 100)
        return pb.GetCandlesResponse(items=[candle_out(c) for c in candles])


def candle_out(c) -> pb.Candle:
    out = pb.Candle(
        open=_s(c.open), high=_s(c.high), low=_s(c.low), close=_s(c.close), volume=_s(c.volume)
    )
    at = getattr(c, "open_time", None) or getattr(c, "at", None)
    if isinstance(at, datetime):
        out.open_time.CopyFrom(ts(at))
    return out
