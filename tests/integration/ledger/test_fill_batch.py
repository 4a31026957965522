"""RecordFillBatch: the fills of several users in one call, each answered as its own RecordFill
(include_risk honoured per item) or with its own error, which changes nothing for the others."""

from __future__ import annotations

import grpc
import pytest

from amarktai.ledger.v1 import ledger_pb2 as pb
from tests.conftest import drop_database, make_database
from tests.integration.ledger.conftest import serve_ledger
from tests.integration.ledger.helpers import (
    BUY,
    FUNDING,
    GENESIS_HASH,
    SELL,
    audit_all,
    event,
    fill,
    fill_item,
    item_error,
    reason,
    record_event,
    summary,
    utc,
    verify,
)

PAPER = pb.FILL_SOURCE_PAPER
T = utc(2026, 3, 10, 9)


def _f(fill_id, side, amount, price, fee="0", **kw):
    return fill(fill_id, side, amount, price, fee, source=PAPER, at=T, **kw)


# alice (funded 1000) trades BTC with bot b1, bob (funded 500) ETH with no bot, carol (new)
# BTC with bot c1; the users' items interleaved
ITEMS = [
    ("alice", _f("a1", BUY, "10", "100", bot_id="b1"), ("BTC/USDT=80",)),
    ("bob", _f("b1", BUY, "2", "50", "0.1", symbol="ETH/USDT"), ()),
    ("carol", _f("c1", BUY, "1", "200", "0.2", bot_id="c1"), None),
    ("alice", _f("a2", SELL, "5", "90", bot_id="b1"), ("BTC/USDT=80",)),
    ("bob", _f("b2", SELL, "1", "60", "0.1", symbol="ETH/USDT"), ("ETH/USDT=55",)),
    ("carol", _f("c2", SELL, "1", "190", "0.2", bot_id="c1"), ()),
]  # (user, fill, risk marks; None: no include_risk)


def _items(h):
    return [
        fill_item(h, user, f, *(marks or ()), risk=marks is not None) for user, f, marks in ITEMS
    ]


async def _fund(h):
    await record_event(h, h.service_for("alice"), event("a-fund", FUNDING, "1000", at=T))
    await record_event(h, h.service_for("bob"), event("b-fund", FUNDING, "500", at=T))


def _risk(r: pb.GetRiskMetricsResponse) -> tuple:
    return (r.bot_id, r.equity, r.peak, r.drawdown, r.day_start_equity, r.daily_loss,
            r.consecutive_losses)  # fmt: skip


