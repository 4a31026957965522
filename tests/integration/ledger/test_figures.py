"""Drawdown with funding, profit buckets at their boundaries, and the countdown."""

from __future__ import annotations

from datetime import UTC

import pytest

from amarktai.ledger.v1 import ledger_pb2 as pb
from tests.integration.ledger.helpers import (
    ADJUSTMENT,
    ALLOCATION,
    BUY,
    FUNDING,
    SELL,
    TRANSFER,
    WITHDRAWAL,
    D,
    event,
    fill,
    record,
    record_event,
    summary,
    utc,
    verify,
)


async def test_drawdown_is_adjusted_for_funding(ledger):
    md = ledger.user("dd")
    await record_event(ledger, md, event("fund", FUNDING, "1000"))
    await record(ledger, md, fill("b1", BUY, "1", "1000"), fill("s1", SELL, "1", "900"))
    s = await summary(ledger, md)
    # equity 1000 - 100 = 900 under a peak of 1000: (1000 - 900) / 1000 = 0.1
    assert (s.equity, s.current_drawdown, s.max_drawdown) == ("900", "0.1", "0.1")

    await record_event(ledger, md, event("dep", FUNDING, "1000"))
    s = await summary(ledger, md)
    # a deposit is no gain: equity 1900, the peak moves too, to 2000: 100 / 2000 = 0.05
    assert (s.equity, s.current_drawdown, s.max_drawdown) == ("1900", "0.05", "0.1")

    await record_event(ledger, md, event("wd", WITHDRAWAL, "1500"))
    s = await summary(ledger, md)
    # nor is a withdrawal a loss: equity 400, peak 500: 100 / 500 = 0.2, now the largest seen
    assert (s.equity, s.net_funding, s.current_drawdown, s.max_drawdown) == (
        "400",
        "500",
        "0.2",
        "0.2",
    )

    await record(ledger, md, fill("b2", BUY, "1", "900"), fill("s2", SELL, "1", "1000"))
    s = await summary(ledger, md)
    # +100 brings equity back to the peak 500: no drawdown now, the max is kept
    assert (s.equity, s.current_drawdown, s.max_drawdown) == ("500", "0", "0.2")
    assert (await verify(ledger, md)).ok


async def test_each_event_type_moves_the_right_funding(ledger):
    md = ledger.user("events")

    async def funding(bot_id: str) -> tuple[str, str]:
        req = pb.GetBotStatsRequest(bot_id=bot_id)
        bot = (await ledger.stub.GetBotStats(req, metadata=md)).net_funding
        return (await summary(ledger, md)).net_funding, bot

    await record_event(ledger, md, event("e1", FUNDING, "1000"))
    assert await funding("b") == ("1000", "0")
    await record_event(ledger, md, event("e2", ALLOCATION, "300", bot_id="b"))
    assert await funding("b") == ("1000", "300")  # assigned to the bot, still the account's
    await record_event(ledger, md, event("e3", TRANSFER, "100", bot_id="b"))
    assert await funding("b") == ("1000", "200")  # back from the bot
    await record_event(ledger, md, event("e4", FUNDING, "50", bot_id="b"))
    assert await funding("b") == ("1050", "250")  # paid into the account, for the bot
    await record_event(ledger, md, event("e5", WITHDRAWAL, "20", bot_id="b"))
    assert await funding("b") == ("1030", "230")
    await record_event(ledger, md, event("e6", ADJUSTMENT, "-30", bot_id="b", corrects="e4"))
    assert await funding("b") == ("1000", "200")  # e4 was really 20
    s = await summary(ledger, md, bot_id="b")
    # funding moves are no losses: no drawdown for the account or the bot
    assert (s.equity, s.current_drawdown, s.max_drawdown) == ("200", "0", "0")
    assert (await verify(ledger, md)).ok


