"""Order state moves, and paper fills worked out by hand."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.orders.domain.model import FINAL_STATES, OrderRequest, OrderType, Side, State
from services.orders.domain.paper import Quote, fee_bps, simulate, slippage_bps
from services.orders.domain.states import IllegalTransition, can_move, check_move


def test_happy_paths():
    for a, b in [
        (State.RECEIVED, State.ACCEPTED),
        (State.RECEIVED, State.REJECTED),
        (State.ACCEPTED, State.FILLED),
        (State.ACCEPTED, State.SUBMITTED),
        (State.SUBMITTED, State.PARTIALLY_FILLED),
        (State.PARTIALLY_FILLED, State.FILLED),
        (State.SUBMITTED, State.FAILED),
    ]:
        check_move(a, b)


def test_illegal_moves():
    with pytest.raises(IllegalTransition):
        check_move(State.REJECTED, State.ACCEPTED)
    with pytest.raises(IllegalTransition):
        check_move(State.RECEIVED, State.FILLED)  # must pass the gates first


@given(st.sampled_from(sorted(FINAL_STATES)), st.sampled_from(list(State)))
def test_final_states_never_move(final, to):
    assert not can_move(final, to)


KW = dict(maker_bps=D("7.5"), taker_bps=D("10"), spread_bps=D("10"), slippage_bps=D("2"))


def test_market_buy_pays_half_spread_and_slippage():
    # mid = (99 + 101) / 2 = 100; half spread 1; slippage 2 bps of 100 = 0.02 -> 101.02
    f = simulate(OrderType.MARKET, Side.BUY, D("2"), None, Quote(D("99"), D("101"), D("100")), **KW)
    assert f.price == D("101.02")
    assert f.expected_price == D("100")
    # fee = 2 * 101.02 * 10 / 10000 = 0.20204
    assert f.fee == D("0.20204")
    assert slippage_bps(Side.BUY, f.expected_price, f.price) == D("102")
    assert fee_bps(f.amount, f.price, f.fee) == D("10")


def test_market_sell_gets_less():
    f = simulate(
        OrderType.MARKET, Side.SELL, D("1"), None, Quote(D("99"), D("101"), D("100")), **KW
    )
    assert f.price == D("98.98")


def test_market_without_book_uses_spread_estimate():
    # last 200, spread estimate 10 bps -> half = 0.1; slippage 0.04 -> 200.14
    f = simulate(OrderType.MARKET, Side.BUY, D("1"), None, Quote(None, None, D("200")), **KW)
    assert f.price == D("200.14")


def test_limit_fills_only_when_reached_at_its_price_with_maker_fee():
    q = Quote(D("99"), D("101"), D("100"))
    assert simulate(OrderType.LIMIT, Side.BUY, D("1"), D("100.99"), q, **KW) is None
    f = simulate(OrderType.LIMIT, Side.BUY, D("1"), D("101"), q, **KW)
    assert f.price == D("101") and f.fee == D("0.07575")
    assert simulate(OrderType.LIMIT, Side.SELL, D("1"), D("99.01"), q, **KW) is None
    assert simulate(OrderType.LIMIT, Side.SELL, D("1"), D("99"), q, **KW).price == D("99")


@given(
    mid=st.decimals(min_value=D("0.01"), max_value=D("100000"), places=2),
    side=st.sampled_from([Side.BUY, Side.SELL]),
)
def test_market_fill_is_never_better_than_mid(mid, side):
    f = simulate(OrderType.MARKET, side, D("1"), None, Quote(None, None, mid), **KW)
    assert (f.price >= mid) if side is Side.BUY else (f.price <= mid)


def _req(**kw):
    base = dict(
        idempotency_key="k", bot_id="b", exchange="binance", symbol="BTC/USDT", side=Side.BUY,
        type=OrderType.MARKET, amount=D("1"), price=None, expected_edge_bps=D("50"),
        reduce_only=False,
    )  # fmt: skip
    base.update(kw)
    return OrderRequest(**base)


def test_fingerprint_compares_by_value():
    assert _req(amount=D("1.50")).fingerprint() == _req(amount=D("1.5")).fingerprint()
    assert _req().fingerprint() != _req(amount=D("2")).fingerprint()
    assert _req().fingerprint() == _req(idempotency_key="other").fingerprint()
