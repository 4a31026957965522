"""Proto <-> model for the orders service: request validation and the JSON-shaped answers."""

from __future__ import annotations

import base64
import json
import re
from datetime import datetime
from decimal import Decimal

from google.protobuf.timestamp_pb2 import Timestamp

from amarktai.common.v1 import trading_pb2 as tpb
from amarktai.orders.v1 import orders_pb2 as pb
from services.common import validate as v
from services.common.errors import invalid
from services.common.validate import decimal_text_or_empty as _s
from services.orders.domain import paper
from services.orders.domain.breaker import Metrics
from services.orders.domain.model import GateDecision, OrderRequest, OrderType, Side
from services.orders.pipeline import OrderOut

EXCHANGE_RE = re.compile(r"^[a-z][a-z0-9]{1,31}$")


def exchange(value: str, field: str = "exchange") -> str:
    ex = value.strip().lower()
    if not EXCHANGE_RE.match(ex):
        raise invalid(field, f"{value!r} is not an exchange id (e.g. binance)")
    return ex


def order_in(r: pb.SubmitOrderRequest) -> OrderRequest:
    key = v.identifier(r.idempotency_key, "idempotency_key")
    bot_id = v.identifier(r.bot_id, "bot_id")
    ex = exchange(r.exchange)
    symbol = v.symbol(r.symbol)
    side = Side(v.enum_name(tpb.Side, r.side, "side", "SIDE_"))
    kind = OrderType(v.enum_name(tpb.OrderType, r.type, "type", "ORDER_TYPE_"))
    amount = v.decimal(r.amount, "amount", positive=True)
    if kind is OrderType.LIMIT:
        price = v.decimal(r.price, "price", positive=True)
    elif r.price:
        raise invalid("price", "must be empty for a market order")
    else:
        price = None
    edge = v.decimal(
        r.expected_edge_bps, "expected_edge_bps", allow_negative=True, required=not r.reduce_only
    )
    if edge is not None and abs(edge) > 100000:
        raise invalid("expected_edge_bps", "must be between -100000 and 100000")
    assert amount is not None
    return OrderRequest(
        idempotency_key=key,
        bot_id=bot_id,
        exchange=ex,
        symbol=symbol,
        side=side,
        type=kind,
        amount=amount,
        price=price,
        expected_edge_bps=edge if edge is not None else Decimal(0),
        reduce_only=r.reduce_only,
    )


def ts(dt: datetime) -> Timestamp:
    t = Timestamp()
    t.FromDatetime(dt)
    return t


def gate_out(d: GateDecision) -> pb.GateResult:
    return pb.GateResult(
        gate=pb.Gate.Value(f"GATE_{d.gate}"),
        passed=d.passed,
        reason=d.reason,
        figures=d.figures,
        code=d.code,
    )


def _fee_in_quote(f) -> Decimal | None:
    base, quote = f.symbol.split("/", 1)
    if f.fee_currency == quote:
        return f.fee
    if f.fee_currency == base:
        return f.fee * f.price
    return None


def fill_out(f) -> pb.OrderFill:
    side = Side(f.side)
    out = pb.OrderFill(
        fill_id=f.fill_id,
        amount=_s(f.amount),
        price=_s(f.price),
        fee=_s(f.fee),
        fee_currency=f.fee_currency,
        expected_price=_s(f.expected_price),
        expected_fee_bps=_s(f.expected_fee_bps),
        trade_id=f.trade_id,
        executed_at=ts(f.executed_at),
    )
    if f.expected_price is not None:
        out.slippage_bps = _s(paper.slippage_bps(side, f.expected_price, f.price))
    fee_quote = _fee_in_quote(f)
    if fee_quote is not None:
        out.fee_bps = _s(paper.fee_bps(f.amount, f.price, fee_quote))
    return out


def order_out(o: OrderOut) -> pb.Order:
    r = o.order
    out = pb.Order(
        id=r.id,
        idempotency_key=r.idempotency_key,
        bot_id=r.bot_id,
        exchange=r.exchange,
        symbol=r.symbol,
        side=tpb.Side.Value(f"SIDE_{r.side}"),
        type=tpb.OrderType.Value(f"ORDER_TYPE_{r.type}"),
        amount=_s(r.amount),
        price=_s(r.price),
        expected_edge_bps=_s(r.expected_edge_bps),
        reduce_only=r.reduce_only,
        state=pb.OrderState.Value(f"ORDER_STATE_{r.state}"),
        replayed=o.replayed,
        gates=[gate_out(GateDecision.from_json(g)) for g in json.loads(r.gates)],
        fills=[fill_out(f) for f in o.fills],
        trace_id=r.trace_id,
        created_at=ts(r.created_at),
        updated_at=ts(r.updated_at),
        mode=pb.OrderMode.Value(f"ORDER_MODE_{r.mode}"),
        client_order_id=r.client_order_id or "",
        exchange_order_id=r.exchange_order_id or "",
        filled_amount=_s(r.filled_amount),
        average_price=_s(r.average_price),
        state_reason=r.state_reason,
    )
    if r.rejection:
        d = GateDecision.from_json(json.loads(r.rejection))
        out.rejection.CopyFrom(
            pb.Rejection(
                gate=pb.Gate.Value(f"GATE_{d.gate}"),
                reason=d.reason,
                retry_after_seconds=d.retry_after_seconds,
                code=d.code,
            )
        )
    return out


def metrics_out(m: Metrics | None) -> pb.BreakerMetrics:
    if m is None:
        return pb.BreakerMetrics()
    return pb.BreakerMetrics(
        drawdown=_s(m.drawdown),
        daily_loss=_s(m.daily_loss),
        consecutive_losses=m.consecutive_losses,
        errors_last_hour=m.errors_last_hour,
        equity=_s(m.equity),
        peak=_s(m.peak),
        day_start_equity=_s(m.day_start_equity),
    )


def trigger_value(name: str) -> int:
    return pb.BreakerTrigger.Value(f"BREAKER_TRIGGER_{name}") if name else 0


def scope_value(bot_id: str) -> int:
    return pb.BREAKER_SCOPE_BOT if bot_id else pb.BREAKER_SCOPE_ACCOUNT


def encode_token(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode()


def decode_token(token: str, keys: tuple[str, ...]) -> dict | None:
    if not token:
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode()))
        if not isinstance(data, dict) or set(data) != set(keys):
            raise ValueError
        return data
    except (ValueError, TypeError):
        raise invalid("page_token", "is not a token this service gave") from None