async def test_mixed_users_are_recorded_as_one_by_one(ledger, dialect, tmp_path, clock):
    await _fund(ledger)
    resp = await ledger.stub.RecordFillBatch(
        pb.RecordFillBatchRequest(items=_items(ledger)), metadata=ledger.service_for("orders")
    )
    out = [r.response for r in resp.results]
    assert all(r.WhichOneof("outcome") == "response" for r in resp.results)
    # each user's fills in the items' order, after their funding (carol: a new chain)
    assert [(r.fill.fill_id, r.fill.sequence, r.replayed) for r in out] == [
        ("a1", 2, False), ("b1", 2, False), ("c1", 1, False),
        ("a2", 3, False), ("b2", 3, False), ("c2", 2, False),
    ]  # fmt: skip
    # sold 5 of 10 bought at 100 for 90: -50; bob 1 of 2 at 50 for 60, fee 0.1 and half of
    # the buy's 0.1: 10 - 0.1 - 0.05; carol 1 at 200 for 190, fees 0.2 + 0.2: -10.4
    assert [(r.fill.realized_pnl, r.fill.net_pnl) for r in out] == [
        ("0", ""), ("0", ""), ("0", ""), ("-50", "-50"), ("10", "9.85"), ("-10", "-10.4"),
    ]  # fmt: skip
    assert [r.HasField("risk") for r in out] == [True, True, False, True, True, True]
    # the figures after each item's own fill. alice after a1, BTC marked at 80: 1000 +
    # 10 * (80 - 100) = 800 against a peak of 1000; her bot (no funding) -200, peak 0
    assert _risk(out[0].risk.account) == ("", "800", "1000", "0.2", "1000", "0.2", 0)
    assert _risk(out[0].risk) == ("b1", "-200", "0", "0", "0", "0", 0)
    # after a2: 1000 - 50 + 5 * (80 - 100) = 850, one losing trade; the bot -50 - 100
    assert _risk(out[3].risk.account) == ("", "850", "1000", "0.15", "1000", "0.15", 1)
    assert _risk(out[3].risk) == ("b1", "-150", "0", "0", "0", "0", 1)
    # bob after b1 (no marks): 500 - 0.1 fee = 499.9, drawdown 0.1 / 500; no bot: the
    # account's figures both
    assert _risk(out[1].risk) == _risk(out[1].risk.account)
    assert _risk(out[1].risk) == ("", "499.9", "500", "0.0002", "500", "0.0002", 0)
    # after b2: 500 + 10 - 0.2 = 509.8, and 1 ETH left from 50 marked at 55: 514.8, a peak
    assert _risk(out[4].risk) == ("", "514.8", "514.8", "0", "500", "0", 0)
    # carol after c2: -10.4, never above 0
    assert _risk(out[5].risk) == ("c1", "-10.4", "0", "0", "0", "0", 1)
    assert _risk(out[5].risk.account) == ("", "-10.4", "0", "0", "0", "0", 1)
    assert [out[2].fill.hash, out[2].fill.sequence] == [
        (await audit_all(ledger, ledger.user("carol")))[0].hash,
        1,
    ]
    assert (await audit_all(ledger, ledger.user("carol")))[0].prev_hash == GENESIS_HASH

    # a second ledger fed the same entries one call at a time gives the same answers,
    # chains and figures
    db = make_database(dialect, tmp_path, "ref")
    try:
        async with serve_ledger(db, clock) as ref:
            await _fund(ref)
            one_by_one = [
                await ref.stub.RecordFill(item.request, metadata=ref.service_for(user))
                for (user, _, _), item in zip(ITEMS, _items(ref), strict=True)
            ]
            assert out == one_by_one
            for user in ("alice", "bob", "carol"):
                md = ledger.user(user)
                assert await audit_all(ledger, md) == await audit_all(ref, md)
                assert await summary(ledger, md) == await summary(ref, md)
                v = await verify(ledger, md)
                assert v.ok, v.problems
    finally:
        drop_database(db)

    # and the figures each user's last item answered are GetRiskMetrics' right after
    for n in (3, 4, 5):
        user, f, marks = ITEMS[n]
        req = pb.GetRiskMetricsRequest(bot_id=f.bot_id, marks=list(marks), include_account=True)
        after = await ledger.stub.GetRiskMetrics(req, metadata=ledger.service_for(user))
        assert out[n].risk == after


