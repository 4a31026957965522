"""Passwords: argon2id, and an unknown email costs one argon2 verification like a real one."""

from __future__ import annotations

from argon2 import PasswordHasher

from services.auth.passwords import Passwords


class CountingHasher(PasswordHasher):
    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=1024, parallelism=1)
        self.verified: list[str] = []

    def verify(self, hash, password):
        self.verified.append(hash)
        return super().verify(hash, password)


def test_hash_is_argon2id_and_verifies():
    p = Passwords(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    stored = p.hash("a long password")
    assert stored.startswith("$argon2id$")
    assert p.verify(stored, "a long password")
    assert not p.verify(stored, "another password")
    assert not p.verify("not a hash", "a long password")


def test_unknown_user_verifies_a_dummy_hash():
    hasher = CountingHasher()
    p = Passwords(hasher)
    stored = p.hash("a long password")
    assert not p.verify(stored, "wrong password")
    assert not p.verify(None, "wrong password")
    # the dummy's password does not open an unknown account either
    assert not p.verify(None, "amarktai-dummy-password")
    assert len(hasher.verified) == 3
    assert hasher.verified[0] == stored and hasher.verified[1].startswith("$argon2id$")


def test_default_parameters_are_argon2id():
    assert Passwords().hash("a long password").startswith("$argon2id$")
