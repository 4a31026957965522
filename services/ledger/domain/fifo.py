"""FIFO lot accounting of one (user, bot, symbol) position (DESIGN 5.1).

A buy closes short lots oldest first, then opens a long lot with what is left; a sell closes
long lots oldest first, then opens a short lot. Realized PnL is price-only; fees are kept apart
and each fee is charged exactly once: part to the trade that closes, the rest as entry fee of
the lot it opens (charged to the later trade that closes that lot).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal, localcontext

from .money import CTX, DomainError, fmt, to_decimal

__all__ = [
    "SHARE_EXPONENT",
    "FillIn",
    "FillOutcome",
    "Lot",
    "Position",
    "apply_fill",
    "effective",
    "pro_rata",
]

ZERO = Decimal(0)
# Pro-rata fee shares are rounded half-even to 18 decimal places (or to the fee's own scale
# when finer), so that "share + remainder == fee" and all sums of fees stay exact.
SHARE_EXPONENT = -18


def _require_decimal(value: object, field: str) -> Decimal:
    if not isinstance(value, Decimal):
        raise TypeError(f"{field} must be a Decimal, not {type(value).__name__}")
    if not value.is_finite():
        raise DomainError(field, "must be a finite number")
    return value


@dataclass(frozen=True)
class Lot:
    qty: Decimal  # > 0
    price: Decimal
    fee: Decimal  # entry fee (quote) still attached to the remaining qty

    def __post_init__(self) -> None:
        if _require_decimal(self.qty, "qty") <= 0:
            raise DomainError("qty", "a lot's quantity must be > 0")
        if _require_decimal(self.price, "price") <= 0:
            raise DomainError("price", "a lot's price must be > 0")
        if _require_decimal(self.fee, "fee") < 0:
            raise DomainError("fee", "a lot's entry fee must be >= 0")


@dataclass(frozen=True)
class Position:
    side: int = 0  # +1 long, -1 short, 0 flat
    lots: tuple[Lot, ...] = ()

    def __post_init__(self) -> None:
        if isinstance(self.side, bool) or self.side not in (-1, 0, 1):
            raise DomainError("side", "must be -1, 0 or +1")
        if (self.side == 0) != (len(self.lots) == 0):
            raise DomainError("side", "a flat position has no lots; an open one has some")

    @property
    def amount(self) -> Decimal:
        """Signed open quantity: > 0 long, < 0 short."""
        with localcontext(CTX):
            return sum((lot.qty for lot in self.lots), ZERO) * self.side

    @property
    def average_price(self) -> Decimal:
        """Quantity-weighted mean price of the open lots; 0 when flat."""
        if not self.lots:
            return ZERO
        with localcontext(CTX):
            qty = sum((lot.qty for lot in self.lots), ZERO)
            return sum((lot.qty * lot.price for lot in self.lots), ZERO) / qty

    def to_json(self) -> str:
        lots = [{"qty": fmt(x.qty), "price": fmt(x.price), "fee": fmt(x.fee)} for x in self.lots]
        return json.dumps({"side": self.side, "lots": lots}, sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, s: str) -> Position:
        try:
            data = json.loads(s)
            side = data["side"]
            lots = tuple(
                Lot(
                    qty=to_decimal(raw["qty"], "qty"),
                    price=to_decimal(raw["price"], "price"),
                    fee=to_decimal(raw["fee"], "fee"),
                )
                for raw in data["lots"]
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise DomainError("position", f"malformed position JSON: {exc}") from exc
        if not isinstance(side, int):
            raise DomainError("position", "malformed position JSON: side")
        return cls(side=side, lots=lots)


@dataclass(frozen=True)
class FillIn:
    side: str  # "BUY" | "SELL"
    amount: Decimal
    price: Decimal
    fee: Decimal
    fee_currency: str
    fee_quote: Decimal | None
    base: str
    quote: str


@dataclass(frozen=True)
class FillOutcome:
    position: Position
    realized_pnl: Decimal
    fee_quote: Decimal  # the fill's whole fee valued in quote
    closed_qty: Decimal
    is_trade: bool  # closed_qty > 0
    trade_net: Decimal | None  # None when not a trade
    trade_fee_share: Decimal  # part of own fee belonging to the closing part
    entry_fee_share: Decimal  # entry fees of closed lots


def pro_rata(total: Decimal, part: Decimal, whole: Decimal) -> Decimal:
    """total * part / whole, rounded to the share scale; all of it when part == whole."""
    if part == whole:
        return total
    if part.is_zero() or total.is_zero():
        return ZERO
    raw = total * part / whole
    exponent = min(int(total.as_tuple().exponent), SHARE_EXPONENT)
    exponent = max(exponent, raw.adjusted() - (CTX.prec - 1))  # never more digits than prec
    return raw.quantize(Decimal((0, (1,), exponent)))


def _effective(fill: FillIn) -> tuple[int, Decimal, Decimal]:
    """Validate a fill; return (direction, effective quantity q, fee valued in quote)."""
    return effective(
        fill.side,
        fill.amount,
        fill.price,
        fill.fee,
        fill.fee_currency,
        fill.fee_quote,
        fill.base,
        fill.quote,
    )


def effective(
    side: str,
    amount: Decimal,
    price: Decimal,
    fee: Decimal,
    fee_currency: str,
    fee_quote: Decimal | None,
    base: str,
    quote: str,
) -> tuple[int, Decimal, Decimal]:
    """A fill's fields validated: (direction, effective quantity q, fee valued in quote).

    Runs in the caller's decimal context (``apply_fill`` and the ledger's Book use CTX).
    """
    side = side.upper() if isinstance(side, str) else side
    if side not in ("BUY", "SELL"):
        raise DomainError("side", "must be BUY or SELL")
    direction = 1 if side == "BUY" else -1
    if _require_decimal(amount, "amount") <= 0:
        raise DomainError("amount", "must be > 0")
    if _require_decimal(price, "price") <= 0:
        raise DomainError("price", "must be > 0")
    if _require_decimal(fee, "fee") < 0:
        raise DomainError("fee", "must be >= 0")
    base, quote = base.strip().upper(), quote.strip().upper()
    if not base or not quote or base == quote:
        raise DomainError("symbol", "base and quote must be two different currencies")
    currency = (fee_currency or "").strip().upper()
    q = amount
    if fee.is_zero():
        value = ZERO
    elif currency == quote:
        value = fee
    elif currency == base:
        value = price * fee
        q = amount - fee * direction  # a buy gets less, a sell gives up more
        if q <= 0:
            raise DomainError("fee", "a base-currency fee must be smaller than the amount bought")
    elif not currency:
        raise DomainError("fee_currency", "required when the fee is not zero")
    else:
        if fee_quote is None:
            raise DomainError("fee_quote", f"a fee in {currency} needs its value in {quote}")
        value = _require_decimal(fee_quote, "fee_quote")
        if value < 0:
            raise DomainError("fee_quote", "must be >= 0")
    return direction, q, value


def apply_fill(position: Position, fill: FillIn) -> FillOutcome:
    """Apply one fill to a position (FIFO) and say what it realized and what it cost."""
    with localcontext(CTX):
        direction, q, fee_quote = _effective(fill)
        remaining = q
        realized = ZERO
        entry_share = ZERO
        lots = position.lots
        kept: list[Lot] = []
        index = 0
        if position.side == -direction:  # closing lots oldest first, until the fill is used
            while index < len(lots) and not remaining.is_zero():
                lot = lots[index]
                take = min(remaining, lot.qty)
                if take == lot.qty:
                    share = lot.fee
                else:
                    share = pro_rata(lot.fee, take, lot.qty)
                    kept.append(Lot(lot.qty - take, lot.price, lot.fee - share))
                # long lot (side +1): (fill - entry) * qty; short lot: (entry - fill) * qty
                realized += (fill.price - lot.price) * take * position.side
                entry_share += share
                remaining -= take
                index += 1
        kept.extend(lots[index:])  # the lots this fill does not touch, unchanged
        closed = q - remaining
        own_share = pro_rata(fee_quote, closed, q)
        side = position.side if kept else 0
        if remaining > 0:
            kept.append(Lot(remaining, fill.price, fee_quote - own_share))
            side = direction
        is_trade = closed > 0
        return FillOutcome(
            position=Position(side=side, lots=tuple(kept)),
            realized_pnl=realized,
            fee_quote=fee_quote,
            closed_qty=closed,
            is_trade=is_trade,
            trade_net=realized - own_share - entry_share if is_trade else None,
            trade_fee_share=own_share,
            entry_fee_share=entry_share,
        )
