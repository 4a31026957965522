"""Secrets at rest: AES-256-GCM with a key derived from ENCRYPTION_KEY by HKDF-SHA256.

Each value is sealed with a fresh 96-bit nonce and bound to where it belongs (associated data
such as ``totp:<user id>``), so a ciphertext copied into another row does not open there.
Stored form: ``v1:`` + urlsafe base64 of nonce || ciphertext || tag.
"""

from __future__ import annotations

import base64
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_PREFIX = "v1:"
_NONCE = 12
_INFO = b"amarktai-auth secrets at rest v1"


class SecretBox:
    def __init__(self, key_material: str) -> None:
        if not key_material:
            raise ValueError("an encryption key is required")
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(
            key_material.encode()
        )
        self._aead = AESGCM(key)

    def seal(self, plaintext: str, context: str) -> str:
        nonce = os.urandom(_NONCE)
        sealed = self._aead.encrypt(nonce, plaintext.encode(), context.encode())
        return _PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode()

    def open(self, stored: str, context: str) -> str:
        """The plaintext; ValueError when the value was not sealed here, for this context."""
        if not stored.startswith(_PREFIX):
            raise ValueError("not a sealed value")
        try:
            raw = base64.urlsafe_b64decode(stored[len(_PREFIX) :].encode())
            plain = self._aead.decrypt(raw[:_NONCE], raw[_NONCE:], context.encode())
        except (InvalidTag, ValueError) as exc:
            raise ValueError("sealed value does not open with this key and context") from exc
        return plain.decode()
