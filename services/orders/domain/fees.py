"""Gate B, fee coverage: does the strategy's expected edge pay for a round trip?

cost_bps = entry fee + exit fee (the maker fee for a limit order, the taker fee for a market
order, both legs alike) + the symbol's spread estimate + the slippage buffer (market orders
only) + the safety margin. The order passes when expected_edge_bps - cost_bps >= min_edge_bps.
Reduce-only orders close a position and skip the gate.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, localcontext

from services.orders.domain.model import Gate, GateDecision, OrderType, bps_text


@dataclass(frozen=True)
class FeeCosts:
    """What a round trip costs on one exchange and symbol, in basis points."""

    maker_bps: Decimal
    taker_bps: Decimal
    spread_bps: Decimal
    slippage_buffer_bps: Decimal
    safety_margin_bps: Decimal
    min_edge_bps: Decimal

    def fee_bps(self, order_type: OrderType) -> Decimal:
        return self.maker_bps if order_type is OrderType.LIMIT else self.taker_bps

    def cost_bps(self, order_type: OrderType) -> Decimal:
        with localcontext() as ctx:
            ctx.prec = 34
            slippage = self.slippage_buffer_bps if order_type is OrderType.MARKET else Decimal(0)
            fees = 2 * self.fee_bps(order_type)
            return fees + self.spread_bps + slippage + self.safety_margin_bps


def fee_coverage(
    order_type: OrderType, expected_edge_bps: Decimal, reduce_only: bool, costs: FeeCosts
) -> GateDecision:
    if reduce_only:
        return GateDecision(
            Gate.FEE_COVERAGE, True, "reduce-only order: fee coverage not required",
            figures={"reduce_only": "true"},
        )  # fmt: skip
    fee = costs.fee_bps(order_type)
    cost = costs.cost_bps(order_type)
    with localcontext() as ctx:
        ctx.prec = 34
        margin = expected_edge_bps - cost
    figures = {
        "expected_edge_bps": bps_text(expected_edge_bps),
        "entry_fee_bps": bps_text(fee),
        "exit_fee_bps": bps_text(fee),
        "spread_bps": bps_text(costs.spread_bps),
        "slippage_buffer_bps": bps_text(
            costs.slippage_buffer_bps if order_type is OrderType.MARKET else Decimal(0)
        ),
        "safety_margin_bps": bps_text(costs.safety_margin_bps),
        "cost_bps": bps_text(cost),
        "net_edge_bps": bps_text(margin),
        "min_edge_bps": bps_text(costs.min_edge_bps),
    }
    summary = (
        f"expected edge {bps_text(expected_edge_bps)} bps - cost {bps_text(cost)} bps = "
        f"{bps_text(margin)} bps"
    )
    if margin >= costs.min_edge_bps:
        return GateDecision(
            Gate.FEE_COVERAGE, True, f"{summary} >= MIN_EDGE_BPS {bps_text(costs.min_edge_bps)}",
            figures=figures,
        )  # fmt: skip
    return GateDecision(
        Gate.FEE_COVERAGE,
        False,
        f"{summary} < MIN_EDGE_BPS {bps_text(costs.min_edge_bps)}: fees and spread eat the edge",
        code="EDGE_BELOW_COST",
        figures=figures,
    )


def parse_spreads(text: str) -> dict[str, Decimal]:
    """``BTC/USDT=5,ETH/USDT=5`` -> {symbol: bps}; ValueError naming the bad item."""
    out: dict[str, Decimal] = {}
    for item in (text or "").split(","):
        item = item.strip()
        if not item:
            continue
        symbol, sep, value = item.partition("=")
        symbol = symbol.strip().upper()
        if not sep or "/" not in symbol:
            raise ValueError(f"{item!r} is not SYMBOL=BPS (e.g. BTC/USDT=5)")
        try:
            bps = Decimal(value.strip())
        except ArithmeticError:
            raise ValueError(f"{item!r}: {value!r} is not a number") from None
        if not bps.is_finite() or bps < 0:
            raise ValueError(f"{item!r}: the spread must be a number >= 0")
        out[symbol] = bps
    return out
