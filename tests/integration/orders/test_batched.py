"""Concurrent orders' calls to the bots and ledger services go in batches (GetBotBatch,
GetRiskMetricsBatch, RecordFillBatch) when the orders process records no spans, each order
still answered as if its calls had gone alone. The real bots and ledger servicers answer."""

from __future__ import annotations

import asyncio
import dataclasses
from decimal import Decimal

import grpc
import pytest

from amarktai.ledger.v1 import ledger_pb2_grpc
from amarktai.orders.v1 import orders_pb2 as pb
from services.common.coalesce import Batching
from services.common.server import build_server, start_server
from services.ledger.grpc_api import LedgerServicer
from services.ledger.service import LedgerService
from services.orders.clients import Peers
from tests.conftest import JWT_SECRET
from tests.integration.orders.conftest import TUNING
from tests.integration.orders.helpers import SELL, S, md, refusal, user

pytestmark = pytest.mark.parametrize("tracing", [False])
D = Decimal


def _coalescers(h) -> dict[str, tuple[int, int]]:
    """(batches, items) each kind of call (and the orders' transactions) went in so far."""
    out = {
        kind: (c.batches, c.items)
        for kind, c in zip(("bots", "risk", "fills"), h.peers._batches.values(), strict=True)
    }
    out["fronts"] = (h.app.pipeline._fronts.batches, h.app.pipeline._fronts.items)
    return out


LINGERING = dataclasses.replace(TUNING, batching=Batching(linger=0.005, linger_after=2))


@pytest.mark.parametrize("tuning", [TUNING, LINGERING], ids=["at-once", "lingering"])
async def test_concurrent_orders_of_several_users_are_answered_each_as_alone(h):
    users = [user() for _ in range(4)]
    bots = {}
    for u in users:
        await h.fund(u, "100000")
        bots[u] = [await h.bot(u), await h.bot(u)]
    plan = [(u, bots[u][i % 2]) for i in range(6) for u in users]  # 24 orders, 3 per bot
    answers = await asyncio.gather(*(h.submit(u, b, amount="0.01") for u, b in plan))
    assert [a.state for a in answers] == [S.ORDER_STATE_FILLED] * len(plan)
    # a buy at the mid 50000 + half the spread 5 + the paper slippage of 2 bps of the mid
    # (10) = 50015; the taker fee of 10 bps on 0.01 x 50015 is 0.50015
    for a, (_u, b) in zip(answers, plan, strict=True):
        assert a.bot_id == b and len(a.fills) == 1
        assert (D(a.fills[0].price), D(a.fills[0].fee)) == (D("50015"), D("0.50015"))
    for u in users:  # each order's one fill reached the ledger, under its own user
        fills = await h.ledger_fills(u)
        assert sorted(f.order_id for f in fills) == sorted(
            a.id for a, (owner, _b) in zip(answers, plan, strict=True) if owner == u
        )
    seen = _coalescers(h)
    for kind, (batches, items) in seen.items():
        assert items >= len(plan), (kind, seen)
        assert batches < items, f"{kind}: no two calls went together ({seen})"


async def test_one_orders_refusal_in_a_batch_is_its_own(h):
    owner, other = user(), user()
    await h.fund(owner, "100000")
    mine, paused = await h.bot(owner), await h.bot(owner, running=False)
    theirs = await h.bot(other)
    calls = [h.submit(owner, mine) for _ in range(6)]
    calls += [h.submit(owner, theirs), h.submit(owner, paused)]
    answers = await asyncio.gather(*calls, return_exceptions=True)
    assert [a.state for a in answers[:6]] == [S.ORDER_STATE_FILLED] * 6
    assert refusal(answers[6]).code == grpc.StatusCode.NOT_FOUND
    assert refusal(answers[6]).reason == "BOT_NOT_FOUND"
    assert refusal(answers[7]).reason == "BOT_NOT_RUNNING"
    assert len(await h.ledger_fills(owner)) == 6
    assert await h.ledger_fills(other) == []


