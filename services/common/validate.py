"""Parsing request fields; every failure is an INVALID_ARGUMENT naming the field."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from google.protobuf.timestamp_pb2 import Timestamp

from services.common.errors import invalid

SYMBOL_RE = re.compile(r"^[A-Z0-9]{1,20}/[A-Z0-9]{1,20}$")
CURRENCY_RE = re.compile(r"^[A-Z0-9]{1,20}$")
ID_RE = re.compile(r"^[A-Za-z0-9._:@/+=-]{1,128}$")
MAX_DIGITS = 40


def decimal(
    value: str,
    field: str,
    *,
    positive: bool = False,
    allow_negative: bool = False,
    nonzero: bool = False,
    required: bool = True,
) -> Decimal | None:
    """Parse a decimal string: finite, at most 40 digits; sign rules as asked."""
    if value == "":
        if required:
            raise invalid(field, "is required")
        return None
    try:
        d = Decimal(value.strip())
    except InvalidOperation:
        raise invalid(field, f"{value!r} is not a decimal number") from None
    if not d.is_finite():
        raise invalid(field, f"{value!r} is not a finite number")
    if len(d.as_tuple().digits) > MAX_DIGITS or abs(d.adjusted()) > 30:
        raise invalid(field, "has too many digits")
    if positive and d <= 0:
        raise invalid(field, "must be greater than zero")
    if not positive and not allow_negative and d < 0:
        raise invalid(field, "must not be negative")
    if nonzero and d == 0:
        raise invalid(field, "must not be zero")
    return d + 0  # normalises -0 to 0


def symbol(value: str, field: str = "symbol") -> str:
    s = value.strip().upper()
    if not SYMBOL_RE.match(s):
        raise invalid(field, f"{value!r} is not BASE/QUOTE, e.g. BTC/USDT")
    return s


def currency(value: str, field: str) -> str:
    c = value.strip().upper()
    if not CURRENCY_RE.match(c):
        raise invalid(field, f"{value!r} is not a currency code")
    return c


def identifier(value: str, field: str, *, required: bool = True) -> str:
    if value == "":
        if required:
            raise invalid(field, "is required")
        return ""
    if not ID_RE.match(value):
        raise invalid(field, "must be 1-128 characters of letters, digits and ._:@/+=-")
    return value


def text(value: str, field: str, max_len: int = 1000) -> str:
    if len(value) > max_len:
        raise invalid(field, f"is longer than {max_len} characters")
    if any(ord(c) < 32 and c not in "\t\n" for c in value):
        raise invalid(field, "contains control characters")
    return value


def timestamp(ts: Timestamp, present: bool, field: str) -> datetime | None:
    if not present:
        return None
    try:
        dt = ts.ToDatetime(tzinfo=UTC)
    except (ValueError, OverflowError):
        raise invalid(field, "is not a valid time") from None
    if dt.year < 2000 or dt.year > 2200:
        raise invalid(field, "is out of range (years 2000 to 2200)")
    return dt


def page_size(value: int, field: str = "page_size", default: int = 100) -> int:
    if value < 0:
        raise invalid(field, "must not be negative")
    if value > 1000:
        raise invalid(field, "must be at most 1000")
    return value or default


def enum_name(enum_type, value: int, field: str, prefix: str) -> str:
    """The short name of a proto enum value (SIDE_BUY -> BUY); unset or unknown is invalid."""
    try:
        name = enum_type.Name(value)
    except ValueError:
        raise invalid(field, f"unknown value {value}") from None
    if name.endswith("_UNSPECIFIED"):
        raise invalid(field, "is required")
    return name[len(prefix) :]


def decimal_text_or_empty(d: Decimal | None) -> str:
    """A decimal as canonical text for a response; '' when absent."""
    from services.common.db import decimal_text

    return "" if d is None else decimal_text(d)
