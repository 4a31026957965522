"""Pure auth logic: TOTP step windows, the lockout rule, recovery codes. No I/O."""

from services.auth.domain.lockout import LOCK_DURATION, MAX_FAILURES, TotpState
from services.auth.domain.recovery import hash_recovery_code, new_recovery_codes
from services.auth.domain.totp import (
    DIGITS,
    DRIFT_STEPS,
    STEP_SECONDS,
    match_step,
    new_secret,
    normalise_code,
    time_step,
)

__all__ = [
    "DIGITS",
    "DRIFT_STEPS",
    "LOCK_DURATION",
    "MAX_FAILURES",
    "STEP_SECONDS",
    "TotpState",
    "hash_recovery_code",
    "match_step",
    "new_recovery_codes",
    "new_secret",
    "normalise_code",
    "time_step",
]
