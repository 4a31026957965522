"""The TOTP step window and the replay rule, with codes from the RFC 6238 reference."""

from __future__ import annotations

from datetime import UTC, datetime

import pyotp
from hypothesis import given
from hypothesis import strategies as st

from services.auth.domain import match_step, new_secret, normalise_code, time_step

# RFC 6238 appendix B: the SHA-1 seed "12345678901234567890", 8 digits at 59 s is 94287082;
# its last 6 digits are the 6-digit code.
RFC_SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
AT_59 = datetime.fromtimestamp(59, UTC)


def test_rfc_vector():
    assert time_step(AT_59) == 1
    assert match_step(RFC_SECRET, "287082", AT_59, last_used_step=-1) == 1


def test_steps_are_30_seconds():
    assert time_step(datetime.fromtimestamp(0, UTC)) == 0
    assert time_step(datetime.fromtimestamp(29, UTC)) == 0
    assert time_step(datetime.fromtimestamp(30, UTC)) == 1


def _code(secret: str, step: int) -> str:
    return pyotp.TOTP(secret).at(step * 30)


def test_window_is_one_step_each_side():
    secret = new_secret()
    now = datetime.fromtimestamp(1000 * 30 + 7, UTC)  # step 1000
    for step in (999, 1000, 1001):
        assert match_step(secret, _code(secret, step), now, last_used_step=-1) == step
    for step in (998, 1002):
        assert match_step(secret, _code(secret, step), now, last_used_step=-1) is None


def test_a_used_step_and_the_ones_before_never_match():
    secret = new_secret()
    now = datetime.fromtimestamp(1000 * 30, UTC)
    assert match_step(secret, _code(secret, 1000), now, last_used_step=1000) is None
    assert match_step(secret, _code(secret, 999), now, last_used_step=1000) is None
    assert match_step(secret, _code(secret, 1001), now, last_used_step=1000) == 1001


@given(st.integers(min_value=10, max_value=10**8), st.integers(min_value=-1, max_value=10**8))
def test_a_match_is_always_after_the_last_used_step_and_near_now(step, last_used):
    secret = RFC_SECRET
    now = datetime.fromtimestamp(step * 30 + 15, UTC)
    for offset in (-2, -1, 0, 1, 2):
        got = match_step(secret, _code(secret, step + offset), now, last_used)
        if got is not None:
            assert got > last_used and abs(got - step) <= 1


def test_codes_are_six_digits_spaces_allowed():
    assert normalise_code(" 123 456 ") == "123456"
    assert normalise_code("12345") is None
    assert normalise_code("1234567") is None
    assert normalise_code("12345a") is None
    assert normalise_code("١٢٣٤٥٦") is None  # non-ASCII digits


def test_secrets_are_160_bits_of_base32():
    s = new_secret()
    assert len(s) == 32 and set(s) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
    assert new_secret() != s
