"""Who sees what: each user only their own entries; tokens required; sources reserved."""

from __future__ import annotations

import grpc
import pytest

from amarktai.ledger.v1 import ledger_pb2 as pb
from services.common.auth import issue_user_token
from tests.integration.ledger.helpers import (
    ADJUSTMENT,
    BUY,
    FUNDING,
    SELL,
    audit_all,
    event,
    fill,
    reason,
    record,
    record_event,
    summary,
    verify,
    violations,
)


async def _a_records(ledger):
    md = ledger.user("user-a")
    await record_event(ledger, md, event("dep", FUNDING, "1000", bot_id="bot-1"))
    await record(
        ledger,
        md,
        fill("f1", BUY, "1", "100", bot_id="bot-1"),
        fill("f2", SELL, "1", "110", bot_id="bot-1"),
    )
    return md


async def test_another_user_sees_nothing(ledger):
    await _a_records(ledger)
    b = ledger.user("user-b")
    fills = await ledger.stub.ListFills(pb.ListFillsRequest(), metadata=b)
    assert list(fills.items) == []
    assert await audit_all(ledger, b) == []
    s = await summary(ledger, b)
    assert (s.equity, s.net_funding, s.realized_pnl, s.trades, s.last_sequence) == (
        "0",
        "0",
        "0",
        0,
        0,
    )
    assert list(s.positions) == []
    s = await summary(ledger, b, bot_id="bot-1")
    assert (s.equity, s.trades) == ("0", 0)
    for period in (pb.PROFIT_PERIOD_DAILY, pb.PROFIT_PERIOD_MONTHLY):
        p = await ledger.stub.GetProfits(pb.GetProfitsRequest(period=period), metadata=b)
        assert list(p.buckets) == []
    st = await ledger.stub.GetBotStats(pb.GetBotStatsRequest(bot_id="bot-1"), metadata=b)
    assert (st.trades, st.net_pnl, st.equity, st.HasField("first_trade_at")) == (0, "0", "0", False)
    c = await ledger.stub.GetCountdown(pb.GetCountdownRequest(target="100"), metadata=b)
    assert (c.current_equity, c.reached) == ("0", False)
    v = await verify(ledger, b)
    assert (v.ok, v.entries_checked) == (True, 0)


async def test_ids_are_per_user(ledger):
    a = await _a_records(ledger)
    b = ledger.user("user-b")
    # the same fill id with other fields: B's own new fill, not A's conflict
    [mine] = await record(ledger, b, fill("f1", BUY, "3", "50"))
    assert (mine.replayed, mine.fill.sequence) == (False, 1)
    # an adjustment cannot correct A's entry: to B it does not exist
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await record_event(ledger, b, event("adj", ADJUSTMENT, "5", corrects="dep"))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert violations(err.value) == ["corrects"]

    sa, sb = await summary(ledger, a), await summary(ledger, b)
    assert (sa.equity, sa.last_sequence) == ("1010", 3)  # 1000 + 10, untouched by B
    assert (sb.equity, sb.last_sequence) == ("0", 1)
    a_fills = await ledger.stub.ListFills(pb.ListFillsRequest(), metadata=a)
    assert [f.fill_id for f in a_fills.items] == ["f2", "f1"]
    assert (await verify(ledger, a)).ok and (await verify(ledger, b)).ok


@pytest.mark.parametrize(
    "metadata",
    [
        (),
        (("authorization", "Bearer not-a-jwt"),),
        (("authorization", f"Bearer {issue_user_token('y' * 40, 'user-a')[0]}"),),  # other key
    ],
    ids=["no-token", "garbage", "wrong-key"],
)
async def test_no_valid_token_is_unauthenticated(ledger, metadata):
    for call in (
        ledger.stub.RecordFill(
            pb.RecordFillRequest(fill=fill("x", BUY, "1", "1")), metadata=metadata
        ),
        ledger.stub.ListFills(pb.ListFillsRequest(), metadata=metadata),
        ledger.stub.Verify(pb.VerifyRequest(), metadata=metadata),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await call
        assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED


async def test_only_services_record_paper_and_live_fills(ledger):
    user = ledger.user("user-a")
    for source in (pb.FILL_SOURCE_PAPER, pb.FILL_SOURCE_LIVE):
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await record(ledger, user, fill("p", BUY, "1", "100", source=source))
        assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED
        assert reason(err.value) == "SOURCE_RESERVED"
    assert await audit_all(ledger, user) == []

    # a user's fill is MANUAL, said or not
    [manual] = await record(ledger, user, fill("m", BUY, "1", "100"))
    assert manual.fill.source == pb.FILL_SOURCE_MANUAL
    # the orders service, acting for the user, records a paper fill into the user's ledger
    svc = ledger.service_for("user-a")
    [paper] = await record(ledger, svc, fill("p", BUY, "1", "100", source=pb.FILL_SOURCE_PAPER))
    assert (paper.fill.source, paper.fill.sequence) == (pb.FILL_SOURCE_PAPER, 2)
    fills = await ledger.stub.ListFills(pb.ListFillsRequest(), metadata=user)
    assert [f.fill_id for f in fills.items] == ["p", "m"]
