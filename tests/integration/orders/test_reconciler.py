"""The reconciler: a live order left open by an orders process that died is settled by another
process from what the exchange reports, and never placed twice. Real ccxt, the fake Binance.

The "process" dies in-process at a named fault point (``Killed``: nothing is cleaned up, its
lease on the order stays held); ``h.restart()`` is a new process on the same database. The
lease is 10 s (TUNING), Binance's settle time 11 s (recvWindow 10 s + 1 s): the tests move the
wall clock past them instead of waiting.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from services.orders.convert import order_in
from services.orders.faults import (
    AFTER_COMMIT,
    AFTER_EXCHANGE_ACK,
    BEFORE_EXCHANGE_CALL,
    DURING_OUTBOX_DELIVERY,
    Killed,
)
from tests.integration.orders.conftest import ccxt_live
from tests.integration.orders.helpers import LIMIT, S, md, requests_for, user_with_keys

D = Decimal
LEASE = 10


@pytest.fixture
def auth_addr(auth_server) -> str:
    return auth_server.addr


@pytest.fixture
def live_factory(fake):
    return ccxt_live(fake)


async def _dies(h, auth_server, **kw):
    """A LIVE bot's order submitted to a process that dies at the fault point."""
    u = await user_with_keys(auth_server)
    bot = await h.bot(u, live=True)
    req = h.request(bot, amount="0.01", idempotency_key="crash-1", **kw)
    with pytest.raises(Killed):
        await h.app.pipeline.submit(u, order_in(req))
    return u, req


async def _replay(stub, u, req):
    return (await stub.SubmitOrder(req, metadata=md(u))).order


@pytest.mark.parametrize("fault_point", [AFTER_EXCHANGE_ACK])
async def test_killed_after_the_exchange_accepted_the_order_is_settled_from_the_exchange(
    h, auth_server, fake
):
    u, req = await _dies(h, auth_server)
    [at_fake] = fake.book.orders  # the exchange filled it; the orders database does not know
    cid = at_fake.client_order_id
    app, stub = await h.restart()
    assert await app.reconciler.run_once() == 0  # the dead process's lease has not expired
    h.wall.advance(seconds=LEASE + 1)
    assert await app.reconciler.run_once() == 1
    o = await _replay(stub, u, req)  # the client retries with the same idempotency key
    assert o.replayed and o.state == S.ORDER_STATE_FILLED and o.client_order_id == cid
    assert requests_for(fake, cid) == ["accepted"]  # one order at the exchange, never resent
    spans = [s for s in h.exporter.get_finished_spans() if s.name == "reconcile"]
    assert [(s.attributes["order.id"], s.attributes["decision"]) for s in spans] == [
        (o.id, "recorded")
    ]
    trade = at_fake.fills[0]["id"]
    [lf] = await h.ledger_fills(u)
    assert lf.fill_id == f"{o.id}:{trade}" and (D(lf.amount), D(lf.fee)) == (D("0.01"), D("0.6"))
    h.wall.advance(seconds=60)
    assert await app.reconciler.run_once() == 0  # FILLED is final: nothing more to look at
    assert len(await h.ledger_fills(u)) == 1


@pytest.mark.parametrize("fault_point", [BEFORE_EXCHANGE_CALL])
async def test_killed_before_sending_is_placed_once_settled_with_the_same_client_id(
    h, auth_server, fake
):
    h.wall.freeze()
    u, req = await _dies(h, auth_server)
    assert fake.order_requests == []
    app, stub = await h.restart()
    h.wall.advance(seconds=LEASE + 0.5)  # the lease expired; a request may still be accepted
    assert await app.reconciler.run_once() == 1
    assert fake.order_requests == []
    h.wall.advance(seconds=1)  # 11.5 s after the attempt: it can no longer be accepted
    assert await app.reconciler.run_once() == 1
    o = await _replay(stub, u, req)
    assert o.state == S.ORDER_STATE_FILLED, o.state_reason
    assert requests_for(fake, o.client_order_id) == ["accepted"]
    assert len(await h.ledger_fills(u)) == 1