async def test_the_breaker_trips_on_figures_that_came_in_a_batch(h):
    u, bystander = user(), user()
    for who in (u, bystander):
        await h.fund(who, "1000")
    bot, calm = await h.bot(u), await h.bot(bystander)
    first = await asyncio.gather(h.submit(u, bot), h.submit(bystander, calm))
    assert [o.state for o in first] == [S.ORDER_STATE_FILLED] * 2
    # both hold 0.01 BTC bought at 50015 for a fee of 0.50015: at 25000 each account is at
    # 1000 - 0.50015 + 0.01 x (25000 - 50015) = 749.34985, a drawdown of 0.25065015 >= 0.20:
    # the next order of each, evaluated in one batch, trips its breaker
    h.market.move("BTC/USDT", "25000")
    blocked = await asyncio.gather(h.submit(u, bot), h.submit(bystander, calm))
    for o in blocked:
        assert o.state == S.ORDER_STATE_REJECTED
        assert o.rejection.gate == pb.GATE_CIRCUIT_BREAKER
    for who, b in ((u, bot), (bystander, calm)):
        assert await h.bot_state(who, b) == "BOT_STATE_CIRCUIT_TRIPPED"
        status = await h.orders.GetBreakerStatus(pb.GetBreakerStatusRequest(), metadata=md(who))
        account = status.items[0]
        assert account.tripped and account.trigger == pb.BREAKER_TRIGGER_DRAWDOWN
        assert D(account.metrics.equity) == D("749.34985")
        assert D(account.metrics.drawdown) == D("0.25065015")
    closing = await h.submit(u, bot, side=SELL, amount="0.01", reduce_only=True,
                             expected_edge_bps="")  # fmt: skip
    assert closing.state == S.ORDER_STATE_FILLED


async def test_a_ledger_without_the_batch_calls_gets_each_call_alone(h):
    """An older ledger (during an upgrade) answers UNIMPLEMENTED to a batch call: the orders
    service sends those calls one by one, and every order is answered as usual."""

    class OldLedger(LedgerServicer):
        RecordFillBatch = ledger_pb2_grpc.LedgerServiceServicer.RecordFillBatch
        GetRiskMetricsBatch = ledger_pb2_grpc.LedgerServiceServicer.GetRiskMetricsBatch

    server = build_server("ledger", JWT_SECRET, h.provider)
    old = LedgerService(h.ledger_server.db, clock=h.ledger_server.clock)
    ledger_pb2_grpc.add_LedgerServiceServicer_to_server(OldLedger(old), server)
    port, _ = await start_server(server, "127.0.0.1:0", ["amarktai.ledger.v1.LedgerService"])
    h.extra_servers.append(server)
    peers = Peers(
        JWT_SECRET, h.provider, ledger_addr=f"127.0.0.1:{port}",
        bots_addr=h.bots_addr, auth_addr="127.0.0.1:1",
    )  # fmt: skip
    u = user()
    await h.fund(u, "100000")
    bot = await h.bot(u)
    _, stub = await h.restart(peers=peers)
    answers = await asyncio.gather(*(h.submit(u, bot, stub=stub) for _ in range(5)))
    assert [a.state for a in answers] == [S.ORDER_STATE_FILLED] * 5
    assert len(await h.ledger_fills(u)) == 5
    await peers.close()


async def test_with_the_ledger_down_a_batch_refuses_every_order_in_it(h):
    u = user()
    await h.fund(u, "100000")
    bot = await h.bot(u)
    await h.ledger_server.stop()
    answers = await asyncio.gather(*(h.submit(u, bot) for _ in range(4)))
    for a in answers:
        assert a.state == S.ORDER_STATE_REJECTED
        assert a.rejection.code == "BREAKER_METRICS_UNAVAILABLE"
    await h.ledger_server.start()
    for _ in range(50):  # the channel finds the ledger again within its reconnect backoff
        answer = await h.submit(u, bot)
        if answer.state == S.ORDER_STATE_FILLED:
            break
        assert answer.rejection.code == "BREAKER_METRICS_UNAVAILABLE"
        await asyncio.sleep(0.1)
    assert answer.state == S.ORDER_STATE_FILLED
    assert len(await h.ledger_fills(u)) == 1


async def test_orders_sharing_a_transaction_count_each_other_against_the_burst_limit(h):
    """12 orders at once on one exchange against a burst limit of 10 in 10 s: the limiter
    counts the orders accepted before each one in the same transaction, so exactly 10 are
    accepted; the others are told to retry once the first of the 10 leaves the window."""
    u = user()
    await h.fund(u, "100000")
    bots = [await h.bot(u) for _ in range(3)]
    answers = await asyncio.gather(*(h.submit(u, bots[i % 3]) for i in range(12)))
    states = [a.state for a in answers]
    assert states.count(S.ORDER_STATE_FILLED) == 10
    refused = [a for a in answers if a.state == S.ORDER_STATE_REJECTED]
    assert len(refused) == 2
    for a in refused:
        assert a.rejection.gate == pb.GATE_TRADE_LIMIT and a.rejection.code == "BURST_LIMIT"
        assert a.rejection.retry_after_seconds == 10  # the clock stands still: all at one time
    assert len(await h.ledger_fills(u)) == 10
    fronts = h.app.pipeline._fronts
    assert fronts.batches < fronts.items  # some of them did share a transaction
