"""Token verification: a server's TokenVerifier, which remembers the tokens it verified, is
still exact about whose token it is (its secret, its bytes)."""

from __future__ import annotations

import grpc
import jwt
import pytest

from services.common.auth import TokenVerifier, issue_user_token
from services.common.errors import AppError

SECRET = "s" * 40
OTHER = "o" * 40


def test_a_token_is_good_only_with_its_own_secret():
    token, _ = issue_user_token(SECRET, "u1")
    assert TokenVerifier(SECRET)(token).user_id == "u1"
    with pytest.raises(AppError) as err:
        TokenVerifier(OTHER)(token)
    assert err.value.code == grpc.StatusCode.UNAUTHENTICATED


def test_a_tampered_token_is_refused_even_after_the_real_one_was_verified():
    verify = TokenVerifier(SECRET)
    token, _ = issue_user_token(SECRET, "u1")
    assert verify(token).user_id == "u1"
    claims = jwt.decode(token, options={"verify_signature": False})
    forged = jwt.encode({**claims, "sub": "u2"}, OTHER, algorithm="HS256")
    header, _payload, signature = token.split(".")
    spliced = ".".join([header, forged.split(".")[1], signature])  # u2's claims, u1's signature
    for bad in (forged, spliced):
        with pytest.raises(AppError) as err:
            verify(bad)
        assert err.value.code == grpc.StatusCode.UNAUTHENTICATED
    assert verify(token).user_id == "u1"
