"""Gate C: per bot per UTC day, per user per UTC day, per (user, exchange) burst window,
counted in the database: exact even under concurrency across two orders processes."""

from __future__ import annotations

import pytest

from amarktai.orders.v1 import orders_pb2 as pb
from tests.integration.orders.helpers import LIMIT, S, md, user

# each test as traced (every call alone) and untraced (calls of concurrent orders batched)
pytestmark = pytest.mark.parametrize("tracing", [True, False], ids=["traced", "batched"])

RESTING = dict(type=LIMIT, price="40000")  # accepted and resting: no fill needed


async def test_the_50th_order_of_a_bot_day_is_accepted_the_51st_refused(h):
    u = user()
    bot = await h.bot(u)
    for i in range(50):
        o = await h.submit(u, bot, **RESTING)
        assert o.state == S.ORDER_STATE_ACCEPTED, (i, o.rejection)
        h.clock.advance(seconds=1.5)  # keep the burst window (10 per 10 s) out of the way
    no = await h.submit(u, bot, **RESTING)
    assert no.state == S.ORDER_STATE_REJECTED
    assert no.rejection.gate == pb.GATE_TRADE_LIMIT
    assert no.rejection.code == "BOT_DAILY_LIMIT"
    assert no.gates[2].figures["limit"] == "trades_per_bot_daily"
    # 12:00 + 50 x 1.5 s = 12:01:15; UTC midnight is 11 h 58 min 45 s away
    assert no.rejection.retry_after_seconds == 11 * 3600 + 58 * 60 + 45
    other_bot = await h.bot(u)  # the user's limit (500) still has room
    assert (await h.submit(u, other_bot, **RESTING)).state == S.ORDER_STATE_ACCEPTED
    status = await h.orders.GetLimitsStatus(pb.GetLimitsStatusRequest(), metadata=md(u))
    by = {(i.name, i.bot_id): i for i in status.items}
    assert by[("trades_per_bot_daily", bot)].used == 50
    assert by[("trades_per_bot_daily", bot)].capacity == 50
    assert by[("trades_per_user_daily", "")].used == 51
    assert by[("trades_per_user_daily", "")].resets_at.ToJsonString() == "2026-03-11T00:00:00Z"
    h.clock.advance(hours=12)  # the next UTC day
    assert (await h.submit(u, bot, **RESTING)).state == S.ORDER_STATE_ACCEPTED


async def test_burst_window_accepts_10_and_refuses_the_11th_with_a_retry_time(h):
    u = user()
    bot = await h.bot(u)
    for _ in range(10):
        assert (await h.submit(u, bot, **RESTING)).state == S.ORDER_STATE_ACCEPTED
        h.clock.advance(seconds=0.5)
    # the first order was at 12:00:00.0; now 12:00:05.0: it leaves the window in 5 s
    no = await h.submit(u, bot, **RESTING)
    assert no.rejection.code == "BURST_LIMIT"
    assert no.rejection.retry_after_seconds == 5
    status = await h.orders.GetLimitsStatus(pb.GetLimitsStatusRequest(), metadata=md(u))
    [burst] = [i for i in status.items if i.name == "burst_per_exchange"]
    assert (burst.used, burst.capacity, burst.exchange) == (10, 10, "binance")
    assert burst.resets_at.ToJsonString() == "2026-03-10T12:00:10Z"
    h.clock.advance(seconds=5.001)
    assert (await h.submit(u, bot, **RESTING)).state == S.ORDER_STATE_ACCEPTED


async def test_the_burst_window_reaches_back_over_midnight_the_day_counts_do_not(h):
    u = user()
    bot = await h.bot(u)
    h.clock.now = h.clock.now.replace(hour=23, minute=59, second=56)
    for _ in range(10):  # 23:59:56.0 to 00:00:00.5, 0.5 s apart: 8 before midnight, 2 after
        assert (await h.submit(u, bot, **RESTING)).state == S.ORDER_STATE_ACCEPTED
        h.clock.advance(seconds=0.5)
    # now 00:00:01.0: the window holds all 10; the first (23:59:56.0) leaves it at 00:00:06.0
    no = await h.submit(u, bot, **RESTING)
    assert no.rejection.code == "BURST_LIMIT"
    assert no.rejection.retry_after_seconds == 5
    figures = no.gates[2].figures
    assert (figures["bot_today"], figures["user_today"], figures["burst_in_window"]) == (
        "2",
        "2",
        "10",
    )


async def test_an_order_refused_at_gate_d_takes_no_slot_and_the_day_counts_stay(h):
    u = user()
    bot = await h.bot(u)
    for _ in range(3):
        assert (await h.submit(u, bot, **RESTING)).state == S.ORDER_STATE_ACCEPTED
        h.clock.advance(seconds=1)
    await h.ledger_server.stop()  # gate D cannot have its figures: it refuses
    for _ in range(2):
        no = await h.submit(u, bot, **RESTING)
        assert no.rejection.code == "BREAKER_METRICS_UNAVAILABLE"
        # C passed each as the 4th; refused by D, neither is stored holding a slot
        figures = no.gates[2].figures
        assert (figures["bot_today"], figures["user_today"]) == ("3", "3")
        assert figures["burst_in_window"] == "3"  # 12:00:00, :01, :02 within 10 s of 12:00:03
    status = await h.orders.GetLimitsStatus(pb.GetLimitsStatusRequest(), metadata=md(u))
    by = {(i.name, i.bot_id or i.exchange): i.used for i in status.items}
    assert by == {
        ("trades_per_user_daily", ""): 3,
        ("trades_per_bot_daily", bot): 3,
        ("burst_per_exchange", "binance"): 3,
    }
    await h.ledger_server.start()


async def test_the_day_counts_are_per_bot_and_per_user_and_start_again_each_day(h):
    u, other = user(), user()
    a, b, c = await h.bot(u), await h.bot(u), await h.bot(other)
    for bot, n in ((a, 3), (b, 2)):
        for _ in range(n):
            assert (await h.submit(u, bot, **RESTING)).state == S.ORDER_STATE_ACCEPTED
            h.clock.advance(seconds=1)
    assert (await h.submit(other, c, **RESTING)).state == S.ORDER_STATE_ACCEPTED
    h.clock.advance(seconds=1)
    figures = (await h.submit(u, b, **RESTING)).gates[2].figures
    # before this order: bot b 2 (its own), the user 3 + 2 = 5 (not the other user's one)
    assert (figures["bot_today"], figures["user_today"]) == ("2", "5")
    status = await h.orders.GetLimitsStatus(
        pb.GetLimitsStatusRequest(bot_id=c), metadata=md(u)
    )  # another user's bot: 0, nothing of theirs
    by = {(i.name, i.bot_id): i.used for i in status.items if i.name != "burst_per_exchange"}
    assert by == {
        ("trades_per_user_daily", ""): 6,
        ("trades_per_bot_daily", a): 3,
        ("trades_per_bot_daily", b): 3,
        ("trades_per_bot_daily", c): 0,
    }
    h.clock.advance(hours=12)  # 12:00:06 + 12 h = 00:00:06: the next UTC day, nothing counted
    status = await h.orders.GetLimitsStatus(pb.GetLimitsStatusRequest(), metadata=md(u))
    assert [(i.name, i.used) for i in status.items] == [("trades_per_user_daily", 0)]
    figures = (await h.submit(u, a, **RESTING)).gates[2].figures
    assert (figures["bot_today"], figures["user_today"]) == ("0", "0")
