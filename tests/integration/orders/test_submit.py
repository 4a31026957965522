"""SubmitOrder end to end: a paper market order is FILLED in its answer and reaches the ledger;
gate B at its boundary; bad input names its field and stores nothing; the bot's checks."""

from __future__ import annotations

import grpc
import pytest

from amarktai.bots.v1 import bots_pb2
from amarktai.ledger.v1 import ledger_pb2
from amarktai.orders.v1 import orders_pb2 as pb
from tests.integration.orders.helpers import LIMIT, MARKET, SELL, D, S, md, refusal, user

# each test as traced (every call alone) and untraced (calls of concurrent orders batched)
pytestmark = pytest.mark.parametrize("tracing", [True, False], ids=["traced", "batched"])


async def test_paper_market_order_is_filled_before_the_answer(h):
    u = user()
    bot = await h.bot(u)
    o = await h.submit(u, bot, amount="0.02")
    assert o.state == S.ORDER_STATE_FILLED
    assert [g.gate for g in o.gates] == [
        pb.GATE_IDEMPOTENCY, pb.GATE_FEE_COVERAGE, pb.GATE_TRADE_LIMIT, pb.GATE_CIRCUIT_BREAKER,
    ]  # fmt: skip
    assert all(g.passed for g in o.gates)
    assert o.gates[1].figures["cost_bps"] == "32"  # 10 + 10 + 5 + 5 + 2
    assert o.mode == pb.ORDER_MODE_PAPER
    # mid 50000 + half spread 5 + 2 bps of 50000 (10) = 50015; taker fee 10 bps of notional
    [f] = o.fills
    assert D(f.price) == D("50015")
    assert D(f.fee) == D("0.02") * D("50015") * D("0.001")  # 1.0003
    assert D(f.expected_price) == D("50000")
    assert D(f.slippage_bps) == D("3")  # 15 / 50000 * 10000
    assert D(f.fee_bps) == D("10") == D(f.expected_fee_bps)
    assert D(o.filled_amount) == D("0.02") and D(o.average_price) == D("50015")
    assert len(o.trace_id) == 32
    [lf] = await h.ledger_fills(u)
    assert lf.fill_id == f.fill_id and lf.order_id == o.id
    assert lf.source == ledger_pb2.FILL_SOURCE_PAPER
    assert D(lf.price) == D("50015") and lf.bot_id == bot
    again = await h.orders.GetOrder(pb.GetOrderRequest(id=o.id), metadata=md(u))
    assert again.order == o


@pytest.mark.parametrize(
    ("kind", "price", "needed"),
    [(MARKET, "", 37), (LIMIT, "40000", 27)],  # market 32 + 5; limit 7.5 + 7.5 + 5 + 2 + 5
)
async def test_fee_gate_at_its_boundary(h, kind, price, needed):
    u = user()
    bot = await h.bot(u)
    ok = await h.submit(u, bot, type=kind, price=price, expected_edge_bps=str(needed))
    assert ok.gates[1].passed
    assert ok.state in (S.ORDER_STATE_FILLED, S.ORDER_STATE_ACCEPTED)
    no = await h.submit(u, bot, type=kind, price=price, expected_edge_bps=str(needed - 1))
    assert no.state == S.ORDER_STATE_REJECTED
    assert no.rejection.gate == pb.GATE_FEE_COVERAGE
    assert no.rejection.code == "EDGE_BELOW_COST"
    assert [g.gate for g in no.gates] == [pb.GATE_IDEMPOTENCY, pb.GATE_FEE_COVERAGE]
    assert not no.fills
    stored = await h.orders.GetOrder(pb.GetOrderRequest(id=no.id), metadata=md(u))
    assert stored.order.state == S.ORDER_STATE_REJECTED


