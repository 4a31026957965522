"""Paper execution: fills simulated on market data, never better for the trader than reality.

- Market order: the mid price, plus half the spread and the slippage model, against the
  trader (a buy pays more, a sell gets less). The half spread is the quote's own (ask - bid)
  / 2 when it has both sides, else half the configured spread estimate. The slippage model is
  a fixed PAPER_SLIPPAGE_BPS of the mid. Taker fee.
- Limit order: fills, whole, at its limit price once the market reaches it (a buy when the ask
  is at or below the limit, a sell when the bid is at or above it). Maker fee.
- Fees are charged in the quote currency: notional * fee_bps / 10000.
Prices are rounded to 1e-8 against the trader, fees to 1e-10 up.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal, localcontext

from services.orders.domain.model import BPS, OrderType, Side

PRICE_STEP = Decimal("1e-8")
FEE_STEP = Decimal("1e-10")


@dataclass(frozen=True)
class Quote:
    bid: Decimal | None
    ask: Decimal | None
    last: Decimal

    @property
    def mid(self) -> Decimal:
        if self.bid is not None and self.ask is not None and self.bid > 0 and self.ask > 0:
            with localcontext() as ctx:
                ctx.prec = 40
                return (self.bid + self.ask) / 2
        return self.last


@dataclass(frozen=True)
class PaperFill:
    amount: Decimal
    price: Decimal
    fee: Decimal
    expected_price: Decimal
    expected_fee_bps: Decimal


def half_spread(quote: Quote, spread_bps: Decimal) -> Decimal:
    with localcontext() as ctx:
        ctx.prec = 40
        if quote.bid is not None and quote.ask is not None and quote.ask >= quote.bid > 0:
            return (quote.ask - quote.bid) / 2
        return quote.mid * spread_bps / BPS / 2


def market_price(side: Side, quote: Quote, spread_bps: Decimal, slippage_bps: Decimal) -> Decimal:
    with localcontext() as ctx:
        ctx.prec = 40
        mid = quote.mid
        move = half_spread(quote, spread_bps) + mid * slippage_bps / BPS
        if side is Side.BUY:
            return (mid + move).quantize(PRICE_STEP, rounding=ROUND_CEILING)
        return (mid - move).quantize(PRICE_STEP, rounding=ROUND_FLOOR)


def limit_reached(side: Side, limit: Decimal, quote: Quote) -> bool:
    if side is Side.BUY:
        ask = quote.ask if quote.ask is not None else quote.last
        return ask <= limit
    bid = quote.bid if quote.bid is not None else quote.last
    return bid >= limit


def fee_for(amount: Decimal, price: Decimal, fee_bps: Decimal) -> Decimal:
    with localcontext() as ctx:
        ctx.prec = 40
        return (amount * price * fee_bps / BPS).quantize(FEE_STEP, rounding=ROUND_CEILING)


def simulate(
    order_type: OrderType,
    side: Side,
    amount: Decimal,
    limit_price: Decimal | None,
    quote: Quote,
    *,
    maker_bps: Decimal,
    taker_bps: Decimal,
    spread_bps: Decimal,
    slippage_bps: Decimal,
) -> PaperFill | None:
    """The fill the order gets on this quote, or None (a limit the market has not reached)."""
    if order_type is OrderType.MARKET:
        price = market_price(side, quote, spread_bps, slippage_bps)
        return PaperFill(amount, price, fee_for(amount, price, taker_bps), quote.mid, taker_bps)
    assert limit_price is not None
    if not limit_reached(side, limit_price, quote):
        return None
    return PaperFill(
        amount, limit_price, fee_for(amount, limit_price, maker_bps), limit_price, maker_bps
    )


def slippage_bps(side: Side, expected: Decimal, actual: Decimal) -> Decimal:
    """Positive when the price was worse for the trader than expected."""
    if expected <= 0:
        return Decimal(0)
    with localcontext() as ctx:
        ctx.prec = 40
        diff = actual - expected if side is Side.BUY else expected - actual
        return (diff / expected * BPS).quantize(Decimal("0.0001"))


def fee_bps(amount: Decimal, price: Decimal, fee_quote: Decimal) -> Decimal:
    with localcontext() as ctx:
        ctx.prec = 40
        notional = amount * price
        if notional <= 0:
            return Decimal(0)
        return (fee_quote / notional * BPS).quantize(Decimal("0.0001"))
