"""Protobuf messages to the bots service's records (validated) and back."""

from __future__ import annotations

from datetime import datetime

from google.protobuf.timestamp_pb2 import Timestamp

from amarktai.bots.v1 import bots_pb2 as pb
from services.bots.domain import BotSpec, Criterion, State, validate_spec
from services.bots.model import Bot, BotEvent
from services.common import validate as v
from services.common.db import decimal_text
from services.common.errors import AppError

MAX_REASON = 500
DOMAIN = "bots"  # the ErrorInfo domain of this service's errors


def ts(dt: datetime) -> Timestamp:
    t = Timestamp()
    t.FromDatetime(dt)
    return t


def state_out(state: State | None) -> int:
    return pb.BOT_STATE_UNSPECIFIED if state is None else pb.BotState.Value(f"BOT_STATE_{state}")


def spec_in(req: pb.CreateBotRequest) -> BotSpec:
    return validate_spec(
        name=req.name,
        exchange=req.exchange,
        symbol=req.symbol,
        strategy=req.strategy,
        params=dict(req.params),
        allocated_capital=req.allocated_capital,
        interval_seconds=req.interval_seconds,
    )


def bot_id_in(value: str, field: str = "id", *, required: bool = True) -> str:
    return v.identifier(value, field, required=required)


def reason_in(value: str) -> str:
    return v.text(value.strip(), "reason", MAX_REASON)


def bot_out(b: Bot) -> pb.Bot:
    return pb.Bot(
        id=b.id,
        name=b.name,
        exchange=b.exchange,
        symbol=b.symbol,
        strategy=b.strategy,
        params=b.params,
        allocated_capital=decimal_text(b.allocated_capital),
        mode=pb.BotMode.Value(f"BOT_MODE_{b.mode}"),
        state=state_out(b.state),
        state_reason=b.state_reason,
        created_at=ts(b.created_at),
        updated_at=ts(b.updated_at),
        interval_seconds=b.interval_seconds,
    )


def batch_result_out(outcome: Bot | AppError) -> pb.GetBotBatchResult:
    """One item of GetBotBatch: its GetBot answer, or the error its GetBot would have given."""
    if isinstance(outcome, AppError):
        return pb.GetBotBatchResult(error=outcome.to_status(DOMAIN))
    return pb.GetBotBatchResult(response=pb.GetBotResponse(bot=bot_out(outcome)))


def event_out(e: BotEvent) -> pb.BotEvent:
    return pb.BotEvent(
        sequence=e.sequence,
        bot_id=e.bot_id,
        from_state=state_out(e.from_state),
        to_state=state_out(e.to_state),
        reason=e.reason,
        at=ts(e.at),
    )


def criterion_out(c: Criterion) -> pb.PromotionCriterion:
    return pb.PromotionCriterion(name=c.name, met=c.met, value=c.value, requirement=c.requirement)
