from __future__ import annotations

from services.auth.domain import hash_recovery_code, new_recovery_codes


def test_ten_distinct_codes_of_ten_characters():
    codes = new_recovery_codes()
    assert len(codes) == 10 and len(set(codes)) == 10
    assert all(len(c.replace("-", "")) == 10 for c in codes)


def test_hash_is_per_user_and_forgives_case_and_dashes():
    h = hash_recovery_code("u1", "abcde-fghij")
    assert h == hash_recovery_code("u1", " ABCDEFGHIJ ")
    assert h != hash_recovery_code("u2", "abcde-fghij")
    assert "abcde" not in h
