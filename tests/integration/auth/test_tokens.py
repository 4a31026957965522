"""Tokens that must not open an authenticated call."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import grpc
import jwt
import pytest

from amarktai.auth.v1 import auth_pb2 as pb
from services.common.auth import issue_user_token
from tests.conftest import JWT_SECRET
from tests.integration.auth.conftest import bearer
from tests.integration.auth.helpers import refused


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _claims(user_id: str, **changes) -> dict:
    now = int(datetime.now(UTC).timestamp())
    claims = {
        "iss": "amarktai-auth",
        "aud": "amarktai",
        "sub": user_id,
        "kind": "user",
        "iat": now,
        "exp": now + 3600,
    }
    claims.update(changes)
    return claims


def tampered(user_id: str) -> str:
    token, _ = issue_user_token(JWT_SECRET, user_id)
    header, _, signature = token.split(".")
    return f"{header}.{_b64(_claims('someone-else'))}.{signature}"


def expired(user_id: str) -> str:
    token, _ = issue_user_token(JWT_SECRET, user_id, now=datetime.now(UTC) - timedelta(hours=2))
    return token


def alg_none(user_id: str) -> str:
    return f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(_claims(user_id))}."


def wrong_audience(user_id: str) -> str:
    return jwt.encode(_claims(user_id, aud="someone-else"), JWT_SECRET, algorithm="HS256")


def wrong_key(user_id: str) -> str:
    return jwt.encode(_claims(user_id), "another-secret-" + "y" * 40, algorithm="HS256")


def wrong_issuer(user_id: str) -> str:
    return jwt.encode(_claims(user_id, iss="mallory"), JWT_SECRET, algorithm="HS256")


@pytest.mark.parametrize(
    "make", [tampered, expired, alg_none, wrong_audience, wrong_key, wrong_issuer]
)
async def test_bad_tokens_are_unauthenticated(auth, make):
    account = await auth.register("tok@example.com")
    # the good token works
    await auth.stub.GetTotpStatus(pb.GetTotpStatusRequest(), metadata=account.md)
    r = await refused(
        auth.stub.GetTotpStatus(pb.GetTotpStatusRequest(), metadata=bearer(make(account.id)))
    )
    assert r.code == grpc.StatusCode.UNAUTHENTICATED
