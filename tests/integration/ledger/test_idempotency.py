"""Every entry is recorded once by its id: replays return the original, other fields conflict."""

from __future__ import annotations

from datetime import UTC

import grpc
import pytest

from amarktai.ledger.v1 import ledger_pb2 as pb
from tests.integration.ledger.helpers import (
    ADJUSTMENT,
    BUY,
    FUNDING,
    SELL,
    WITHDRAWAL,
    audit_all,
    event,
    fill,
    reason,
    record,
    record_event,
    summary,
    utc,
    verify,
)


async def test_fill_replay_returns_the_original(ledger, clock):
    md = ledger.user("replay")
    await record_event(ledger, md, event("fund", FUNDING, "1000"))
    buy = fill("f1", BUY, "2", "100", "0.2", at=utc(2026, 3, 1, 9))
    [first] = await record(ledger, md, buy)
    before = await summary(ledger, md)

    clock.now = utc(2026, 3, 11)  # a retry a day later
    [again] = await record(ledger, md, buy)
    assert (first.replayed, again.replayed) == (False, True)
    assert again.fill.sequence == first.fill.sequence == 2
    assert again.fill.hash == first.fill.hash
    assert again.fill.recorded_at == first.fill.recorded_at  # the original's, not the retry's
    assert await summary(ledger, md) == before
    assert len(await audit_all(ledger, md)) == 2


async def test_retry_without_time_matches_the_stored_time(ledger, clock):
    md = ledger.user("notime")
    [first] = await record(ledger, md, fill("f1", BUY, "1", "100"))  # executed_at: the clock's
    clock.now = utc(2026, 3, 10, 12, 5)
    [again] = await record(ledger, md, fill("f1", BUY, "1", "100"))
    assert again.replayed
    assert again.fill.executed_at == first.fill.executed_at
    assert first.fill.executed_at.ToDatetime(tzinfo=UTC) == utc(2026, 3, 10, 12)  # first call's
    # but an explicit, different time is another fill
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await record(ledger, md, fill("f1", BUY, "1", "100", at=utc(2026, 3, 10, 12, 5)))
    assert err.value.code() == grpc.StatusCode.ALREADY_EXISTS


@pytest.mark.parametrize(
    "changed",
    [
        fill("f1", BUY, "2", "101", "0.2", at=utc(2026, 3, 1, 9)),  # price
        fill("f1", SELL, "2", "100", "0.2", at=utc(2026, 3, 1, 9)),  # side
        fill("f1", BUY, "2", "100", "0.3", at=utc(2026, 3, 1, 9)),  # fee
        fill("f1", BUY, "2", "100", "0.2", at=utc(2026, 3, 1, 9), bot_id="other"),
        fill("f1", BUY, "2", "100", "0.2", at=utc(2026, 3, 1, 9), symbol="ETH/USDT"),
    ],
)
async def test_fill_id_reused_with_other_fields(ledger, changed):
    md = ledger.user("conflict")
    await record(ledger, md, fill("f1", BUY, "2", "100", "0.2", at=utc(2026, 3, 1, 9)))
    before = await summary(ledger, md)
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await record(ledger, md, changed)
    assert err.value.code() == grpc.StatusCode.ALREADY_EXISTS
    assert reason(err.value) == "ENTRY_ID_REUSED"
    assert await summary(ledger, md) == before


async def test_same_spelling_of_a_number_is_the_same_fill(ledger):
    md = ledger.user("spelling")
    [first] = await record(ledger, md, fill("f1", BUY, "2", "100", at=utc(2026, 3, 1)))
    # "2.0" and "100.00" are the same numbers: a replay, not a conflict
    [again] = await record(ledger, md, fill("f1", BUY, "2.0", "100.00", at=utc(2026, 3, 1)))
    assert again.replayed and again.fill.hash == first.fill.hash


