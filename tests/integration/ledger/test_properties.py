"""Random ledgers recorded through the service object, checked against tests/.../reference.py."""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from amarktai.ledger.v1 import ledger_pb2 as pb
from services.ledger.model import EVENT, FILL, Entry
from services.ledger.service import NewEntry
from tests.integration.ledger.helpers import positions, utc
from tests.integration.ledger.reference import Reference

D = Decimal
T0 = utc(2026, 1, 1)
BOTS = ("", "b1", "b2")
SYMBOLS = ("BTC/USDT", "ETH/USDT")
PERIODS = {
    "daily": pb.PROFIT_PERIOD_DAILY,
    "weekly": pb.PROFIT_PERIOD_WEEKLY,
    "monthly": pb.PROFIT_PERIOD_MONTHLY,
}

# (kind, bot, symbol, amount units, price units, fee kind, fee units, hours after T0)
specs = st.tuples(
    st.sampled_from(["fund", "withdraw", "buy", "sell", "buy", "sell", "buy", "sell"]),
    st.sampled_from(BOTS),
    st.sampled_from(SYMBOLS),
    st.integers(1, 5000),
    st.integers(1, 1_000_000),
    st.sampled_from(["quote", "base", "none"]),
    st.integers(0, 99),
    st.integers(0, 24 * 90),
)


def build(user: str, n: int, spec: tuple, ref: Reference) -> Entry:
    """One entry for the service from a spec, applied to the reference as well."""
    kind, bot, symbol, amount_u, price_u, fee_kind, fee_u, hours = spec
    at = T0 + timedelta(hours=hours)
    if kind in ("fund", "withdraw"):
        amount = D(amount_u * price_u).scaleb(-2)  # 0.01 .. 50,000,000
        ref.funding(bot, amount if kind == "fund" else -amount)
        return Entry(
            kind=EVENT,
            entry_id=f"e{n}",
            user_id=user,
            bot_id=bot,
            at=at,
            amount=amount,
            currency="USDT",
            event_type="FUNDING" if kind == "fund" else "WITHDRAWAL",
        )
    side = 1 if kind == "buy" else -1
    amount = D(amount_u).scaleb(-3)  # 0.001 .. 5
    price = D(price_u).scaleb(-2)  # 0.01 .. 10,000
    if fee_kind == "base":
        fee = D(amount_u * fee_u).scaleb(-7)  # under 1 % of the amount
    elif fee_kind == "quote":
        fee = D(price_u * amount_u * fee_u).scaleb(-9)  # under 1 % of the value
    else:
        fee = D(0)
    ref.fill(bot, symbol, side, amount, price, fee, fee_kind == "base", at)
    base, quote = symbol.split("/")
    return Entry(
        kind=FILL,
        entry_id=f"f{n}",
        user_id=user,
        bot_id=bot,
        at=at,
        amount=amount,
        currency=quote,
        exchange="binance",
        symbol=symbol,
        side=kind.upper(),
        price=price,
        fee=fee,
        fee_currency=base if fee_kind == "base" else quote,
        source="MANUAL",
    )


async def check(ledger, user: str, ref: Reference) -> None:
    """Verify passes and every figure equals the reference's."""
    count, problems = ledger.service.verify(user)
    assert problems == []
    md = ledger.user(user)
    for scope, want in ref.scopes.items():
        s = await ledger.stub.GetPortfolioSummary(
            pb.GetPortfolioSummaryRequest(bot_id=scope), metadata=md
        )
        got = (D(s.net_funding), D(s.realized_pnl), D(s.fees), s.trades, s.winning_trades)
        assert got == (want.funding, want.realized, want.fees, want.trades, want.wins), scope
        assert D(s.equity) == D(s.net_funding) + D(s.realized_pnl) - D(s.fees)
        assert D(s.equity) == want.equity
        assert (D(s.current_drawdown), D(s.max_drawdown)) == (want.drawdown, want.max_dd), scope
        if scope == "":
            assert s.last_sequence == count
            assert positions(s) == ref.positions()
        for period, number in PERIODS.items():
            resp = await ledger.stub.GetProfits(
                pb.GetProfitsRequest(period=number, bot_id=scope), metadata=md
            )
            got_buckets = {
                b.period_start.ToDatetime(tzinfo=T0.tzinfo): [
                    D(b.realized_pnl),
                    D(b.fees),
                    b.trades,
                    b.winning_trades,
                ]
                for b in resp.buckets
            }
            want_buckets = {k[2]: v for k, v in ref.buckets.items() if k[:2] == (scope, period)}
            assert got_buckets == want_buckets, (scope, period)


def random_spec(rnd: random.Random, funding_weight: int = 1) -> tuple:
    """A spec like ``specs`` draws; amounts often round, so lots close exactly."""
    amount = rnd.choice([rnd.randint(1, 5000), rnd.choice([500, 1000, 2000])])
    return (
        rnd.choice(["fund", "withdraw"] * funding_weight + ["buy", "sell"] * 4),
        rnd.choice(BOTS),
        rnd.choice(SYMBOLS),
        amount,
        rnd.randint(1, 1_000_000),
        rnd.choice(["quote", "base", "none"]),
        rnd.randint(0, 99),
        rnd.randint(0, 24 * 90),
    )


async def record_in_batches(ledger, user: str, items: list, sizes: list[int]) -> None:
    start, i = 0, 0
    while start < len(items):
        size = sizes[i % len(sizes)]
        ledger.service.record(user, items[start : start + size])
        start, i = start + size, i + 1


_users = iter(range(10**9))


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    head=st.lists(specs, max_size=30),  # drawn spec by spec: hypothesis shrinks these
    tail=st.integers(0, 300),  # then this many more from a seeded generator
    seed=st.integers(0, 2**32),
    funding_weight=st.integers(0, 3),
    sizes=st.lists(st.integers(1, 80), min_size=1, max_size=10),
)
async def test_random_ledgers_match_the_reference(ledger, head, tail, seed, funding_weight, sizes):
    user = f"prop-{next(_users)}"  # a fresh ledger per example, in the fixture's database
    rnd = random.Random(seed)
    entries = head + [random_spec(rnd, funding_weight) for _ in range(tail)]
    ref = Reference()
    items = [NewEntry(build(user, n, spec, ref)) for n, spec in enumerate(entries)]
    await record_in_batches(ledger, user, items, sizes)
    if items:
        await check(ledger, user, ref)


async def test_three_thousand_entries(ledger):
    rnd = random.Random(20260310)
    ref = Reference()
    user = "bulk"
    items = [NewEntry(build(user, n, random_spec(rnd), ref)) for n in range(3000)]
    await record_in_batches(ledger, user, items, [rnd.randint(1, 400) for _ in range(40)])
    v = await ledger.stub.Verify(pb.VerifyRequest(), metadata=ledger.user(user))
    assert (v.ok, v.entries_checked) == (True, 3000), v.problems[:5]
    await check(ledger, user, ref)