async def test_an_items_error_changes_nothing_for_the_others(ledger):
    await _fund(ledger)
    await ledger.stub.RecordFill(
        pb.RecordFillRequest(fill=_f("a0", BUY, "1", "100")), metadata=ledger.service_for("alice")
    )
    bad_amount = _f("b1", BUY, "-1", "50")
    no_fill = pb.RecordFillBatchItem(
        service_token=ledger.service_token("bob"), request=pb.RecordFillRequest()
    )
    user_token = ledger.user("alice")[0][1].removeprefix("Bearer ")
    items = [
        fill_item(ledger, "alice", _f("a1", BUY, "2", "100")),  # 0: recorded
        fill_item(ledger, "bob", bad_amount),  # 1: bad input
        fill_item(ledger, "alice", _f("a0", BUY, "3", "100")),  # 2: a0 with other fields
        fill_item(ledger, "alice", _f("a9", BUY, "1", "1"), token=user_token),  # 3: end user's
        fill_item(ledger, "bob", _f("b2", BUY, "1", "1"), token="not-a-jwt"),  # 4
        no_fill,  # 5
        fill_item(ledger, "bob", _f("b3", BUY, "1", "50"), "ETH/USDT=x"),  # 6: bad marks
        fill_item(ledger, "dora", _f("d1", BUY, "1", "1", symbol="BTC/BTC")),  # 7: refused
        fill_item(ledger, "alice", _f("a2", SELL, "1", "110")),  # 8: recorded
        fill_item(ledger, "carol", _f("c1", BUY, "1", "10")),  # 9: recorded
    ]
    resp = await ledger.stub.RecordFillBatch(
        pb.RecordFillBatchRequest(items=items), metadata=ledger.service_for("orders")
    )
    r = resp.results
    assert len(r) == len(items)
    assert item_error(r[1]) == (
        "INVALID_ARGUMENT", "INVALID_ARGUMENT", ["items[1].request.fill.amount"]
    )  # fmt: skip
    assert item_error(r[2]) == ("ALREADY_EXISTS", "ENTRY_ID_REUSED", [])
    assert item_error(r[3]) == ("PERMISSION_DENIED", "SERVICE_TOKEN_REQUIRED", [])
    assert item_error(r[4])[0] == "UNAUTHENTICATED"
    assert item_error(r[5])[2] == ["items[5].request.fill"]
    assert item_error(r[6])[2] == ["items[6].request.risk_marks"]
    assert item_error(r[7])[::2] == ("INVALID_ARGUMENT", ["items[7].request.fill.symbol"])
    # the others: alice's a1 and a2 right after her funding and a0, carol's first entry
    got = [(x.response.fill.fill_id, x.response.fill.sequence) for x in (r[0], r[8], r[9])]
    assert got == [("a1", 3), ("a2", 4), ("c1", 1)]
    # alice: 3 bought at 100, 1 sold at 110: +10
    s = await summary(ledger, ledger.user("alice"))
    assert (s.realized_pnl, s.equity, s.last_sequence) == ("10", "1010", 4)
    assert [e.entry_id for e in await audit_all(ledger, ledger.user("alice"))] == [
        "a-fund", "a0", "a1", "a2",
    ]  # fmt: skip
    # nothing stored for the failed items: bob has his funding only, dora nothing
    assert [e.entry_id for e in await audit_all(ledger, ledger.user("bob"))] == ["b-fund"]
    assert await audit_all(ledger, ledger.user("dora")) == []
    d = await summary(ledger, ledger.user("dora"))
    assert (d.equity, d.last_sequence, list(d.positions)) == ("0", 0, [])
    for user in ("alice", "bob", "carol", "dora"):
        v = await verify(ledger, ledger.user(user))
        assert v.ok, (user, v.problems)
    # dora's fill as its own call is refused the same way
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await ledger.stub.RecordFill(items[7].request, metadata=ledger.service_for("dora"))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "symbol" in err.value.details()


async def test_the_call_needs_a_service_token_and_1_to_1000_items(ledger):
    one = [fill_item(ledger, "alice", _f("a1", BUY, "1", "100"))]
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await ledger.stub.RecordFillBatch(
            pb.RecordFillBatchRequest(items=one), metadata=ledger.user("alice")
        )
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert reason(err.value) == "SERVICE_TOKEN_REQUIRED"
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await ledger.stub.RecordFillBatch(pb.RecordFillBatchRequest(items=one))
    assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED
    md = ledger.service_for("orders")
    for n in (0, 1001):
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await ledger.stub.RecordFillBatch(pb.RecordFillBatchRequest(items=one * n), metadata=md)
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert "items" in err.value.details()
    assert await audit_all(ledger, ledger.user("alice")) == []
    # 1000 items: the same fill 1000 times, recorded once
    resp = await ledger.stub.RecordFillBatch(
        pb.RecordFillBatchRequest(items=one * 1000), metadata=md
    )
    assert [r.response.replayed for r in resp.results] == [False] + [True] * 999
    assert {r.response.fill.sequence for r in resp.results} == {1}


