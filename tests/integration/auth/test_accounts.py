"""Register and login over real gRPC."""

from __future__ import annotations

from datetime import timedelta

import grpc
from google.protobuf import json_format

from amarktai.auth.v1 import auth_pb2 as pb
from services.auth.schema import users
from services.common.auth import verify_token
from tests.conftest import JWT_SECRET
from tests.integration.auth.conftest import PASSWORD, bearer
from tests.integration.auth.helpers import refused


async def test_register_then_login(auth):
    r = await auth.stub.Register(
        pb.RegisterRequest(email="  Alice@Example.COM ", password=PASSWORD)
    )
    assert r.user.email == "alice@example.com"
    assert not r.user.totp_enabled
    assert verify_token(JWT_SECRET, r.access_token).user_id == r.user.id
    # one hour from the service's clock
    assert r.expires_at.ToDatetime(tzinfo=auth.clock.now.tzinfo) == auth.clock.now + timedelta(
        hours=1
    )

    login = await auth.stub.Login(pb.LoginRequest(email="alice@EXAMPLE.com", password=PASSWORD))
    assert login.user.id == r.user.id
    assert verify_token(JWT_SECRET, login.access_token).user_id == r.user.id
    # the token works on an authenticated call
    status = await auth.stub.GetTotpStatus(
        pb.GetTotpStatusRequest(), metadata=bearer(login.access_token)
    )
    assert not status.enabled


async def test_login_answer_is_designs_json(auth):
    await auth.register("json@example.com")
    login = await auth.stub.Login(pb.LoginRequest(email="json@example.com", password=PASSWORD))
    body = json_format.MessageToDict(login, always_print_fields_with_no_presence=True)
    assert set(body) == {"accessToken", "expiresAt", "user"}
    assert set(body["user"]) == {"id", "email", "totpEnabled"}
    parsed = json_format.ParseDict(
        {"email": "a@b.co", "password": "p", "totpCode": "123456", "recoveryCode": "x"},
        pb.LoginRequest(),
    )
    assert parsed.totp_code == "123456" and parsed.recovery_code == "x"


async def test_password_is_stored_as_argon2id(auth):
    await auth.register("hash@example.com")
    with auth.db.read() as conn:
        stored = conn.execute(users.select()).one().password_hash
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored


async def test_duplicate_email_is_already_exists(auth):
    await auth.register("bob@example.com")
    r = await refused(
        auth.stub.Register(pb.RegisterRequest(email="BOB@example.com ", password="x" * 12))
    )
    assert r.code == grpc.StatusCode.ALREADY_EXISTS
    assert r.reason == "EMAIL_TAKEN"


async def test_short_password_and_bad_email_are_invalid(auth):
    r = await refused(
        auth.stub.Register(pb.RegisterRequest(email="c@example.com", password="x" * 11))
    )
    assert (r.code, r.fields) == (grpc.StatusCode.INVALID_ARGUMENT, ["password"])
    for email in ["", "no-at-sign", "a@b", "a b@example.com", "a@@example.com"]:
        r = await refused(auth.stub.Register(pb.RegisterRequest(email=email, password=PASSWORD)))
        assert (r.code, r.fields) == (grpc.StatusCode.INVALID_ARGUMENT, ["email"]), email
    # nothing was created: the 12-character password now registers the address
    await auth.register("c@example.com", "x" * 12)


async def test_wrong_password_and_unknown_email_get_the_same_answer(auth):
    await auth.register("dora@example.com")
    wrong = await refused(
        auth.stub.Login(pb.LoginRequest(email="dora@example.com", password="not the password"))
    )
    unknown = await refused(
        auth.stub.Login(pb.LoginRequest(email="nobody@example.com", password="not the password"))
    )
    assert wrong.code == grpc.StatusCode.UNAUTHENTICATED
    assert (wrong.code, wrong.reason, wrong.message) == (
        unknown.code,
        unknown.reason,
        unknown.message,
    )
    assert wrong.reason == "INVALID_CREDENTIALS"


async def test_login_without_email_or_password_is_invalid(auth):
    r = await refused(auth.stub.Login(pb.LoginRequest(email="", password=PASSWORD)))
    assert (r.code, r.fields) == (grpc.StatusCode.INVALID_ARGUMENT, ["email"])
    r = await refused(auth.stub.Login(pb.LoginRequest(email="x@example.com", password="")))
    assert (r.code, r.fields) == (grpc.StatusCode.INVALID_ARGUMENT, ["password"])


async def test_register_and_login_are_public_but_the_rest_is_not(auth):
    r = await refused(auth.stub.GetTotpStatus(pb.GetTotpStatusRequest()))
    assert r.code == grpc.StatusCode.UNAUTHENTICATED
    r = await refused(auth.stub.EnrollTotp(pb.EnrollTotpRequest()))
    assert r.code == grpc.StatusCode.UNAUTHENTICATED