async def test_bot_drawdown_and_stats(ledger):
    md = ledger.user("botdd")
    await record_event(ledger, md, event("fund", FUNDING, "2000", bot_id="b"))
    await record(
        ledger,
        md,
        fill("b1", BUY, "1", "1000", "1", bot_id="b"),
        fill("s1", SELL, "1", "800", "1", bot_id="b"),  # net -200 - 2 = -202
        fill("b2", BUY, "1", "800", bot_id="b"),
        fill("s2", SELL, "1", "800", bot_id="b"),  # break-even: ends the losing streak
        fill("b3", BUY, "1", "800", bot_id="b"),
        fill("s3", SELL, "1", "790", bot_id="b"),  # net -10
    )
    st = await ledger.stub.GetBotStats(pb.GetBotStatsRequest(bot_id="b"), metadata=md)
    assert (st.trades, st.winning_trades, st.losing_trades, st.consecutive_losses) == (3, 0, 2, 1)
    assert st.win_rate == "0"
    assert st.realized_pnl == "-210"  # -200 + 0 - 10
    assert st.fees == "2"
    assert st.net_pnl == "-212"
    assert (st.net_funding, st.equity) == ("2000", "1788")  # 2000 - 212
    # peak 2000 (the funding); equity 1788: (2000 - 1788) / 2000 = 0.106
    assert (st.current_drawdown, st.max_drawdown) == ("0.106", "0.106")
    # the fills took the clock's time
    assert st.first_trade_at.ToDatetime(tzinfo=UTC) == utc(2026, 3, 10, 12)


# Bot b1: buy 10 @ 100 fee 1 on Saturday 2026-02-28, then four sells of 2, each fee 0.5 and each
# carrying 2/10 of the entry fee (0.2). Bot b2: one winning round trip on Monday 2026-03-09.
BUCKET_FILLS = [
    fill("a", BUY, "10", "100", "1", bot_id="b1", at=utc(2026, 2, 28, 12)),
    # Sunday, last second of March 1: 2 * 10 = 20, net 20 - 0.5 - 0.2 = 19.3 (wins)
    fill("b", SELL, "2", "110", "0.5", bot_id="b1", at=utc(2026, 3, 1, 23, 59, 59)),
    # Monday March 2, first second: 2 * -10 = -20, net -20.7 (loses)
    fill("c", SELL, "2", "90", "0.5", bot_id="b1", at=utc(2026, 3, 2)),
    # Sunday March 8: 2 * 20 = 40, net 39.3 (wins)
    fill("d", SELL, "2", "120", "0.5", bot_id="b1", at=utc(2026, 3, 8, 12)),
    # Monday March 9: 2 * 5 = 10, net 9.3 (wins)
    fill("e", SELL, "2", "105", "0.5", bot_id="b1", at=utc(2026, 3, 9, 8)),
    fill("f", BUY, "1", "50", bot_id="b2", at=utc(2026, 3, 9, 8, 30)),
    fill("g", SELL, "1", "60", bot_id="b2", at=utc(2026, 3, 9, 9)),  # 10, wins
]


async def _profits(ledger, md, period, bot_id=""):
    req = pb.GetProfitsRequest(period=period, bot_id=bot_id)
    resp = await ledger.stub.GetProfits(req, metadata=md)
    return [
        (
            b.period_start.ToDatetime().strftime("%Y-%m-%d"),
            b.realized_pnl,
            b.fees,
            b.net_pnl,
            b.trades,
            b.winning_trades,
        )
        for b in resp.buckets
    ]


@pytest.mark.parametrize(
    ("period", "bot_id", "expected"),
    [
        (
            pb.PROFIT_PERIOD_DAILY,
            "",
            [
                ("2026-02-28", "0", "1", "-1", 0, 0),  # only the buy's fee
                ("2026-03-01", "20", "0.5", "19.5", 1, 1),
                ("2026-03-02", "-20", "0.5", "-20.5", 1, 0),  # one second later, a new day
                ("2026-03-08", "40", "0.5", "39.5", 1, 1),
                ("2026-03-09", "20", "0.5", "19.5", 2, 2),  # 10 (b1) + 10 (b2)
            ],
        ),
        (
            pb.PROFIT_PERIOD_WEEKLY,
            "",
            [
                # ISO week from Monday Feb 23: Sat Feb 28 + Sun Mar 1
                ("2026-02-23", "20", "1.5", "18.5", 1, 1),
                # Monday Mar 2 .. Sunday Mar 8: -20 + 40
                ("2026-03-02", "20", "1", "19", 2, 1),
                # Monday Mar 9 starts the next week
                ("2026-03-09", "20", "0.5", "19.5", 2, 2),
            ],
        ),
        (
            pb.PROFIT_PERIOD_MONTHLY,
            "",
            [
                ("2026-02-01", "0", "1", "-1", 0, 0),
                # 20 - 20 + 40 + 10 + 10 = 60; fees 4 * 0.5 = 2
                ("2026-03-01", "60", "2", "58", 5, 4),
            ],
        ),
        (
            pb.PROFIT_PERIOD_MONTHLY,
            "b1",
            [
                ("2026-02-01", "0", "1", "-1", 0, 0),
                ("2026-03-01", "50", "2", "48", 4, 3),  # 20 - 20 + 40 + 10
            ],
        ),
        (pb.PROFIT_PERIOD_DAILY, "b2", [("2026-03-09", "10", "0", "10", 1, 1)]),
    ],
)
async def test_profit_buckets_at_boundaries(ledger, period, bot_id, expected):
    md = ledger.user("buckets")
    await ledger.stub.RecordFills(pb.RecordFillsRequest(fills=BUCKET_FILLS), metadata=md)
    assert await _profits(ledger, md, period, bot_id) == expected


