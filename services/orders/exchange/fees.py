"""Maker/taker fees in basis points: ccxt's offline description of the exchange, or overrides.

``FEE_OVERRIDES_BPS`` looks like ``binance=7.5/10,kraken=16/26``: per exchange, maker/taker in
basis points. ccxt's fractions (0.001) become basis points (10) through ``str``, never through
float arithmetic.
"""

from __future__ import annotations

import functools
from decimal import Context, Decimal, DivisionByZero, InvalidOperation, Overflow, localcontext

import ccxt

FeeOverrides = dict[str, tuple[Decimal, Decimal]]

_CTX = Context(prec=34, traps=[InvalidOperation, DivisionByZero, Overflow])
_MIN_BPS, _MAX_BPS = Decimal(-100), Decimal(1000)  # sanity bounds: rebates down to -1%, fees to 10%


def is_known_exchange(exchange_id: str) -> bool:
    return exchange_id in ccxt.exchanges


def _plain(value: Decimal) -> Decimal:
    """10.000 -> 10, 7.50 -> 7.5, without scientific notation."""
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()


@functools.cache
def _ccxt_bps(exchange_id: str) -> tuple[Decimal, Decimal]:
    """(maker, taker) bps from ccxt's description: ``fees['trading']``, or ``fees['spot']`` or
    ``fees`` itself where ccxt keeps them. Cached, since building a ccxt object is slow."""
    fees = getattr(ccxt, exchange_id)().fees
    for scope in (fees.get("trading") or {}, fees.get("spot") or {}, fees):
        maker, taker = scope.get("maker"), scope.get("taker")
        if maker is not None or taker is not None:
            break
    usable = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (maker, taker))
    if not usable or scope.get("percentage") is False:
        raise ValueError(
            f"ccxt gives no percentage trading fees for {exchange_id!r}: set FEE_OVERRIDES_BPS"
        )
    with localcontext(_CTX):
        return _plain(Decimal(str(maker)) * 10000), _plain(Decimal(str(taker)) * 10000)


def maker_taker_bps(exchange_id: str, overrides: FeeOverrides) -> tuple[Decimal, Decimal]:
    """(maker, taker) in basis points: the override when there is one, else ccxt's.

    Raises ValueError for an exchange ccxt does not know (and that has no override), or one
    whose description has no percentage trading fees.
    """
    if exchange_id in overrides:
        return overrides[exchange_id]
    if not is_known_exchange(exchange_id):
        raise ValueError(f"unknown exchange {exchange_id!r}")
    return _ccxt_bps(exchange_id)


def _bps(text: str, what: str, part: str) -> Decimal:
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise ValueError(f"bad part {part!r}: {what} fee {text!r} is not a number") from None
    if not value.is_finite() or not _MIN_BPS <= value <= _MAX_BPS:
        raise ValueError(
            f"bad part {part!r}: {what} fee {text!r} must be between {_MIN_BPS} and {_MAX_BPS} bps"
        )
    return _plain(value)


def parse_fee_overrides(text: str) -> FeeOverrides:
    """Parse ``binance=7.5/10,kraken=16/26``; an empty text means no overrides.

    Raises ValueError naming the bad part: a missing ``=`` or ``/``, an exchange ccxt does not
    know, a fee that is not a number in [-100, 1000] bps, an exchange given twice.
    """
    overrides: FeeOverrides = {}
    for raw in text.split(","):
        part = raw.strip()
        if not part:
            continue
        name, eq, fees = part.partition("=")
        exchange_id = name.strip().lower()
        maker, slash, taker = fees.partition("/")
        if not eq or not slash or not exchange_id:
            raise ValueError(f"bad part {part!r}: expected exchange=maker/taker (binance=7.5/10)")
        if not is_known_exchange(exchange_id):
            raise ValueError(f"bad part {part!r}: ccxt does not know the exchange {exchange_id!r}")
        if exchange_id in overrides:
            raise ValueError(f"bad part {part!r}: {exchange_id} is given twice")
        overrides[exchange_id] = (_bps(maker, "maker", part), _bps(taker, "taker", part))
    return overrides
