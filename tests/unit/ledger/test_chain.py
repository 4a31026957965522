"""Canonical fields and the SHA-256 hash chain of ledger entries."""

import hashlib
import json
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.ledger.domain import GENESIS, canonical, entry_hash, fmt, verify_chain


def test_canonical_sorts_keys_and_has_no_whitespace():
    fields = {
        "price": D("106.0700"),
        "amount": D("1E+2"),
        "note": None,
        "sequence": 7,
        "live": True,
        "symbol": "BTC/USDT",
        "executed_at": datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC),
    }
    assert canonical(fields) == (
        '{"amount":"100","executed_at":"2026-01-02T03:04:05.000006Z","live":true,'
        '"note":null,"price":"106.07","sequence":7,"symbol":"BTC/USDT"}'
    )
    # the order the caller gives the keys in does not matter
    assert canonical(dict(reversed(list(fields.items())))) == canonical(fields)


def test_canonical_datetimes_are_utc():
    at = datetime(2026, 1, 2, 5, 4, 5, tzinfo=timezone(timedelta(hours=2)))  # 03:04:05 UTC
    assert canonical({"t": at}) == '{"t":"2026-01-02T03:04:05.000000Z"}'


def test_canonical_same_value_same_text():
    assert canonical({"x": D("1.50")}) == canonical({"x": D("1.5")}) == '{"x":"1.5"}'
    assert canonical({"x": D("-0")}) == '{"x":"0"}'


@pytest.mark.parametrize("bad", [1.5, object(), {1, 2}, b"bytes"])
def test_canonical_refuses_floats_and_other_types(bad):
    with pytest.raises(TypeError):
        canonical({"x": bad})


def test_canonical_refuses_naive_datetimes():
    with pytest.raises(ValueError):
        canonical({"t": datetime(2026, 1, 1)})


def test_entry_hash_of_a_known_input():
    expected = hashlib.sha256(("0" * 64 + '|1|{"a":"1"}').encode("utf-8")).hexdigest()
    assert entry_hash(GENESIS, 1, '{"a":"1"}') == expected
    assert GENESIS == "0" * 64


def build_chain(field_sets):
    rows, prev = [], GENESIS
    for sequence, fields in enumerate(field_sets, start=1):
        text = canonical(fields)
        digest = hashlib.sha256(f"{prev}|{sequence}|{text}".encode()).hexdigest()
        rows.append((sequence, text, digest))
        prev = digest
    return rows


ENTRIES = [{"id": "f1", "amount": D("1")}, {"id": "f2", "amount": D("2")}, {"id": "e3"}]


def test_a_valid_chain_has_no_problems():
    assert verify_chain(build_chain(ENTRIES)) == []
    assert verify_chain([]) == []


def test_a_tampered_field_is_reported_at_its_sequence():
    rows = build_chain(ENTRIES)
    seq, text, digest = rows[1]
    rows[1] = (seq, text.replace('"2"', '"20"'), digest)
    problems = verify_chain(rows)
    assert len(problems) == 1
    assert "hash mismatch at sequence 2" in problems[0]


def test_a_rewritten_hash_breaks_the_next_link():
    rows = build_chain(ENTRIES)
    seq, _, _ = rows[1]
    forged = canonical({"id": "f2", "amount": D("20")})
    rows[1] = (seq, forged, entry_hash(rows[0][2], seq, forged))  # a consistent forgery
    problems = verify_chain(rows)
    assert len(problems) == 1
    assert "hash mismatch at sequence 3" in problems[0]


def test_a_gap_is_reported():
    rows = build_chain(ENTRIES)
    del rows[1]
    problems = verify_chain(rows)
    assert any("gap" in p and "2" in p for p in problems)
    assert any("hash mismatch at sequence 3" in p for p in problems)


def test_a_chain_must_start_at_one():
    rows = build_chain(ENTRIES)[1:]
    assert any("gap" in p for p in verify_chain(rows))


_scalars = st.one_of(
    st.text(),
    st.none(),
    st.decimals(allow_nan=False, allow_infinity=False),
    st.datetimes(timezones=st.just(UTC)),
    st.datetimes(timezones=st.just(timezone(timedelta(hours=-5)))),
)


@settings(max_examples=500, deadline=None)
@given(st.dictionaries(st.text(), _scalars, max_size=12))
def test_canonical_is_json_dumps_of_the_plain_values(fields):
    """Whatever path canonical takes, its text is json.dumps of the fields with Decimals as
    canonical strings and datetimes as UTC ISO-8601 with a Z (quotes, control characters and
    non-ASCII text included)."""

    def plain(v):
        if isinstance(v, D):
            return fmt(v)
        if isinstance(v, datetime):
            u = v.astimezone(UTC)
            return (
                f"{u.year:04d}-{u.month:02d}-{u.day:02d}T{u.hour:02d}:{u.minute:02d}:"
                f"{u.second:02d}.{u.microsecond:06d}Z"
            )
        return v

    expected = json.dumps(
        {k: plain(v) for k, v in fields.items()},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    assert canonical(fields) == expected
