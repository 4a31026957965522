from __future__ import annotations

import pytest

from services.auth.crypto import SecretBox

KEY = "k" * 40


def test_seal_open_round_trip_and_fresh_nonces():
    box = SecretBox(KEY)
    a, b = box.seal("JBSWY3DPEHPK3PXP", "totp:u1"), box.seal("JBSWY3DPEHPK3PXP", "totp:u1")
    assert a != b and "JBSWY3DPEHPK3PXP" not in a
    assert box.open(a, "totp:u1") == box.open(b, "totp:u1") == "JBSWY3DPEHPK3PXP"


def test_wrong_context_key_or_tampering_does_not_open():
    box = SecretBox(KEY)
    sealed = box.seal("secret", "totp:u1")
    with pytest.raises(ValueError):
        box.open(sealed, "totp:u2")
    with pytest.raises(ValueError):
        SecretBox("j" * 40).open(sealed, "totp:u1")
    flipped = sealed[:-2] + ("A" if sealed[-2] != "A" else "B") + sealed[-1]
    with pytest.raises(ValueError):
        box.open(flipped, "totp:u1")
    with pytest.raises(ValueError):
        box.open("secret", "totp:u1")
