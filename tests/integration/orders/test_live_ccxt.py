"""LIVE orders through REAL ccxt against the fake Binance (tests/fakes/fake_binance.py), with
the exchange keys from the real auth service and the fills in the real ledger.

The fake fills a market order at once at its price (BTC/USDT 60000) and charges 0.1% in USDT;
BTC/USDT's step is 0.00001. So a buy of 0.01 fills 0.01 @ 60000, fee 600 * 0.001 = 0.6.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from amarktai.ledger.v1 import ledger_pb2
from amarktai.orders.v1 import orders_pb2 as pb
from services.orders.exchange import client_order_id
from tests.integration.orders.conftest import ccxt_live
from tests.integration.orders.helpers import S, errors_last_hour, requests_for, user_with_keys

D = Decimal


@pytest.fixture
def auth_addr(auth_server) -> str:
    return auth_server.addr


@pytest.fixture
def live_factory(fake):
    return ccxt_live(fake)


async def test_a_live_market_order_is_filled_with_the_exchanges_fills_and_fee(h, auth_server, fake):
    u = await user_with_keys(auth_server)
    bot = await h.bot(u, live=True)
    o = await h.submit(u, bot, amount="0.01", idempotency_key="live-1")
    assert (o.mode, o.state) == (pb.ORDER_MODE_LIVE, S.ORDER_STATE_FILLED), o.state_reason
    assert o.client_order_id == client_order_id(u, "live-1", o.id)
    [at_fake] = fake.orders_for(o.client_order_id)
    assert o.exchange_order_id == str(at_fake.order_id)
    [f] = o.fills
    trade = at_fake.fills[0]["id"]
    assert (f.trade_id, D(f.amount), D(f.price), D(f.fee), f.fee_currency) == (
        str(trade), D("0.01"), D("60000"), D("0.6"), "USDT"
    )  # fmt: skip
    assert D(o.average_price) == D("60000") and D(o.filled_amount) == D("0.01")
    [lf] = await h.ledger_fills(u)
    assert lf.fill_id == f"{o.id}:{trade}" and lf.source == ledger_pb2.FILL_SOURCE_LIVE
    assert (D(lf.amount), D(lf.price), D(lf.fee), lf.fee_currency) == (
        D("0.01"), D("60000"), D("0.6"), "USDT"
    )  # fmt: skip
    again = await h.submit(u, bot, amount="0.01", idempotency_key="live-1")
    assert again.replayed and again.id == o.id
    assert requests_for(fake, o.client_order_id) == ["accepted"]


async def test_the_amount_is_rounded_down_to_the_step_and_the_ledger_keeps_what_filled(
    h, auth_server, fake
):
    u = await user_with_keys(auth_server)
    bot = await h.bot(u, live=True)
    o = await h.submit(u, bot, amount="0.0123456")
    assert o.state == S.ORDER_STATE_FILLED, o.state_reason
    [sent] = [r for r in fake.order_requests if r.client_order_id == o.client_order_id]
    assert sent.params["quantity"] == "0.01234"  # step 0.00001, rounded down
    assert D(o.amount) == D("0.0123456") and D(o.filled_amount) == D("0.01234")
    [lf] = await h.ledger_fills(u)
    # 0.01234 * 60000 = 740.4; fee 0.1% = 0.7404
    assert (D(lf.amount), D(lf.fee)) == (D("0.01234"), D("0.7404"))


@pytest.mark.parametrize(
    ("refusal", "binance_code", "code"),
    [("balance", -2010, "INSUFFICIENT_FUNDS"), ("invalid_order", -1013, "INVALID_ORDER")],
)
async def test_a_refusal_fails_the_order_and_counts_one_execution_error(
    h, auth_server, fake, refusal, binance_code, code
):
    u = await user_with_keys(auth_server)
    bot = await h.bot(u, live=True)
    if refusal == "balance":
        fake.set_balance("USDT", "100")  # 0.01 BTC at 60000 needs 600.6 USDT with the fee
    else:
        fake.fail_next(refusal)  # Binance's -1013 filter failure
    o = await h.submit(u, bot, amount="0.01")
    assert o.state == S.ORDER_STATE_FAILED and code in o.state_reason
    assert requests_for(fake, o.client_order_id) == [f"error {binance_code}"]  # sent once
    assert fake.orders_for(o.client_order_id) == []
    assert await h.ledger_fills(u) == []
    assert await errors_last_hour(h, u) == 1


async def test_a_rate_limit_is_retried_with_the_same_client_order_id(h, auth_server, fake):
    u = await user_with_keys(auth_server)
    bot = await h.bot(u, live=True)
    fake.fail_next("rate_limit")
    o = await h.submit(u, bot, amount="0.01")
    assert o.state == S.ORDER_STATE_FILLED, o.state_reason
    assert requests_for(fake, o.client_order_id) == ["error -1003", "accepted"]
    assert len(fake.orders_for(o.client_order_id)) == 1
    assert len(await h.ledger_fills(u)) == 1
    assert await errors_last_hour(h, u) == 1  # the rate limit counts as an execution error


@pytest.mark.parametrize("kind", ["timeout_after_accept", "disconnect_after_accept"])
async def test_an_accepted_order_whose_answer_is_lost_is_found_by_client_id(
    h, auth_server, fake, kind
):
    u = await user_with_keys(auth_server)
    bot = await h.bot(u, live=True)
    fake.fail_next(kind)
    o = await h.submit(u, bot, amount="0.01")
    assert o.state == S.ORDER_STATE_FILLED, o.state_reason
    assert requests_for(fake, o.client_order_id) == [f"accepted+{kind}"]  # never sent again
    [at_fake] = fake.orders_for(o.client_order_id)
    assert o.exchange_order_id == str(at_fake.order_id)
    [lf] = await h.ledger_fills(u)
    assert lf.fill_id == f"{o.id}:{at_fake.fills[0]['id']}" and D(lf.fee) == D("0.6")
    assert await errors_last_hour(h, u) == 1
