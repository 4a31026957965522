"""The reconciler with a scripted exchange: partial fills arrive over several looks and each is
recorded once (by trade id); an exchange that says "filled" before listing every fill does not
end the order early; a failed lookup is an execution error and is tried again later.

A limit buy of 0.01 @ 50000 rests; it fills 0.004 then 0.006, fees 0.2 and 0.3 USDT.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from services.orders.exchange import ExchangeFill, ExchangeOrder, Retryable
from services.orders.live import LiveExecution
from tests.integration.orders.helpers import LIMIT, S, errors_last_hour, user_with_keys

D = Decimal
T1 = ExchangeFill("t1", D("0.004"), D("50000"), D("0.2"), "USDT")
T2 = ExchangeFill("t2", D("0.006"), D("50000"), D("0.3"), "USDT")


class ScriptedVenue:
    settle_seconds = 0.0

    def __init__(self, script: list) -> None:
        self.script = script  # what each lookup answers, in turn

    def _order(self, req_or_cid, status: str, filled: str, fills: list) -> ExchangeOrder:
        return ExchangeOrder(
            "X-7", "cid", "BTC/USDT", "buy", "limit", status, D("0.01"), D("50000"), D(filled),
            D("50000") if fills else None, fills,
        )  # fmt: skip

    async def place(self, req):
        return self._order(req, "open", "0", [])

    async def lookup(self, client_order_id, symbol):
        answer = self.script.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return self._order(client_order_id, *answer)


@pytest.fixture
def auth_addr(auth_server) -> str:
    return auth_server.addr


@pytest.fixture
def script() -> list:
    return []


@pytest.fixture
def live_factory(script):
    return lambda app: LiveExecution(app, lambda *keys: ScriptedVenue(script))


async def _look(h) -> int:
    h.wall.advance(seconds=11)  # past any next look (5 s, or 10 s after a failed lookup)
    return await h.app.reconciler.run_once()


async def test_partial_fills_are_recorded_once_each_and_trailing_fills_wait(h, auth_server, script):
    u = await user_with_keys(auth_server)
    bot = await h.bot(u, live=True)
    o = await h.submit(u, bot, type=LIMIT, price="50000", amount="0.01")
    assert o.state == S.ORDER_STATE_SUBMITTED and o.exchange_order_id == "X-7"
    script.extend(
        [
            ("open", "0.004", [T1]),
            ("open", "0.004", [T1]),  # nothing new
            ("closed", "0.01", [T1]),  # filled, but t2 not listed yet
            ("closed", "0.01", [T1, T2]),
        ]
    )
    assert await _look(h) == 1
    o = await h.order(u, o.id)
    assert o.state == S.ORDER_STATE_PARTIALLY_FILLED and D(o.filled_amount) == D("0.004")
    assert await _look(h) == 1
    assert await _look(h) == 1
    o = await h.order(u, o.id)
    assert o.state == S.ORDER_STATE_PARTIALLY_FILLED  # not final while a fill is missing
    assert await _look(h) == 1
    o = await h.order(u, o.id)
    assert o.state == S.ORDER_STATE_FILLED and D(o.filled_amount) == D("0.01")
    assert D(o.average_price) == D("50000")
    fills = await h.ledger_fills(u)
    assert sorted((f.fill_id, D(f.amount), D(f.fee)) for f in fills) == [
        (f"{o.id}:t1", D("0.004"), D("0.2")),
        (f"{o.id}:t2", D("0.006"), D("0.3")),
    ]
    assert await _look(h) == 0 and script == []


async def test_a_failed_lookup_counts_as_an_execution_error_and_is_tried_again(
    h, auth_server, script
):
    u = await user_with_keys(auth_server)
    bot = await h.bot(u, live=True)
    o = await h.submit(u, bot, type=LIMIT, price="50000", amount="0.01")
    script.extend([Retryable("HTTP 503", "READ_FAILED"), ("closed", "0.01", [T1, T2])])
    h.wall.advance(seconds=6)
    assert await h.app.reconciler.run_once() == 1
    assert (await h.order(u, o.id)).state == S.ORDER_STATE_SUBMITTED
    assert await errors_last_hour(h, u) == 1
    h.wall.advance(seconds=6)  # the look after a failed lookup waits 10 s
    assert await h.app.reconciler.run_once() == 0
    h.wall.advance(seconds=5)
    assert await h.app.reconciler.run_once() == 1
    assert (await h.order(u, o.id)).state == S.ORDER_STATE_FILLED
    assert len(await h.ledger_fills(u)) == 2
