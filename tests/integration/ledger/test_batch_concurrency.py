"""RecordFillBatch under contention: two ledger replicas on one PostgreSQL recording batches of
the same users at once, the users in opposite orders, complete without a deadlock, each fill
recorded once, every chain gapless and verifying."""

from __future__ import annotations

import asyncio

from amarktai.ledger.v1 import ledger_pb2 as pb
from services.common.db import Database
from tests.conftest import drop_database, make_database
from tests.integration.ledger.conftest import serve_ledger
from tests.integration.ledger.helpers import BUY, D, audit_all, fill, fill_item, positions, summary

USERS = [f"u{i}" for i in range(8)]
ROUNDS = 12


async def test_overlapping_batches_in_opposite_orders_on_two_replicas(tmp_path, clock):
    db = make_database("postgresql", tmp_path, "batch")  # skips when PostgreSQL is absent
    replica = Database(db.url, db.schema)  # a second engine, as a second process would have
    try:
        async with serve_ledger(db, clock) as one, serve_ledger(replica, clock) as two:

            def batch(h, tag: str, users: list[str], r: int):
                items = [
                    fill_item(
                        h,
                        u,
                        fill(f"{tag}{r}-{u}", BUY, "1", "100", source=pb.FILL_SOURCE_PAPER),
                        "BTC/USDT=90",
                    )
                    for u in users
                ]
                # and a fill sent in both replicas' batches of this round: recorded once
                items.append(fill_item(h, "u3", fill(f"both{r}", BUY, "2", "100",
                                                     source=pb.FILL_SOURCE_PAPER)))  # fmt: skip
                req = pb.RecordFillBatchRequest(items=items)
                return h.stub.RecordFillBatch(req, metadata=h.service_for("orders"))

            calls = []
            for r in range(ROUNDS):
                calls.append(batch(one, "A", USERS, r))
                calls.append(batch(two, "B", USERS[::-1], r))
            results = await asyncio.gather(*calls, return_exceptions=True)  # all ended
            assert [r for r in results if isinstance(r, BaseException)] == []

            outcomes = [x for resp in results for x in resp.results]
            assert all(x.WhichOneof("outcome") == "response" for x in outcomes)
            fresh = [x.response.fill.fill_id for x in outcomes if not x.response.replayed]
            # every fill once: 2 batches of 8 users a round, and each round's shared fill
            assert len(fresh) == len(set(fresh)) == ROUNDS * (2 * 8 + 1)
            for u in USERS:
                md = one.user(u)
                trail = await audit_all(one, md)
                extra = ROUNDS if u == "u3" else 0
                assert [e.sequence for e in trail] == list(range(1, 2 * ROUNDS + extra + 1))
                for h in (one, two):
                    v = await h.stub.Verify(pb.VerifyRequest(), metadata=md)
                    assert (v.ok, v.entries_checked) == (True, 2 * ROUNDS + extra), v.problems
                # one BTC a fill (two for the shared ones), all at 100
                held, after = D(0), {}  # BTC held after each sequence
                for e in trail:
                    held += D(e.fill.amount)
                    after[e.sequence] = held
                assert held == 2 * ROUNDS + 2 * extra
                assert positions(await summary(two, md)) == {("", "BTC/USDT"): (held, D(100))}
                # each fill's figures are those right after it: marked at 90, 10 below cost
                # on each BTC held then (nothing funded)
                for x in outcomes:
                    f = x.response.fill
                    if f.fill_id.endswith(f"-{u}") and not x.response.replayed:
                        assert x.response.risk.account.equity == str(-after[f.sequence] * 10)
    finally:
        replica.dispose()
        drop_database(db)
