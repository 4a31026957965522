"""Small builders and readers for the ledger's integration tests (all over real gRPC)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import grpc
from google.protobuf.timestamp_pb2 import Timestamp
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from amarktai.common.v1 import trading_pb2 as tpb
from amarktai.ledger.v1 import ledger_pb2 as pb

D = Decimal
BUY = tpb.SIDE_BUY
SELL = tpb.SIDE_SELL
FUNDING = pb.LEDGER_EVENT_TYPE_FUNDING
WITHDRAWAL = pb.LEDGER_EVENT_TYPE_WITHDRAWAL
TRANSFER = pb.LEDGER_EVENT_TYPE_TRANSFER
ALLOCATION = pb.LEDGER_EVENT_TYPE_ALLOCATION
ADJUSTMENT = pb.LEDGER_EVENT_TYPE_ADJUSTMENT


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def ts(dt: datetime) -> Timestamp:
    t = Timestamp()
    t.FromDatetime(dt)
    return t


def fill(
    fill_id: str,
    side: int,
    amount: str,
    price: str,
    fee: str = "0",
    *,
    symbol: str = "BTC/USDT",
    bot_id: str = "",
    at: datetime | None = None,
    fee_currency: str = "",
    fee_quote: str = "",
    source: int = pb.FILL_SOURCE_UNSPECIFIED,
    exchange: str = "binance",
) -> pb.Fill:
    f = pb.Fill(
        fill_id=fill_id,
        bot_id=bot_id,
        exchange=exchange,
        symbol=symbol,
        side=side,
        amount=amount,
        price=price,
        fee=fee,
        fee_currency=fee_currency,
        fee_quote=fee_quote,
        source=source,
    )
    if at is not None:
        f.executed_at.CopyFrom(ts(at))
    return f


def event(
    event_id: str,
    type_: int,
    amount: str,
    *,
    currency: str = "USDT",
    bot_id: str = "",
    at: datetime | None = None,
    corrects: str = "",
    description: str = "",
) -> pb.LedgerEvent:
    e = pb.LedgerEvent(
        event_id=event_id,
        type=type_,
        amount=amount,
        currency=currency,
        bot_id=bot_id,
        corrects=corrects,
        description=description,
    )
    if at is not None:
        e.occurred_at.CopyFrom(ts(at))
    return e


async def record(h, md, *items: pb.Fill) -> list[pb.RecordFillResponse]:
    """Record fills one call each, in order."""
    return [await h.stub.RecordFill(pb.RecordFillRequest(fill=f), metadata=md) for f in items]


async def record_event(h, md, e: pb.LedgerEvent) -> pb.RecordEventResponse:
    return await h.stub.RecordEvent(pb.RecordEventRequest(event=e), metadata=md)


async def summary(h, md, bot_id: str = "", marks: tuple[str, ...] = ()):
    req = pb.GetPortfolioSummaryRequest(bot_id=bot_id, marks=list(marks))
    return await h.stub.GetPortfolioSummary(req, metadata=md)


async def verify(h, md) -> pb.VerifyResponse:
    return await h.stub.Verify(pb.VerifyRequest(), metadata=md)


async def audit_all(h, md, page_size: int = 1000) -> list[pb.AuditEntry]:
    """The whole audit trail, walking the pages."""
    items: list[pb.AuditEntry] = []
    token = ""
    while True:
        req = pb.GetAuditTrailRequest(page_size=page_size, page_token=token)
        resp = await h.stub.GetAuditTrail(req, metadata=md)
        items.extend(resp.items)
        token = resp.next_page_token
        if not token:
            return items


def positions(s: pb.GetPortfolioSummaryResponse) -> dict[tuple[str, str], tuple[D, D]]:
    """(bot_id, symbol) -> (amount, average price) of the summary's open positions."""
    return {(p.bot_id, p.symbol): (D(p.amount), D(p.average_price)) for p in s.positions}


def violations(err: grpc.aio.AioRpcError) -> list[str]:
    """The fields named by the google.rpc.BadRequest detail of an error status."""
    status = rpc_status.from_call(err)
    assert status is not None, f"no google.rpc.Status on {err.code()}: {err.details()}"
    fields: list[str] = []
    for detail in status.details:
        if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            detail.Unpack(bad)
            fields.extend(v.field for v in bad.field_violations)
    return fields


def reason(err: grpc.aio.AioRpcError) -> str:
    """The ErrorInfo reason of an error status."""
    status = rpc_status.from_call(err)
    assert status is not None
    for detail in status.details:
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            return info.reason
    raise AssertionError("no ErrorInfo")


GENESIS_HASH = "0" * 64  # the prev_hash of a user's first entry


# --- batch calls (RecordFillBatch, GetRiskMetricsBatch) ---------------------------------------


def fill_item(h, user_id: str, f: pb.Fill, *marks: str, risk: bool = False, token: str = ""):
    """A RecordFillBatch item: the fill of ``user_id`` with a service token acting for them
    (or ``token``), include_risk when ``risk`` or marks are given."""
    req = pb.RecordFillRequest(fill=f, include_risk=risk or bool(marks), risk_marks=list(marks))
    return pb.RecordFillBatchItem(service_token=token or h.service_token(user_id), request=req)


def risk_item(h, user_id: str, req: pb.GetRiskMetricsRequest, token: str = ""):
    return pb.GetRiskMetricsBatchItem(service_token=token or h.service_token(user_id), request=req)


def item_error(result) -> tuple[str, str, list[str]]:
    """A batch result's own error: (gRPC code name, ErrorInfo reason, BadRequest fields)."""
    assert result.WhichOneof("outcome") == "error", result
    status = result.error
    why, fields = "", []
    for detail in status.details:
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            assert info.domain == "ledger"
            why = info.reason
        elif detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            detail.Unpack(bad)
            fields.extend(v.field for v in bad.field_violations)
    return _CODES[status.code].name, why, fields


_CODES = {c.value[0]: c for c in grpc.StatusCode}