BAD = [
    (dict(amount="-1"), "amount"),
    (dict(amount="0"), "amount"),
    (dict(amount="abc"), "amount"),
    (dict(amount="NaN"), "amount"),
    (dict(side=0), "side"),
    (dict(side=7), "side"),
    (dict(type=0), "type"),
    (dict(type=LIMIT, price=""), "price"),
    (dict(type=MARKET, price="100"), "price"),
    (dict(idempotency_key=""), "idempotency_key"),
    (dict(symbol="BTCUSDT"), "symbol"),
    (dict(exchange="nosuchexchange"), "exchange"),
    (dict(exchange="kraken"), "exchange"),  # not the bot's exchange
    (dict(expected_edge_bps=""), "expected_edge_bps"),
    (dict(expected_edge_bps="1e400"), "expected_edge_bps"),
]


async def test_bad_input_names_the_field_and_stores_nothing(h):
    u = user()
    bot = await h.bot(u)
    for change, field in BAD:
        with pytest.raises(grpc.aio.AioRpcError) as e:
            await h.submit(u, bot, **change)
        r = refusal(e.value)
        assert r.code == grpc.StatusCode.INVALID_ARGUMENT, (change, r)
        assert r.fields == [field], (change, r)
    listed = await h.orders.ListOrders(pb.ListOrdersRequest(), metadata=md(u))
    assert list(listed.items) == []


async def test_bot_checks(h):
    u, other = user(), user()
    bot = await h.bot(u)
    with pytest.raises(grpc.aio.AioRpcError) as e:
        await h.submit(other, bot)
    assert e.value.code() == grpc.StatusCode.NOT_FOUND
    paused = await h.bot(u, running=False)
    with pytest.raises(grpc.aio.AioRpcError) as e:
        await h.submit(u, paused)
    assert refusal(e.value).reason == "BOT_NOT_RUNNING"
    with pytest.raises(grpc.aio.AioRpcError) as e:  # nothing to reduce
        await h.submit(u, paused, side=SELL, reduce_only=True, expected_edge_bps="")
    assert refusal(e.value).code == grpc.StatusCode.FAILED_PRECONDITION
    assert refusal(e.value).reason == "NOTHING_TO_REDUCE"
    # a bought position may be closed by a reduce-only order while the bot is stopped
    await h.submit(u, bot, amount="0.01")
    await h.bots.StopBot(bots_pb2.StopBotRequest(id=bot), metadata=md(u))
    closed = await h.submit(
        u, bot, side=SELL, amount="0.01", reduce_only=True, expected_edge_bps=""
    )
    assert closed.state == S.ORDER_STATE_FILLED
    assert closed.gates[1].passed and "reduce-only" in closed.gates[1].reason
    listed = await h.orders.ListOrders(pb.ListOrdersRequest(), metadata=md(other))
    assert list(listed.items) == []


async def test_limit_order_rests_then_fills_when_the_price_reaches_it(h):
    u = user()
    bot = await h.bot(u)
    o = await h.submit(u, bot, type=LIMIT, price="49000", amount="0.1")
    assert o.state == S.ORDER_STATE_ACCEPTED and not o.fills
    pending = await h.orders.ListPendingOrders(pb.ListPendingOrdersRequest(), metadata=md(u))
    assert [p.id for p in pending.items] == [o.id]
    h.market.move("BTC/USDT", "49100")  # ask 49105: not yet
    assert await h.app.executor.sweep() == 0
    h.market.move("BTC/USDT", "48990")  # ask 48995 <= 49000
    assert await h.app.executor.sweep() == 1
    done = (await h.orders.GetOrder(pb.GetOrderRequest(id=o.id), metadata=md(u))).order
    assert done.state == S.ORDER_STATE_FILLED
    [f] = done.fills
    assert D(f.price) == D("49000")
    assert D(f.fee) == D("0.1") * D("49000") * D("0.00075")  # maker 7.5 bps
    [lf] = await h.ledger_fills(u)
    assert lf.fill_id == f.fill_id
    assert await h.app.executor.sweep() == 0
    pending = await h.orders.ListPendingOrders(pb.ListPendingOrdersRequest(), metadata=md(u))
    assert list(pending.items) == []
