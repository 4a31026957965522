"""Token verification (services.common.auth), including the memo of tokens verified before."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import grpc
import jwt
import pytest

from services.common import auth
from services.common.auth import issue_service_token, issue_user_token, verify_token
from services.common.errors import AppError

SECRET = "s" * 40
OTHER = "o" * 40


def test_a_token_verified_again_is_the_same_caller():
    token, _ = issue_user_token(SECRET, "u1")
    first = verify_token(SECRET, token)
    assert (first.user_id, first.kind) == ("u1", "user")
    assert verify_token(SECRET, token) == first
    svc = issue_service_token(SECRET, "orders", "u2")
    c = verify_token(SECRET, svc)
    assert (c.user_id, c.kind, c.subject) == ("u2", "service", "service:orders")


def test_a_token_known_good_expires_on_time(monkeypatch):
    """Remembered as valid, it is still refused from its exp on (exp > now, in seconds)."""
    now = datetime.now(UTC).replace(microsecond=0)
    token = issue_service_token(SECRET, "orders", "u1", ttl=timedelta(seconds=60), now=now)
    exp = int(now.timestamp()) + 60
    assert verify_token(SECRET, token).user_id == "u1"
    monkeypatch.setattr(auth.time, "time", lambda: exp - 0.5)
    assert verify_token(SECRET, token).user_id == "u1"  # the memo, within its last second
    monkeypatch.setattr(auth.time, "time", lambda: float(exp))
    with pytest.raises(AppError) as err:
        verify_token(SECRET, token)
    assert err.value.code == grpc.StatusCode.UNAUTHENTICATED
    assert "expired" in err.value.message


def test_a_token_is_good_only_with_its_own_secret():
    token, _ = issue_user_token(SECRET, "u1")
    assert verify_token(SECRET, token).user_id == "u1"
    with pytest.raises(AppError) as err:
        verify_token(OTHER, token)
    assert err.value.code == grpc.StatusCode.UNAUTHENTICATED


def test_a_tampered_token_is_refused_even_after_the_real_one_was_verified():
    token, _ = issue_user_token(SECRET, "u1")
    verify_token(SECRET, token)
    claims = jwt.decode(token, options={"verify_signature": False})
    forged = jwt.encode({**claims, "sub": "u2"}, OTHER, algorithm="HS256")
    header, _payload, signature = token.split(".")
    spliced = ".".join([header, forged.split(".")[1], signature])  # u2's claims, u1's signature
    for bad in (forged, spliced):
        with pytest.raises(AppError) as err:
            verify_token(SECRET, bad)
        assert err.value.code == grpc.StatusCode.UNAUTHENTICATED
