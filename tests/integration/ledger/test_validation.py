"""Bad input: INVALID_ARGUMENT whose BadRequest names the field, and nothing changes."""

from __future__ import annotations

import grpc
import pytest

from amarktai.ledger.v1 import ledger_pb2 as pb
from tests.integration.ledger.helpers import (
    ADJUSTMENT,
    ALLOCATION,
    BUY,
    FUNDING,
    SELL,
    TRANSFER,
    audit_all,
    event,
    fill,
    record,
    record_event,
    summary,
    utc,
    violations,
)


def _fill(**changes) -> pb.RecordFillRequest:
    f = fill("new", BUY, "1", "100", "0.1")
    for name, value in changes.items():
        setattr(f, name, value)
    return pb.RecordFillRequest(fill=f)


def _event(**changes) -> pb.RecordEventRequest:
    e = event("new-ev", FUNDING, "100")
    for name, value in changes.items():
        setattr(e, name, value)
    return pb.RecordEventRequest(event=e)


_OLD = utc(1999, 12, 31)  # before the accepted range (2000 to 2200)

CASES = [
    ("RecordFill", _fill(amount="-1"), "amount"),
    ("RecordFill", _fill(amount="0"), "amount"),
    ("RecordFill", _fill(amount="one"), "amount"),
    ("RecordFill", _fill(amount=""), "amount"),
    ("RecordFill", _fill(price="NaN"), "price"),
    ("RecordFill", _fill(price="1e999"), "price"),
    ("RecordFill", _fill(price="Infinity"), "price"),
    ("RecordFill", _fill(symbol="BTCUSDT"), "symbol"),
    ("RecordFill", _fill(symbol="BTC/USDT/X"), "symbol"),
    ("RecordFill", _fill(side=99), "side"),
    ("RecordFill", _fill(side=0), "side"),
    ("RecordFill", _fill(fill_id=""), "fill_id"),
    ("RecordFill", _fill(fill_id="has space"), "fill_id"),
    ("RecordFill", _fill(fee_currency="not-a-coin"), "fee_currency"),
    ("RecordFill", _fill(fee="-0.1"), "fee"),
    ("RecordFill", _fill(fee="NaN"), "fee"),
    # a base-currency fee as large as the amount bought would leave nothing
    ("RecordFill", _fill(fee="1", fee_currency="BTC"), "fee"),
    ("RecordFill", _fill(source=99), "source"),
    ("RecordFill", _fill(exchange=""), "exchange"),
    ("RecordFill", _fill(executed_at=_OLD), "executed_at"),
    # longer than the 64-character columns: refused alike on SQLite and PostgreSQL
    ("RecordFill", _fill(bot_id="b" * 65), "bot_id"),
    ("RecordFill", _fill(exchange="x" * 65), "exchange"),
    ("RecordFill", _fill(fill_id="f" * 129), "fill_id"),
    ("RecordFill", pb.RecordFillRequest(), "fill"),
    ("RecordFills", pb.RecordFillsRequest(), "fills"),
    ("RecordFills", pb.RecordFillsRequest(fills=[fill("x", BUY, "1", "1")] * 1001), "fills"),
    (
        "RecordFills",
        pb.RecordFillsRequest(fills=[fill("ok", BUY, "1", "1"), fill("bad", SELL, "0", "1")]),
        "fills[1].amount",
    ),
    ("RecordEvent", _event(type=ADJUSTMENT, amount="-5"), "corrects"),
    ("RecordEvent", _event(type=ADJUSTMENT, amount="-5", corrects="no-such"), "corrects"),
    ("RecordEvent", _event(type=ADJUSTMENT, amount="0", corrects="seed"), "amount"),
    ("RecordEvent", _event(type=ALLOCATION), "bot_id"),
    ("RecordEvent", _event(type=ALLOCATION, bot_id="b" * 65), "bot_id"),
    ("RecordEvent", _event(type=TRANSFER), "bot_id"),
    ("RecordEvent", _event(amount="-5"), "amount"),
    ("RecordEvent", _event(amount="0"), "amount"),
    ("RecordEvent", _event(type=0), "type"),
    ("RecordEvent", _event(type=42), "type"),
    ("RecordEvent", _event(currency=""), "currency"),
    ("RecordEvent", _event(corrects="seed"), "corrects"),  # only an ADJUSTMENT corrects
    ("RecordEvent", _event(description="bell\x07"), "description"),
    ("RecordEvent", _event(event_id=""), "event_id"),
    ("RecordEvent", pb.RecordEventRequest(), "event"),
    (
        "RecordEvents",
        pb.RecordEventsRequest(
            events=[event("e1", FUNDING, "1"), event("e2", FUNDING, "1"), event("e3", 0, "1")]
        ),
        "events[2].type",
    ),
    ("ListFills", pb.ListFillsRequest(page_size=5000), "page_size"),
    ("ListFills", pb.ListFillsRequest(page_size=-1), "page_size"),
    ("ListFills", pb.ListFillsRequest(symbol="BTCUSDT"), "symbol"),
    ("GetAuditTrail", pb.GetAuditTrailRequest(page_size=5000), "page_size"),
    ("GetProfits", pb.GetProfitsRequest(), "period"),
    ("GetProfits", pb.GetProfitsRequest(period=9), "period"),
    ("GetCountdown", pb.GetCountdownRequest(), "target"),
    ("GetCountdown", pb.GetCountdownRequest(target="-1"), "target"),
    ("GetPortfolioSummary", pb.GetPortfolioSummaryRequest(marks=["BTC/USDT"]), "marks"),
    ("GetPortfolioSummary", pb.GetPortfolioSummaryRequest(marks=["BTC/USDT=NaN"]), "marks"),
    ("GetPortfolioSummary", pb.GetPortfolioSummaryRequest(currency="us$d"), "currency"),
    ("GetBotStats", pb.GetBotStatsRequest(), "bot_id"),
]


@pytest.mark.parametrize(
    ("method", "request_", "field"),
    CASES,
    ids=[f"{m}-{f}-{i}" for i, (m, _, f) in enumerate(CASES)],
)
async def test_bad_input_names_the_field_and_changes_nothing(ledger, method, request_, field):
    md = ledger.user("validator")
    await record_event(ledger, md, event("seed", FUNDING, "1000"))
    await record(ledger, md, fill("seed-fill", BUY, "1", "100"))
    trail, before = await audit_all(ledger, md), await summary(ledger, md)

    with pytest.raises(grpc.aio.AioRpcError) as err:
        await getattr(ledger.stub, method)(request_, metadata=md)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT, err.value.details()
    assert violations(err.value) == [field]
    assert field in err.value.details()

    assert await audit_all(ledger, md) == trail
    assert await summary(ledger, md) == before
