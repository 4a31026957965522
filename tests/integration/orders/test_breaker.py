"""Gate D: the breaker trips on drawdown, daily loss and a losing streak (figures from the real
ledger, positions marked at the current price), blocks new orders, lets reduce-only through,
and trips the bots through the real bots service. The error-rate trigger is in test_live."""

from __future__ import annotations

import grpc
import pytest

from amarktai.orders.v1 import orders_pb2 as pb
from tests.integration.orders.helpers import SELL, S, md, refusal, user

# each test as traced (every call alone) and untraced (calls of concurrent orders batched)
pytestmark = pytest.mark.parametrize("tracing", [True, False], ids=["traced", "batched"])


async def _tripped(h, u, bot, trigger):
    if await h.bot_state(u, bot) != "BOT_STATE_CIRCUIT_TRIPPED":
        blocked = await h.submit(u, bot)  # evaluated before this order: it trips and refuses
        assert blocked.state == S.ORDER_STATE_REJECTED
        assert blocked.rejection.gate == pb.GATE_CIRCUIT_BREAKER
        assert blocked.rejection.code == "BREAKER_TRIPPED"
    assert await h.bot_state(u, bot) == "BOT_STATE_CIRCUIT_TRIPPED"
    fresh = await h.bot(u)  # a bot started after the trip: the account's breaker refuses it
    blocked = await h.submit(u, fresh)
    assert blocked.rejection.gate == pb.GATE_CIRCUIT_BREAKER
    assert blocked.rejection.code == "BREAKER_TRIPPED"
    status = await h.orders.GetBreakerStatus(pb.GetBreakerStatusRequest(), metadata=md(u))
    account = status.items[0]
    assert account.scope == pb.BREAKER_SCOPE_ACCOUNT and account.tripped
    assert account.trigger == trigger
    history = await h.orders.GetBreakerHistory(pb.GetBreakerHistoryRequest(), metadata=md(u))
    assert [e.kind for e in history.items if not e.bot_id] == [pb.BREAKER_EVENT_KIND_TRIP]
    return account


async def test_drawdown_trips_blocks_and_lets_reduce_only_close(h):
    u = user()
    bot = await h.bot(u)
    await h.fund(u, "1000")
    assert (await h.submit(u, bot, amount="0.01")).state == S.ORDER_STATE_FILLED  # @ 50015
    h.market.move("BTC/USDT", "25000")
    # equity = 1000 - 0.50015 fee + 0.01 x (25000 - 50015) = 749.34985; the peak was 1000
    # drawdown = 250.65015 / 1000 = 0.25065015 >= 0.20
    account = await _tripped(h, u, bot, pb.BREAKER_TRIGGER_DRAWDOWN)
    assert account.metrics.drawdown == "0.25065015"
    assert account.metrics.equity == "749.34985"
    assert "drawdown 25.07% >= MAX_DRAWDOWN_PERCENT 20%" in account.reason
    closing = await h.submit(u, bot, side=SELL, amount="0.01", reduce_only=True,
                             expected_edge_bps="")  # fmt: skip
    assert closing.state == S.ORDER_STATE_FILLED
    assert closing.gates[3].passed and "reduce-only" in closing.gates[3].reason
    with pytest.raises(grpc.aio.AioRpcError) as e:  # the tripped bot takes no new order
        await h.submit(u, bot)
    assert refusal(e.value).reason == "BOT_NOT_RUNNING"
    history = await h.orders.GetBreakerHistory(pb.GetBreakerHistoryRequest(), metadata=md(u))
    assert len([e for e in history.items if not e.bot_id]) == 1
    assert history.items[0].metrics.drawdown


