"""Decimal helpers shared by the ledger's domain logic.

Every amount, price, fee and PnL is a ``Decimal``; nothing here depends on the
global decimal context: arithmetic runs inside ``localcontext(CTX)``.
"""

from __future__ import annotations

import re
from decimal import (
    ROUND_HALF_EVEN,
    Context,
    Decimal,
    DivisionByZero,
    InvalidOperation,
    Overflow,
    localcontext,
)

__all__ = ["CTX", "DomainError", "fmt", "to_decimal"]

CTX = Context(prec=50, rounding=ROUND_HALF_EVEN, traps=[InvalidOperation, DivisionByZero, Overflow])

# Plain decimal notation with an optional exponent; no NaN/Infinity, no "_", no inner spaces.
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_MAX_DIGITS = 50  # significant digits (CTX.prec): more could not take part in arithmetic exactly
_MAX_ADJUSTED = 60  # |adjusted exponent|: keeps fmt() output and arithmetic bounded


class DomainError(ValueError):
    """Bad input for the ledger's arithmetic; ``field`` names the offending input."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def _check_range(d: Decimal, field: str) -> Decimal:
    if not d.is_finite():
        raise DomainError(field, "must be a finite number (not NaN or Infinity)")
    if d.is_zero():
        return d.copy_abs()  # -0 is 0
    digits = "".join(map(str, d.as_tuple().digits)).rstrip("0")
    if len(digits) > _MAX_DIGITS or abs(d.adjusted()) > _MAX_ADJUSTED:
        raise DomainError(field, "number is out of the supported range or precision")
    return d


def to_decimal(value: str | Decimal, field: str) -> Decimal:
    """Parse a decimal string (or check a Decimal); raise DomainError(field, ...) when invalid."""
    if isinstance(value, Decimal):
        return _check_range(value, field)
    if not isinstance(value, str):
        raise DomainError(field, f"must be a decimal string, not {type(value).__name__}")
    text = value.strip()
    if not text:
        raise DomainError(field, "must not be empty")
    if not _NUMBER.fullmatch(text):
        lowered = text.lstrip("+-").lower()
        if lowered.startswith(("nan", "snan")):
            raise DomainError(field, "must be a finite number (not NaN)")
        if lowered in ("inf", "infinity"):
            raise DomainError(field, "must be a finite number (not Infinity)")
        raise DomainError(field, f"not a decimal number: {value!r}")
    try:
        with localcontext(CTX):
            parsed = Decimal(text)  # exact: the constructor does not round
    except InvalidOperation as exc:  # exponent beyond what Decimal can hold
        raise DomainError(field, f"not a decimal number: {value!r}") from exc
    return _check_range(parsed, field)


def fmt(d: Decimal) -> str:
    """Canonical text of a Decimal: no exponent, no trailing zeros or point, "0" for any zero."""
    if not isinstance(d, Decimal):
        raise TypeError(f"fmt expects a Decimal, not {type(d).__name__}")
    if not d.is_finite():
        raise ValueError(f"cannot format a non-finite Decimal: {d}")
    if d.is_zero():
        return "0"
    text = format(d, "f")  # exact digits, positional notation
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text
