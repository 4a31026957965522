"""Ledger benchmarks on PostgreSQL (issue: foundation and ledger).

1. Record N fills (BENCH_LEDGER_FILLS, default 100,000) in batches of 1,000 through the
   ledger's record use case: fills/s, beside a baseline measured in the same run: a plain
   batched INSERT of the same rows (same columns) into a bare table with no constraints.
2. Summary read latency p50/p99 (the use case behind GET /api/portfolio/summary) once
   BENCH_LEDGER_BIG (default 1,000,000) fills are stored.
3. Full verification (hash chain + every figure recomputed) of those fills.
"""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import MetaData, Table

from bench.common import Report, drop, env_int, fresh_pg, percentiles, timed
from services.ledger.model import EVENT, FILL, Entry
from services.ledger.schema import MIGRATIONS, entries
from services.ledger.service import LedgerService, NewEntry

BATCH = 1000
USER = "bench-user"


def make_fills(n: int, start_index: int = 0, seed: int = 7) -> list[NewEntry]:
    rng = random.Random(seed + start_index)
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    price = {s: Decimal(p) for s, p in (("BTC/USDT", "60000"), ("ETH/USDT", "3000"))}
    out = []
    for i in range(start_index, start_index + n):
        sym = "BTC/USDT" if i % 3 else "ETH/USDT"
        price[sym] = (price[sym] * Decimal(1 + rng.uniform(-0.002, 0.002))).quantize(
            Decimal("0.01")
        )
        amount = Decimal(rng.randint(1, 100)) / 1000
        fee = (amount * price[sym] * Decimal("0.001")).quantize(Decimal("0.00000001"))
        e = Entry(
            kind=FILL,
            entry_id=f"fill-{i}",
            user_id=USER,
            bot_id=f"bot-{i % 4}",
            at=t0 + timedelta(seconds=30 * i),
            amount=amount,
            currency="USDT",
            exchange="binance",
            symbol=sym,
            side="BUY" if rng.random() < 0.5 else "SELL",
            price=price[sym],
            fee=fee,
            fee_currency="USDT",
            source="PAPER",
        )
        out.append(NewEntry(e))
    return out


def funding() -> NewEntry:
    return NewEntry(
        Entry(
            kind=EVENT,
            entry_id="fund-1",
            user_id=USER,
            bot_id="",
            at=datetime(2025, 12, 31, tzinfo=UTC),
            amount=Decimal("1000000"),
            currency="USDT",
            event_type="FUNDING",
        )
    )


def _baseline(db, fills: list[NewEntry]) -> float:
    """Plain batched INSERT of the same rows (same columns) into a bare table: no keys."""
    bare = Table("bare", MetaData(), *[c._copy() for c in entries.c if c.name != "id"])
    with db.write() as conn:
        bare.create(conn)
    rows = [
        {c.name: None for c in bare.c}
        | {
            "user_id": USER,
            "sequence": i + 1,
            "entry_id": f.entry.entry_id,
            "kind": "fill",
            "bot_id": f.entry.bot_id,
            "at": f.entry.at,
            "recorded_at": f.entry.at,
            "exchange": "binance",
            "symbol": f.entry.symbol,
            "side": f.entry.side,
            "price": f.entry.price,
            "fee": f.entry.fee,
            "fee_currency": "USDT",
            "amount": f.entry.amount,
            "currency": "USDT",
            "source": "PAPER",
            "realized_pnl": Decimal(0),
            "fee_value": f.entry.fee,
            "canonical": "{}",
            "prev_hash": "0" * 64,
            "hash": "0" * 64,
        }
        for i, f in enumerate(fills)
    ]

    def run() -> None:
        for i in range(0, len(rows), BATCH):
            with db.write() as conn:
                conn.execute(bare.insert(), rows[i : i + BATCH])

    return timed(run)


def run(table: Report) -> None:
    n = env_int("BENCH_LEDGER_FILLS", 100_000)
    big = env_int("BENCH_LEDGER_BIG", 1_000_000)
    print(f"ledger: recording {n:,} fills in batches of {BATCH} (PostgreSQL)", flush=True)
    fills = make_fills(n)

    db = fresh_pg("ledger")
    try:
        db.migrate(MIGRATIONS)
        base_s = _baseline(db, fills)
        service = LedgerService(db)
        service.record(USER, [funding()])

        def record() -> None:
            for i in range(0, n, BATCH):
                service.record(USER, fills[i : i + BATCH])

        ours_s = timed(record)
        table.add("ledger record fills/s", f"{n / ours_s:,.0f}", f"{n:,} fills, batches of {BATCH}")
        table.add("baseline bare INSERT rows/s", f"{n / base_s:,.0f}", "same rows, bare table")
        table.add("ledger / baseline ratio", f"{base_s / ours_s:.2f}", "target >= 0.5")

        stored = n
        if big > n:
            print(f"ledger: filling up to {big:,} fills", flush=True)
            t0 = time.perf_counter()
            for start in range(n, big, 50_000):
                chunk = make_fills(min(50_000, big - start), start_index=start)
                for i in range(0, len(chunk), BATCH):
                    service.record(USER, chunk[i : i + BATCH])
                stored = start + len(chunk)
                print(f"  {stored:,} stored ({time.perf_counter() - t0:.0f} s)", flush=True)

        samples = []
        marks = {"BTC/USDT": Decimal("61000"), "ETH/USDT": Decimal("3100")}
        for i in range(2000):
            t = time.perf_counter()
            service.summary(USER, "USDT", "" if i % 2 else "bot-1", marks)
            samples.append(time.perf_counter() - t)
        p50, p99 = percentiles(samples)
        table.add(
            "summary p50 / p99 ms",
            f"{p50:.2f} / {p99:.2f}",
            f"{stored:,} fills stored; target p50 < 2 ms",
        )

        result: dict = {}
        verify_s = timed(lambda: result.update(v=service.verify(USER)))
        count, problems = result["v"]
        assert not problems, problems[:5]
        table.add(
            "verify s", f"{verify_s:.1f}", f"{count:,} entries, chain + figures; target < 30 s"
        )
    finally:
        drop(db)
