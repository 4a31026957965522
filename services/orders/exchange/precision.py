"""Rounding amounts and prices to a market's precision, with Decimal in a local context.

Same results as ccxt's ``amount_to_precision`` (truncate) and ``price_to_precision`` (round
half up), without ccxt's ``decimal_to_precision``, which changes the thread's global decimal
context.
"""

from __future__ import annotations

from decimal import (
    ROUND_DOWN,
    ROUND_HALF_UP,
    Context,
    Decimal,
    DivisionByZero,
    InvalidOperation,
    Overflow,
    localcontext,
)

from ccxt.base.decimal_to_precision import DECIMAL_PLACES, SIGNIFICANT_DIGITS, TICK_SIZE

_CTX = Context(prec=50, traps=[InvalidOperation, DivisionByZero, Overflow])


def _step(exponent: int) -> Decimal:
    return Decimal(1).scaleb(exponent)


def round_to_precision(value: Decimal, precision: object, mode: int, *, truncate: bool) -> Decimal:
    """``value`` rounded to ``precision`` as ccxt reads it in ``mode`` (a ccxt precisionMode):
    TICK_SIZE (a multiple of the tick, e.g. '0.00001'), DECIMAL_PLACES (that many digits after
    the point) or SIGNIFICANT_DIGITS. ``truncate`` rounds toward zero (amounts), otherwise half
    up (prices). Raises ValueError for a precision that cannot be used."""
    rounding = ROUND_DOWN if truncate else ROUND_HALF_UP
    if precision is None:
        raise ValueError("the market has no precision for this value")
    with localcontext(_CTX):
        p = Decimal(str(precision))
        if mode == TICK_SIZE:
            if not p.is_finite() or p <= 0:
                raise ValueError(f"tick size {precision!r} is not positive")
            units = (value / p).quantize(Decimal(1), rounding=rounding)
            return (units * p).quantize(_step(min(p.normalize().as_tuple().exponent, 0)))
        if p != p.to_integral_value():
            raise ValueError(f"precision {precision!r} is not a whole number of digits")
        digits = int(p)
        if mode == DECIMAL_PLACES:
            if digits < 0:
                return round_to_precision(value, _step(-digits), TICK_SIZE, truncate=truncate)
            return value.quantize(_step(-digits), rounding=rounding)
        if mode == SIGNIFICANT_DIGITS:
            if digits <= 0:
                raise ValueError(f"{digits} significant digits")
            if value == 0:
                return Decimal(0)
            exponent = value.adjusted() - digits + 1
            rounded = value.quantize(_step(exponent), rounding=rounding)
            return rounded.quantize(Decimal(1)) if exponent > 0 else rounded
        raise ValueError(f"unknown precision mode {mode!r}")


def plain(value: Decimal) -> str:
    """The decimal as text without exponent, as exchanges expect: 0.00001 not 1E-5."""
    return format(value, "f")
