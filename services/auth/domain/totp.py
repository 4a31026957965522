"""RFC 6238 TOTP: 30 s steps, 6 digits, +-1 step of drift, each step accepted at most once.

pyotp computes the codes; the window and the replay rule are ours: a code matches a step in
[current - 1, current + 1] that is strictly after the last step accepted for the user.
"""

from __future__ import annotations

import hmac
from datetime import datetime

import pyotp

STEP_SECONDS = 30
DIGITS = 6
DRIFT_STEPS = 1
SECRET_LENGTH = 32  # base32 characters: 160 bits
# the current step first, then the nearest ones: 0, -1, +1 (, -2, +2 ...)
_OFFSETS = (0, *(s for d in range(1, DRIFT_STEPS + 1) for s in (-d, d)))


def new_secret() -> str:
    return pyotp.random_base32(length=SECRET_LENGTH)


def time_step(at: datetime) -> int:
    return int(at.timestamp()) // STEP_SECONDS


def normalise_code(code: str) -> str | None:
    """The code without spaces; None when it is not 6 digits."""
    c = code.replace(" ", "").strip()
    if len(c) != DIGITS or not c.isascii() or not c.isdigit():
        return None
    return c


def code_at_step(secret: str, step: int) -> str:
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).generate_otp(step)


def match_step(secret: str, code: str, at: datetime, last_used_step: int) -> int | None:
    """The step the code belongs to (current first, then the one before and after), or None.

    Steps at or before ``last_used_step`` are never matched, so an accepted code (or any other
    code of an already used step) cannot be replayed.
    """
    current = time_step(at)
    for offset in _OFFSETS:
        step = current + offset
        if step <= last_used_step:
            continue
        if hmac.compare_digest(code_at_step(secret, step), code):
            return step
    return None