async def test_countdown_from_daily_funding(ledger, clock):
    md = ledger.user("countdown")
    # no occurred_at: each event takes the clock's time, one day apart
    for day, (eid, amount) in enumerate([("d1", "1000"), ("d2", "100"), ("d3", "110")], start=1):
        clock.now = utc(2026, 3, day)
        await record_event(ledger, md, event(eid, FUNDING, amount))
    # equity 1000 -> 1100 -> 1210 over 2 days: (1210 / 1000) ** (1/2) = 1.1, growth 0.1 a day;
    # 1210 * 1.1**3 = 1610.51, so that target is 3 days away
    req = pb.GetCountdownRequest(target="1610.51")
    c = await ledger.stub.GetCountdown(req, metadata=md)
    assert (c.current_equity, c.daily_growth, c.days_to_target, c.reached) == (
        "1210",
        "0.1",
        "3",
        False,
    )
    c = await ledger.stub.GetCountdown(pb.GetCountdownRequest(target="1200"), metadata=md)
    assert (c.days_to_target, c.reached) == ("0", True)


async def test_countdown_uses_the_last_30_days(ledger, clock):
    md = ledger.user("window")
    await record_event(ledger, md, event("e1", FUNDING, "500", at=utc(2026, 1, 1)))
    # Feb 8 is 30 days before Mar 10 (Feb has 28 days): the start of the window, equity 1000
    await record_event(ledger, md, event("e2", FUNDING, "500", at=utc(2026, 2, 8)))
    await record_event(ledger, md, event("e3", FUNDING, "1000", at=utc(2026, 3, 9)))
    clock.now = utc(2026, 3, 10)
    c = await ledger.stub.GetCountdown(pb.GetCountdownRequest(target="4000"), metadata=md)
    # doubling (1000 -> 2000) in 30 days: 2 ** (1/30) - 1 = 0.02337389199677... a day, and
    # another doubling to 4000 takes 30 days. (From Jan 1 the 500 would give another rate.)
    assert (c.current_equity, c.daily_growth, c.days_to_target) == ("2000", "0.023373892", "30")


async def test_no_countdown_without_growth(ledger, clock):
    md = ledger.user("shrinking")
    clock.now = utc(2026, 3, 1)
    await record_event(ledger, md, event("f", FUNDING, "1000"))
    c = await ledger.stub.GetCountdown(pb.GetCountdownRequest(target="2000"), metadata=md)
    assert (c.current_equity, c.daily_growth, c.days_to_target, c.reached) == (
        "1000",
        "",
        "",
        False,
    )  # one point: no growth
    clock.now = utc(2026, 3, 2)
    await record(ledger, md, fill("b", BUY, "1", "100"), fill("s", SELL, "1", "90"))
    c = await ledger.stub.GetCountdown(pb.GetCountdownRequest(target="2000"), metadata=md)
    assert (c.current_equity, c.daily_growth, c.days_to_target) == ("990", "", "")  # shrank


async def test_empty_ledger_has_zero_figures(ledger):
    md = ledger.user("nobody")
    s = await summary(ledger, md)
    assert (s.equity, s.realized_pnl, s.fees, s.current_drawdown, s.trades) == (
        "0",
        "0",
        "0",
        "0",
        0,
    )
    assert D(s.max_drawdown) == 0