@pytest.mark.parametrize("fault_point", [BEFORE_EXCHANGE_CALL])
async def test_two_processes_reconciling_at_once_place_the_order_once(h, auth_server, fake):
    u, req = await _dies(h, auth_server)
    (a, stub), (b, _) = await h.restart(), await h.restart()
    h.wall.advance(seconds=LEASE + 2)
    counts = await asyncio.gather(a.reconciler.run_once(), b.reconciler.run_once())
    assert sorted(counts) == [0, 1]
    o = await _replay(stub, u, req)
    assert o.state == S.ORDER_STATE_FILLED
    assert requests_for(fake, o.client_order_id) == ["accepted"]
    assert len(await h.ledger_fills(u)) == 1


@pytest.mark.parametrize("fault_point", [BEFORE_EXCHANGE_CALL])
async def test_an_order_that_never_reached_the_exchange_is_not_placed_minutes_later(
    h, auth_server, fake
):
    u, req = await _dies(h, auth_server)
    app, stub = await h.restart()
    h.wall.advance(minutes=3)
    assert await app.reconciler.run_once() == 1
    o = await _replay(stub, u, req)
    assert o.state == S.ORDER_STATE_FAILED and "never reached the exchange" in o.state_reason
    assert fake.order_requests == []


@pytest.mark.parametrize("fault_point", [AFTER_COMMIT])
async def test_killed_after_the_commit_the_outbox_delivers_the_fill_once(h, auth_server, fake):
    u, req = await _dies(h, auth_server)
    assert await h.ledger_fills(u) == []  # committed in orders, not yet told to the ledger
    app, stub = await h.restart()
    await app.outbox.drain()
    o = await _replay(stub, u, req)
    assert o.state == S.ORDER_STATE_FILLED
    [lf] = await h.ledger_fills(u)
    assert lf.fill_id == o.fills[0].fill_id
    assert requests_for(fake, o.client_order_id) == ["accepted"]


@pytest.mark.parametrize("fault_point", [DURING_OUTBOX_DELIVERY])
async def test_killed_while_delivering_the_fill_is_recorded_once(h, auth_server, fake):
    u, req = await _dies(h, auth_server)
    assert len(await h.ledger_fills(u)) == 1  # the ledger has it; the outbox row is not marked
    app, stub = await h.restart()
    assert await asyncio.to_thread(app.outbox.pending) == 1
    await app.outbox.drain()  # delivered again with the same fill id: recorded once
    assert await asyncio.to_thread(app.outbox.pending) == 0
    o = await _replay(stub, u, req)
    [lf] = await h.ledger_fills(u)
    assert lf.fill_id == o.fills[0].fill_id and o.state == S.ORDER_STATE_FILLED


async def test_a_resting_live_limit_order_is_filled_when_the_exchange_fills_it(
    h, auth_server, fake
):
    u = await user_with_keys(auth_server)
    bot = await h.bot(u, live=True)
    o = await h.submit(u, bot, type=LIMIT, price="59000", amount="0.01")
    assert o.state == S.ORDER_STATE_SUBMITTED and not o.fills  # resting at the exchange
    h.wall.advance(seconds=6)  # past the next look (ORDERS_RECONCILE_SECONDS 5)
    assert await h.app.reconciler.run_once() == 1
    assert (await h.order(u, o.id)).state == S.ORDER_STATE_SUBMITTED
    fake.set_price("BTC/USDT", "58900")  # crosses the limit: filled at 59000, fee 0.59
    h.wall.advance(seconds=6)
    assert await h.app.reconciler.run_once() == 1
    done = await h.order(u, o.id)
    assert done.state == S.ORDER_STATE_FILLED
    [f] = done.fills
    assert (D(f.amount), D(f.price), D(f.fee)) == (D("0.01"), D("59000"), D("0.59"))
    h.wall.advance(seconds=6)
    assert await h.app.reconciler.run_once() == 0
    [lf] = await h.ledger_fills(u)
    assert lf.fill_id == f.fill_id
    assert requests_for(fake, o.client_order_id) == ["accepted"]