async def test_replays(ledger, clock):
    md = ledger.service_for("alice")
    await _fund(ledger)
    first = await ledger.stub.RecordFill(
        pb.RecordFillRequest(fill=_f("a1", BUY, "10", "100", bot_id="b1")), metadata=md
    )
    await ledger.stub.RecordFill(
        pb.RecordFillRequest(fill=_f("a2", BUY, "1", "100", bot_id="b2")), metadata=md
    )
    no_time = fill("a3", BUY, "1", "100", source=PAPER, bot_id="b1")  # time: the clock's
    items = [
        fill_item(ledger, "alice", _f("a1", BUY, "10", "100", bot_id="b1")),  # stored: replay
        fill_item(ledger, "alice", no_time, "BTC/USDT=90"),  # new
        fill_item(ledger, "alice", no_time),  # the same fill again in the batch: a replay
        fill_item(ledger, "alice", _f("a3", BUY, "2", "100", bot_id="b1")),  # a3, other fields
        # a stored fill of a bot the batch does not touch, with figures: as they are now
        fill_item(ledger, "alice", _f("a2", BUY, "1", "100", bot_id="b2"), "BTC/USDT=90"),
    ]
    resp = await ledger.stub.RecordFillBatch(pb.RecordFillBatchRequest(items=items), metadata=md)
    r = [x.response for x in resp.results]
    assert (r[0].replayed, r[0].fill) == (True, first.fill)
    assert (r[1].replayed, r[1].fill.sequence) == (False, 4)
    assert (r[2].replayed, r[2].fill) == (True, r[1].fill)
    assert not r[2].HasField("risk")
    assert item_error(resp.results[3])[:2] == ("ALREADY_EXISTS", "ENTRY_ID_REUSED")
    assert r[4].replayed and r[4].fill.sequence == 3
    # alice holds 12 BTC bought at 100, marked at 90: 1000 - 120 = 880; b2 holds 1: -10
    assert (r[1].risk.account.equity, r[1].risk.account.drawdown) == ("880", "0.12")
    assert (r[4].risk.bot_id, r[4].risk.equity, r[4].risk.account.equity) == ("b2", "-10", "880")
    for n, bot in ((1, "b1"), (4, "b2")):
        req = pb.GetRiskMetricsRequest(bot_id=bot, marks=["BTC/USDT=90"], include_account=True)
        assert r[n].risk == await ledger.stub.GetRiskMetrics(req, metadata=md)

    # the whole batch again, later: all replays (a3 still refused), nothing new
    clock.now = utc(2026, 3, 11)
    again = await ledger.stub.RecordFillBatch(pb.RecordFillBatchRequest(items=items), metadata=md)
    assert [x.WhichOneof("outcome") for x in again.results] == ["response"] * 3 + [
        "error", "response",
    ]  # fmt: skip
    kept = [x.response for n, x in enumerate(again.results) if n != 3]
    assert [(x.replayed, x.fill.sequence) for x in kept] == [(True, 2), (True, 4), (True, 4),
                                                             (True, 3)]  # fmt: skip
    assert kept[1].fill == r[1].fill  # the stored time and recording time, not the retry's
    assert len(await audit_all(ledger, md)) == 4
    assert (await verify(ledger, md)).ok


async def test_a_user_id_the_ledger_cannot_hold_is_the_items_error(ledger):
    items = [
        fill_item(ledger, "x" * 65, _f("x1", BUY, "1", "100")),
        fill_item(ledger, "alice", _f("a1", BUY, "1", "100")),
    ]
    resp = await ledger.stub.RecordFillBatch(
        pb.RecordFillBatchRequest(items=items), metadata=ledger.service_for("orders")
    )
    assert item_error(resp.results[0])[::2] == ("INVALID_ARGUMENT", ["items[0].service_token"])
    assert resp.results[1].response.fill.sequence == 1