async def test_event_replay_and_conflict(ledger):
    md = ledger.user("events")
    ev = event("dep", FUNDING, "500", at=utc(2026, 3, 1), description="first deposit")
    first = await record_event(ledger, md, ev)
    again = await record_event(ledger, md, ev)
    assert (first.replayed, again.replayed) == (False, True)
    assert (again.event.sequence, again.event.hash) == (first.event.sequence, first.event.hash)
    for changed in (
        event("dep", FUNDING, "501", at=utc(2026, 3, 1), description="first deposit"),
        event("dep", WITHDRAWAL, "500", at=utc(2026, 3, 1), description="first deposit"),
        event("dep", FUNDING, "500", at=utc(2026, 3, 1), description="another text"),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await record_event(ledger, md, changed)
        assert err.value.code() == grpc.StatusCode.ALREADY_EXISTS
    # a fill may not take an event's id either
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await record(ledger, md, fill("dep", BUY, "1", "100"))
    assert err.value.code() == grpc.StatusCode.ALREADY_EXISTS
    s = await summary(ledger, md)
    assert (s.net_funding, s.last_sequence) == ("500", 1)


async def test_event_retry_without_time_matches(ledger, clock):
    md = ledger.user("evtime")
    first = await record_event(ledger, md, event("dep", FUNDING, "10"))  # at the clock's time
    clock.now = utc(2026, 3, 12)
    again = await record_event(ledger, md, event("dep", FUNDING, "10"))
    assert again.replayed
    assert again.event.occurred_at == first.event.occurred_at
    assert again.event.occurred_at.ToDatetime(tzinfo=UTC) == utc(2026, 3, 10, 12)


async def test_batches_with_replays_inside(ledger):
    md = ledger.user("batch")
    await record(ledger, md, fill("a", BUY, "1", "100", at=utc(2026, 3, 1)))
    resp = await ledger.stub.RecordFills(
        pb.RecordFillsRequest(
            fills=[
                fill("b", BUY, "1", "110", at=utc(2026, 3, 2)),
                fill("a", BUY, "1", "100", at=utc(2026, 3, 1)),  # recorded before
                fill("c", SELL, "2", "120", at=utc(2026, 3, 3)),
                fill("b", BUY, "1", "110", at=utc(2026, 3, 2)),  # earlier in this batch
            ]
        ),
        metadata=md,
    )
    got = [(r.fill.fill_id, r.fill.sequence, r.replayed) for r in resp.results]
    assert got == [("b", 2, False), ("a", 1, True), ("c", 3, False), ("b", 2, True)]
    # c closes a (20) and b (10)
    assert resp.results[2].fill.realized_pnl == "30"

    # the whole batch again: all replays, nothing changes
    before = await summary(ledger, md)
    again = await ledger.stub.RecordFills(
        pb.RecordFillsRequest(fills=[fill("c", SELL, "2", "120", at=utc(2026, 3, 3))]),
        metadata=md,
    )
    assert again.results[0].replayed and again.results[0].fill.sequence == 3
    assert await summary(ledger, md) == before

    # a conflict anywhere in a batch refuses the whole batch
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await ledger.stub.RecordFills(
            pb.RecordFillsRequest(
                fills=[
                    fill("d", BUY, "1", "100", at=utc(2026, 3, 4)),
                    fill("a", BUY, "9", "100", at=utc(2026, 3, 1)),
                ]
            ),
            metadata=md,
        )
    assert err.value.code() == grpc.StatusCode.ALREADY_EXISTS
    assert [e.entry_id for e in await audit_all(ledger, md)] == ["a", "b", "c"]
    assert (await verify(ledger, md)).ok


async def test_event_batches_and_adjustments(ledger):
    md = ledger.user("evbatch")
    resp = await ledger.stub.RecordEvents(
        pb.RecordEventsRequest(
            events=[
                event("e1", FUNDING, "1000"),
                # corrects an entry of the same batch: the deposit was 100 too much
                event("e2", ADJUSTMENT, "-100", corrects="e1"),
                event("e1", FUNDING, "1000"),
            ]
        ),
        metadata=md,
    )
    got = [(r.event.event_id, r.event.sequence, r.replayed) for r in resp.results]
    assert got == [("e1", 1, False), ("e2", 2, False), ("e1", 1, True)]
    again = await record_event(ledger, md, event("e2", ADJUSTMENT, "-100", corrects="e1"))
    assert again.replayed
    s = await summary(ledger, md)
    assert (s.net_funding, s.equity) == ("900", "900")  # 1000 - 100
    assert (await verify(ledger, md)).ok


@pytest.mark.parametrize("size", [3, 60], ids=["insert", "copy"])
async def test_a_batch_naming_one_id_twice_with_other_fields_records_nothing(ledger, size):
    """60 fills go to PostgreSQL by COPY, 3 by INSERT: either way the conflict, found after
    the rows were written, leaves the ledger as it was."""
    md = ledger.user(f"twice-{size}")
    await record(ledger, md, fill("first", BUY, "1", "100"))
    before = await summary(ledger, md)
    batch = [fill(f"f{i}", BUY, "1", "100") for i in range(size - 1)]
    batch.append(fill("f0", BUY, "2", "100"))  # f0 again, another amount
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await ledger.stub.RecordFills(pb.RecordFillsRequest(fills=batch), metadata=md)
    assert err.value.code() == grpc.StatusCode.ALREADY_EXISTS
    assert [e.entry_id for e in await audit_all(ledger, md)] == ["first"]
    assert await summary(ledger, md) == before
    # the same batch without the conflict is recorded whole, in order
    resp = await ledger.stub.RecordFills(pb.RecordFillsRequest(fills=batch[:-1]), metadata=md)
    assert [r.fill.sequence for r in resp.results] == list(range(2, size + 1))
    assert (await verify(ledger, md)).ok


async def test_a_streamed_batch_with_stored_ids_replays_them_and_records_the_rest(ledger):
    """60 fills (recorded by COPY, without a look-up first): two of them are stored already;
    they come back as replays with their first sequence, the others are recorded after."""
    md = ledger.user("streamed")
    first = await ledger.stub.RecordFills(
        pb.RecordFillsRequest(fills=[fill("s5", BUY, "1", "100"), fill("s7", BUY, "2", "100")]),
        metadata=md,
    )
    assert [r.fill.sequence for r in first.results] == [1, 2]
    batch = [fill(f"s{i}", BUY, "2" if i == 7 else "1", "100") for i in range(60)]
    resp = await ledger.stub.RecordFills(pb.RecordFillsRequest(fills=batch), metadata=md)
    got = [(r.fill.fill_id, r.fill.sequence, r.replayed) for r in resp.results]
    expected, seq = [], 2
    for i in range(60):
        if i in (5, 7):
            expected.append((f"s{i}", 1 if i == 5 else 2, True))
        else:
            seq += 1
            expected.append((f"s{i}", seq, False))
    assert got == expected
    assert len(await audit_all(ledger, md)) == 60
    # 60 bought at 100 (s7 bought 2): a position of 61
    assert (await summary(ledger, md)).positions[0].amount == "61"
    assert (await verify(ledger, md)).ok

    # the same batch with s7 changed: refused whole, nothing recorded
    batch[7] = fill("s7", BUY, "3", "100")
    batch.append(fill("new", BUY, "1", "100"))
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await ledger.stub.RecordFills(pb.RecordFillsRequest(fills=batch), metadata=md)
    assert err.value.code() == grpc.StatusCode.ALREADY_EXISTS
    assert len(await audit_all(ledger, md)) == 60