async def test_daily_loss_trips(h):
    u = user()
    bot = await h.bot(u)
    await h.fund(u, "1000")
    await h.submit(u, bot, amount="0.01")
    h.market.move("BTC/USDT", "38000")
    # equity = 1000 - 0.50015 - 0.01 x (50015 - 38000) = 879.34985; drawdown from the peak
    # of 1000 is 0.12065015 < 0.20, and the day started at 1000: daily loss 0.12065015 >= 0.10
    account = await _tripped(h, u, bot, pb.BREAKER_TRIGGER_DAILY_LOSS)
    assert account.metrics.daily_loss == "0.12065015"


async def test_a_losing_streak_of_5_trips(h):
    u = user()
    bot = await h.bot(u)
    await h.fund(u, "100000")
    for i in range(5):  # buy @ 50015, sell @ 49985: each round trip loses 0.03 + fees
        assert (await h.submit(u, bot, amount="0.001")).state == S.ORDER_STATE_FILLED
        sold = await h.submit(u, bot, side=SELL, amount="0.001")
        assert sold.state == S.ORDER_STATE_FILLED, (i, sold.rejection)
        h.clock.advance(seconds=10)  # out of the burst window
    # evaluated after the 5th losing fill: tripped before any further order
    assert await h.bot_state(u, bot) == "BOT_STATE_CIRCUIT_TRIPPED"
    account = await _tripped(h, u, bot, pb.BREAKER_TRIGGER_CONSECUTIVE_LOSSES)
    assert account.metrics.consecutive_losses == 5
    assert account.metrics.drawdown < "0.001"


async def test_ledger_unreachable_refuses_new_orders_but_not_reduce_only(h):
    u = user()
    bot = await h.bot(u)
    await h.submit(u, bot, amount="0.01")
    await h.ledger_server.stop()
    no = await h.submit(u, bot)
    assert no.rejection.code == "BREAKER_METRICS_UNAVAILABLE"
    assert no.rejection.retry_after_seconds == 5
    closing = await h.submit(u, bot, side=SELL, amount="0.01", reduce_only=True,
                             expected_edge_bps="")  # fmt: skip
    assert closing.state == S.ORDER_STATE_FILLED
    await h.ledger_server.start()


async def test_the_ledger_asked_early_is_asked_again_when_a_market_was_added_elsewhere(h):
    """Gate D's figures: the ledger is asked beside the snapshot with the markets this process
    marked last time; when another process has added a market meanwhile, the snapshot shows it
    and the ledger is asked again with that market marked too."""
    u = user()
    btc, eth = await h.bot(u), await h.bot(u, symbol="ETH/USDT")
    await h.fund(u, "100000")
    asked: list[list[str]] = []
    peers = h.app.breaker.peers
    real = peers.risk_metrics_with_account

    async def recording(user_id, bot_id, quote, marks):
        asked.append(sorted(m.split("=")[0] for m in marks))
        return await real(user_id, bot_id, quote, marks)

    peers.risk_metrics_with_account = recording
    try:
        assert (await h.submit(u, btc)).state == pb.ORDER_STATE_FILLED  # first: no guess
        assert asked == [["BTC/USDT"]]
        asked.clear()
        _, other = await h.restart()  # another orders process trades ETH/USDT
        assert (await h.submit(u, eth, stub=other, symbol="ETH/USDT")).state == (
            pb.ORDER_STATE_FILLED
        )
        # that process (sharing the ledger client) had nothing to guess from: asked once
        assert asked == [["BTC/USDT", "ETH/USDT"]]
        asked.clear()
        assert (await h.submit(u, btc)).state == pb.ORDER_STATE_FILLED
        # asked again with ETH marked, which the snapshot showed; the early guess (BTC only)
        # reached the ledger first unless the snapshot was back before it was sent
        assert asked[-1] == ["BTC/USDT", "ETH/USDT"]
        assert asked[:-1] in ([], [["BTC/USDT"]])
        asked.clear()
        assert (await h.submit(u, btc)).state == pb.ORDER_STATE_FILLED
        assert asked == [["BTC/USDT", "ETH/USDT"]]  # the guess now covers them: asked once
    finally:
        peers.risk_metrics_with_account = real
