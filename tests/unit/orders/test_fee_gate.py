"""Gate B: cost = 2 x fee (maker for limit, taker for market) + spread + slippage buffer
(market only) + safety margin; passes when edge - cost >= MIN_EDGE_BPS."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.orders.domain.fees import FeeCosts, fee_coverage, parse_spreads
from services.orders.domain.model import Gate, OrderType

# binance-like: maker 7.5, taker 10; BTC/USDT spread 5; buffer 5; margin 2; min edge 5
COSTS = FeeCosts(
    maker_bps=D("7.5"),
    taker_bps=D("10"),
    spread_bps=D("5"),
    slippage_buffer_bps=D("5"),
    safety_margin_bps=D("2"),
    min_edge_bps=D("5"),
)


def test_market_order_boundary():
    # cost = 10 + 10 + 5 + 5 + 2 = 32; needs edge >= 32 + 5 = 37
    ok = fee_coverage(OrderType.MARKET, D("37"), False, COSTS)
    assert ok.passed and ok.gate is Gate.FEE_COVERAGE
    assert ok.figures["cost_bps"] == "32"
    assert ok.figures["net_edge_bps"] == "5"
    refused = fee_coverage(OrderType.MARKET, D("36"), False, COSTS)
    assert not refused.passed
    assert refused.code == "EDGE_BELOW_COST"
    assert "36 bps - cost 32 bps = 4 bps < MIN_EDGE_BPS 5" in refused.reason
    assert not fee_coverage(OrderType.MARKET, D("36.9999"), False, COSTS).passed


def test_limit_order_boundary_uses_maker_fee_and_no_slippage():
    # cost = 7.5 + 7.5 + 5 + 0 + 2 = 22; needs edge >= 27
    ok = fee_coverage(OrderType.LIMIT, D("27"), False, COSTS)
    assert ok.passed
    assert ok.figures["entry_fee_bps"] == "7.5"
    assert ok.figures["slippage_buffer_bps"] == "0"
    assert ok.figures["cost_bps"] == "22"
    assert not fee_coverage(OrderType.LIMIT, D("26"), False, COSTS).passed


def test_reduce_only_skips_the_gate():
    decision = fee_coverage(OrderType.MARKET, D("0"), True, COSTS)
    assert decision.passed
    assert "reduce-only" in decision.reason


@given(
    edge=st.decimals(min_value=-1000, max_value=1000, places=4),
    maker=st.decimals(min_value=0, max_value=100, places=2),
    taker=st.decimals(min_value=0, max_value=100, places=2),
    spread=st.decimals(min_value=0, max_value=100, places=2),
    kind=st.sampled_from([OrderType.MARKET, OrderType.LIMIT]),
)
def test_passes_exactly_when_edge_covers_cost(edge, maker, taker, spread, kind):
    costs = FeeCosts(maker, taker, spread, D("5"), D("2"), D("5"))
    fee = maker if kind is OrderType.LIMIT else taker
    cost = 2 * fee + spread + (D("5") if kind is OrderType.MARKET else 0) + 2
    decision = fee_coverage(kind, edge, False, costs)
    assert decision.passed == (edge - cost >= 5)
    # monotone: more edge never turns a pass into a refusal
    if decision.passed:
        assert fee_coverage(kind, edge + 1, False, costs).passed


def test_parse_spreads():
    assert parse_spreads("BTC/USDT=5, eth/usdt=2.5") == {"BTC/USDT": D("5"), "ETH/USDT": D("2.5")}
    assert parse_spreads("") == {}
    for bad in ["BTC/USDT", "BTCUSDT=5", "BTC/USDT=x", "BTC/USDT=-1"]:
        with pytest.raises(ValueError):
            parse_spreads(bad)
