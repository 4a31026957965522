"""One-time recovery codes: 10 random codes of 10 base32 characters (50 bits) each.

Only a hash is stored: SHA-256 over the user id and the normalised code. The codes are random
and long, so a per-user salt with a fast hash is enough (no dictionary to attack).
"""

from __future__ import annotations

import hashlib
import secrets

COUNT = 10
_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"  # no 0/o, 1/l: easy to copy by hand
_LENGTH = 10


def new_recovery_codes(count: int = COUNT) -> list[str]:
    codes = []
    for _ in range(count):
        raw = "".join(secrets.choice(_ALPHABET) for _ in range(_LENGTH))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    return codes


def normalise_recovery_code(code: str) -> str:
    return code.strip().lower().replace("-", "").replace(" ", "")


def hash_recovery_code(user_id: str, code: str) -> str:
    data = f"{user_id}:{normalise_recovery_code(code)}".encode()
    return hashlib.sha256(data).hexdigest()
