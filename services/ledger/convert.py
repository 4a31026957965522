"""Protobuf messages to ledger entries (validated) and back."""

from __future__ import annotations

from datetime import datetime

from google.protobuf.timestamp_pb2 import Timestamp

from amarktai.common.v1 import trading_pb2
from amarktai.ledger.v1 import ledger_pb2 as pb
from services.common import validate as v
from services.common.auth import Caller
from services.common.errors import invalid, permission_denied
from services.common.validate import decimal_text_or_empty as _s
from services.ledger.model import EVENT, FILL, Entry, Recorded
from services.ledger.service import NewEntry


def _ts(dt: datetime) -> Timestamp:
    t = Timestamp()
    t.FromDatetime(dt)
    return t


SHORT_ID = 64  # bot_id and exchange are stored in (and keyed by) 64-character columns


def _short_id(value: str, field: str, *, required: bool = True) -> str:
    ident = v.identifier(value, field, required=required)
    if len(ident) > SHORT_ID:
        raise invalid(field, f"must be at most {SHORT_ID} characters")
    return ident


def fill_in(msg: pb.Fill, caller: Caller, path: str, now: datetime) -> NewEntry:
    symbol = v.symbol(msg.symbol, f"{path}symbol")
    base, quote = symbol.split("/")
    side = v.enum_name(trading_pb2.Side, msg.side, f"{path}side", "SIDE_")
    fee = v.decimal(msg.fee or "0", f"{path}fee")
    fee_currency = (
        v.currency(msg.fee_currency, f"{path}fee_currency") if msg.fee_currency else quote
    )
    fee_quote = v.decimal(msg.fee_quote, f"{path}fee_quote", required=False)
    if fee and fee_currency not in (base, quote) and fee_quote is None:
        raise invalid(f"{path}fee_quote", f"is required for a fee in {fee_currency}")
    if msg.source == pb.FILL_SOURCE_UNSPECIFIED and not caller.is_service:
        source = "MANUAL"
    else:
        source = v.enum_name(pb.FillSource, msg.source, f"{path}source", "FILL_SOURCE_")
    if source != "MANUAL" and not caller.is_service:
        raise permission_denied(
            "SOURCE_RESERVED", "only the orders service records paper and live fills"
        )
    at = v.timestamp(msg.executed_at, msg.HasField("executed_at"), f"{path}executed_at")
    entry = Entry(
        kind=FILL,
        entry_id=v.identifier(msg.fill_id, f"{path}fill_id"),
        user_id=caller.user_id,
        bot_id=_short_id(msg.bot_id, f"{path}bot_id", required=False),
        at=at or now,
        amount=v.decimal(msg.amount, f"{path}amount", positive=True),
        currency=quote,
        exchange=_short_id(msg.exchange.strip().lower(), f"{path}exchange"),
        symbol=symbol,
        side=side,
        price=v.decimal(msg.price, f"{path}price", positive=True),
        fee=fee,
        fee_currency=fee_currency,
        fee_quote=fee_quote,
        order_id=v.identifier(msg.order_id, f"{path}order_id", required=False),
        source=source,
    )
    if side == "BUY" and fee_currency == base and fee >= entry.amount:
        raise invalid(f"{path}fee", "a fee in the base currency must be less than the amount")
    return NewEntry(entry, at is not None, path)


_SIGNED = ("ADJUSTMENT",)
_NEEDS_BOT = ("ALLOCATION", "TRANSFER")


def event_in(msg: pb.LedgerEvent, caller: Caller, path: str, now: datetime) -> NewEntry:
    kind = v.enum_name(pb.LedgerEventType, msg.type, f"{path}type", "LEDGER_EVENT_TYPE_")
    if kind in _SIGNED:
        amount = v.decimal(msg.amount, f"{path}amount", allow_negative=True, nonzero=True)
    else:
        amount = v.decimal(msg.amount, f"{path}amount", positive=True)
    bot_id = _short_id(msg.bot_id, f"{path}bot_id", required=kind in _NEEDS_BOT)
    corrects = v.identifier(msg.corrects, f"{path}corrects", required=kind == "ADJUSTMENT")
    if corrects and kind != "ADJUSTMENT":
        raise invalid(f"{path}corrects", "only an ADJUSTMENT corrects an entry")
    at = v.timestamp(msg.occurred_at, msg.HasField("occurred_at"), f"{path}occurred_at")
    entry = Entry(
        kind=EVENT,
        entry_id=v.identifier(msg.event_id, f"{path}event_id"),
        user_id=caller.user_id,
        bot_id=bot_id,
        at=at or now,
        amount=amount,
        currency=v.currency(msg.currency, f"{path}currency"),
        event_type=kind,
        description=v.text(msg.description, f"{path}description"),
        corrects=corrects,
    )
    return NewEntry(entry, at is not None, path)


def fill_out(r: Recorded) -> pb.Fill:
    e = r.entry
    return pb.Fill(
        fill_id=e.entry_id,
        bot_id=e.bot_id,
        exchange=e.exchange,
        symbol=e.symbol,
        side=trading_pb2.Side.Value(f"SIDE_{e.side}"),
        amount=_s(e.amount),
        price=_s(e.price),
        fee=_s(e.fee),
        fee_currency=e.fee_currency,
        fee_quote=_s(e.fee_quote),
        executed_at=_ts(e.at),
        order_id=e.order_id,
        source=pb.FillSource.Value(f"FILL_SOURCE_{e.source}"),
        sequence=r.sequence,
        hash=r.hash,
        realized_pnl=_s(r.derived.realized_pnl),
        net_pnl=_s(r.derived.net_pnl),
        recorded_at=_ts(r.recorded_at),
    )


def event_out(r: Recorded) -> pb.LedgerEvent:
    e = r.entry
    return pb.LedgerEvent(
        event_id=e.entry_id,
        type=pb.LedgerEventType.Value(f"LEDGER_EVENT_TYPE_{e.event_type}"),
        amount=_s(e.amount),
        currency=e.currency,
        bot_id=e.bot_id,
        description=e.description,
        occurred_at=_ts(e.at),
        corrects=e.corrects,
        sequence=r.sequence,
        hash=r.hash,
        recorded_at=_ts(r.recorded_at),
    )


def audit_out(r: Recorded) -> pb.AuditEntry:
    item = pb.AuditEntry(
        sequence=r.sequence,
        entry_id=r.entry.entry_id,
        prev_hash=r.prev_hash,
        hash=r.hash,
        canonical=r.canonical,
        recorded_at=_ts(r.recorded_at),
    )
    if r.entry.kind == FILL:
        item.fill.CopyFrom(fill_out(r))
    else:
        item.event.CopyFrom(event_out(r))
    return item


def marks_in(items, field: str = "marks") -> dict:
    marks = {}
    for item in items:
        for pair in item.split(","):
            if not pair.strip():
                continue
            sym, sep, price = pair.partition("=")
            if not sep:
                raise invalid(field, f"{pair!r} is not SYMBOL=PRICE")
            marks[v.symbol(sym, field)] = v.decimal(price, field, positive=True)
    return marks
