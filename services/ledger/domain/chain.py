"""The per-user hash chain of ledger entries (DESIGN 5.1).

Each entry's hash is SHA-256 over the previous entry's hash, its own sequence number and its
canonical fields, so changing, removing or reordering any entry breaks the chain from there.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from decimal import Decimal

from .money import fmt

__all__ = ["GENESIS", "canonical", "entry_hash", "verify_chain"]

GENESIS = "0" * 64
_encode = json.encoder.encode_basestring  # what json.dumps uses with ensure_ascii=False
_ORDERS: dict[tuple, list[tuple[str, str]]] = {}  # key layout -> sorted (key, encoded "key":)


def _plain(value: object, path: str) -> object:
    """A JSON-ready copy of value; Decimals as canonical strings, datetimes as UTC ISO-8601."""
    kind = type(value)
    if kind is str or value is None:
        return value
    if kind is Decimal:
        return fmt(value)
    if isinstance(value, str | bool | int):
        return value
    if isinstance(value, Decimal):
        return fmt(value)
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"{path}: datetime must be timezone-aware")
        naive = value.astimezone(UTC).replace(tzinfo=None)
        return naive.isoformat(timespec="microseconds") + "Z"
    if isinstance(value, Mapping):
        out: dict[str, object] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"{path}: keys must be str, not {type(key).__name__}")
            out[key] = _plain(item, f"{path}.{key}")
        return out
    if isinstance(value, list | tuple):
        return [_plain(item, f"{path}[{i}]") for i, item in enumerate(value)]
    raise TypeError(f"{path}: cannot put a {type(value).__name__} into canonical fields")


def canonical(fields: Mapping[str, object]) -> str:
    """Deterministic JSON of an entry's fields: sorted keys, no whitespace, no floats."""
    if not isinstance(fields, Mapping):
        raise TypeError("canonical expects a mapping")
    fast = _flat(fields)
    if fast is not None:
        return fast
    plain = {}
    for key, value in fields.items():
        kind = type(value)
        if kind is Decimal:  # the common scalar cases first: this runs for every entry
            plain[key] = fmt(value)
        elif kind is str or value is None:
            plain[key] = value
        else:
            plain[key] = _plain(value, f"fields.{key}")
        if type(key) is not str:
            raise TypeError(f"fields: keys must be str, not {type(key).__name__}")
    return json.dumps(plain, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _flat(fields: Mapping[str, object]) -> str | None:
    """canonical() of fields whose values are all str, None, Decimal or UTC datetime, built
    directly (the same text json.dumps gives, with json's own string encoder); None for any
    other mapping, which then takes the general path."""
    layout = tuple(fields)
    order = _ORDERS.get(layout)
    if order is None:
        if not all(type(k) is str for k in layout):
            return None
        order = [(k, f"{_encode(k)}:") for k in sorted(layout)]
        if len(_ORDERS) < 64:  # entries have a few layouts; anything else is not kept
            _ORDERS[layout] = order
    parts = []
    for key, prefix in order:
        value = fields[key]
        kind = type(value)
        if kind is str:
            parts.append(prefix + _encode(value))
        elif value is None:
            parts.append(prefix + "null")
        elif kind is Decimal:
            parts.append(f'{prefix}"{fmt(value)}"')  # digits, sign and point: nothing to escape
        elif kind is datetime and value.tzinfo is UTC:
            iso = value.replace(tzinfo=None).isoformat(timespec="microseconds")
            parts.append(f'{prefix}"{iso}Z"')
        else:
            return None
    return "{" + ",".join(parts) + "}"


def entry_hash(prev_hash: str, sequence: int, canonical_fields: str) -> str:
    """Hex SHA-256 of "prev_hash|sequence|canonical_fields" (UTF-8)."""
    text = f"{prev_hash}|{sequence}|{canonical_fields}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def verify_chain(entries: Iterable[tuple[int, str, str]]) -> list[str]:
    """Check (sequence, canonical, stored_hash) rows in order; return the problems found.

    Each hash is recomputed over the previous row's stored hash, so a changed entry is
    reported at its own sequence (and a rewritten hash at the entry after it).
    """
    problems: list[str] = []
    expected = 1
    prev_hash = GENESIS
    for sequence, canonical_fields, stored in entries:
        if sequence != expected:
            if sequence > expected:
                missing = (
                    f"{expected}" if sequence == expected + 1 else f"{expected}..{sequence - 1}"
                )
                problems.append(f"gap in sequence: entry {missing} missing before {sequence}")
            else:
                problems.append(
                    f"sequence out of order: {sequence} after {expected - 1} (expected {expected})"
                )
        computed = entry_hash(prev_hash, sequence, canonical_fields)
        if computed != stored:
            problems.append(
                f"hash mismatch at sequence {sequence}: stored {stored}, computed {computed}"
            )
        prev_hash = stored
        expected = max(expected, sequence + 1)
    return problems
