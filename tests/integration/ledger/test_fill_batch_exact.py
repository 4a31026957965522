"""RecordFillBatch stores exactly what RecordFill stores: awkward decimals and times, fees in
the base and in a third currency, a user with many fills, many users, compared entry by entry
and figure by figure with a second ledger fed the same fills one call at a time."""

from __future__ import annotations

from datetime import timedelta
from itertools import zip_longest

from amarktai.ledger.v1 import ledger_pb2 as pb
from tests.conftest import drop_database, make_database
from tests.integration.ledger.conftest import serve_ledger
from tests.integration.ledger.helpers import (
    BUY,
    FUNDING,
    SELL,
    audit_all,
    event,
    fill,
    fill_item,
    record_event,
    summary,
    utc,
    verify,
)

PAPER = pb.FILL_SOURCE_PAPER
T = utc(2026, 3, 9, 23, 59, 59)


def _fills() -> list[tuple[str, pb.Fill, tuple[str, ...] | None]]:
    """(user, fill, risk marks or None): 70 fills of "many", and 12 of each of six others,
    interleaved; buys and sells that close and flip positions, across two days and months."""
    out = []
    for n in range(70):
        at = T + timedelta(microseconds=123457 * n, hours=n % 3)
        side = BUY if n % 5 < 3 else SELL
        f = fill(f"m{n}", side, f"0.{n + 1:03d}000000000000001", f"{20000 + n}.123456789", "0",
                 source=PAPER, bot_id=f"bot{n % 2}", at=at)  # fmt: skip
        if n % 7 == 0:  # a fee in the base currency
            f.fee, f.fee_currency = "0.0000001", "BTC"
        elif n % 7 == 1:  # in a third currency, with its quote value
            f.fee, f.fee_currency, f.fee_quote = "0.00031", "BNB", "0.187777777777777777"
        else:
            f.fee = "0.0123456789"
        risk = n % 4 == 0 or n == 69  # (the last with figures: those of now)
        out.append(("many", f, ("BTC/USDT=20010.5",) if risk else None))
    for n in range(12):
        for u in range(6):
            side = SELL if (n + u) % 3 == 2 else BUY
            at = utc(2026, 2, 28, 23) + timedelta(hours=n)  # across the month's end
            symbol = "ETH/EUR" if u % 2 else "ETH/USDT"
            f = fill(f"u{u}-{n}", side, "1.5", f"{99 + n}.5", "0.015", source=PAPER,
                     symbol=symbol, bot_id=f"b{n % 3}", at=at)  # fmt: skip
            out.append((f"user{u}", f, ("ETH/EUR=101",) if u % 2 else ()))
    # interleave: many's fills spread among the others'
    return [x for pair in zip_longest(out[:70], out[70:]) for x in pair if x]


async def _fund(h):
    await record_event(h, h.service_for("many"), event("fund", FUNDING, "100000", at=T))
    for u in range(0, 6, 2):
        await record_event(h, h.service_for(f"user{u}"), event("fund", FUNDING, "1000", at=T))


async def test_a_large_batch_stores_exactly_what_one_by_one_stores(
    ledger, dialect, tmp_path, clock
):
    fills = _fills()
    assert len(fills) == 70 + 72
    await _fund(ledger)
    items = [fill_item(ledger, u, f, *(m or ()), risk=m is not None) for u, f, m in fills]
    resp = await ledger.stub.RecordFillBatch(
        pb.RecordFillBatchRequest(items=items), metadata=ledger.service_for("orders")
    )
    assert all(r.WhichOneof("outcome") == "response" for r in resp.results)
    batch = [r.response for r in resp.results]
    db = make_database(dialect, tmp_path, "ref")
    try:
        async with serve_ledger(db, clock) as ref:
            await _fund(ref)
            alone = [
                await ref.stub.RecordFill(item.request, metadata=ref.service_for(u))
                for (u, _, _), item in zip(fills, items, strict=True)
            ]
            assert batch == alone
            users = ["many"] + [f"user{u}" for u in range(6)]
            for user in users:
                md = ledger.user(user)
                assert await audit_all(ledger, md) == await audit_all(ref, md)
                for bot in ("", "bot0", "bot1", "b0", "b1", "b2"):
                    for marks in ((), ("BTC/USDT=20001", "ETH/USDT=100.25")):
                        assert await summary(ledger, md, bot, marks) == await summary(
                            ref, md, bot, marks
                        )
                for period in (pb.PROFIT_PERIOD_DAILY, pb.PROFIT_PERIOD_MONTHLY):
                    for currency in ("USDT", "EUR"):
                        req = pb.GetProfitsRequest(period=period, currency=currency)
                        assert await ledger.stub.GetProfits(req, metadata=md) == (
                            await ref.stub.GetProfits(req, metadata=md)
                        )
                v = await verify(ledger, md)
                assert v.ok, (user, v.problems)
    finally:
        drop_database(db)
    # the figures the last fill answered are those of now
    last = batch[[f.fill_id for _, f, _ in fills].index("m69")]
    req = pb.GetRiskMetricsRequest(
        bot_id=last.fill.bot_id, marks=["BTC/USDT=20010.5"], include_account=True
    )
    assert last.risk == await ledger.stub.GetRiskMetrics(req, metadata=ledger.service_for("many"))
