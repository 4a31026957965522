"""TOTP 2FA: enrollment, the step window, replay, lockout (also under concurrency and across
two servers), recovery codes, login of a 2FA user."""

from __future__ import annotations

import asyncio

import grpc
import pyotp

from amarktai.auth.v1 import auth_pb2 as pb
from tests.integration.auth.conftest import PASSWORD
from tests.integration.auth.helpers import code_at, refused, wrong_code


async def test_enroll_answers_secret_uri_and_qr(auth):
    account = await auth.register("enroll@example.com")
    e = await auth.stub.EnrollTotp(pb.EnrollTotpRequest(), metadata=account.md)
    assert len(e.secret) == 32  # base32: 160 bits
    uri = pyotp.parse_uri(e.otpauth_uri)
    assert uri.secret == e.secret and uri.issuer == "Amarktai"
    assert e.otpauth_uri.startswith("otpauth://totp/Amarktai:enroll%40example.com?")
    assert e.qr_svg.lstrip().startswith("<svg") and "</svg>" in e.qr_svg
    # not on until confirmed
    s = await auth.stub.GetTotpStatus(pb.GetTotpStatusRequest(), metadata=account.md)
    assert not s.enabled
    # a second enrollment gives a fresh secret; the first one no longer confirms
    e2 = await auth.stub.EnrollTotp(pb.EnrollTotpRequest(), metadata=account.md)
    assert e2.secret != e.secret
    r = await refused(
        auth.stub.ConfirmTotp(
            pb.ConfirmTotpRequest(totp_code=code_at(e.secret, auth.clock.now)),
            metadata=account.md,
        )
    )
    assert (r.code, r.reason) == (grpc.StatusCode.PERMISSION_DENIED, "TOTP_INVALID")


async def test_confirm_turns_2fa_on_with_ten_recovery_codes(auth):
    account = await auth.register("confirm@example.com")
    r = await refused(
        auth.stub.ConfirmTotp(pb.ConfirmTotpRequest(totp_code="123456"), metadata=account.md)
    )
    assert (r.code, r.reason) == (grpc.StatusCode.FAILED_PRECONDITION, "TOTP_NOT_ENROLLED")
    secret, codes = await auth.enable_2fa(account)
    assert len(codes) == 10 and len(set(codes)) == 10
    s = await auth.stub.GetTotpStatus(pb.GetTotpStatusRequest(), metadata=account.md)
    assert s.enabled and s.recovery_codes_remaining == 10
    r = await refused(auth.stub.EnrollTotp(pb.EnrollTotpRequest(), metadata=account.md))
    assert (r.code, r.reason) == (grpc.StatusCode.FAILED_PRECONDITION, "TOTP_ALREADY_ENABLED")


async def test_malformed_code_is_invalid_and_not_counted(auth):
    account = await auth.register("format@example.com")
    await auth.enable_2fa(account)
    for bad in ["12345", "1234567", "abcdef"]:
        r = await refused(auth.verify(account, bad))
        assert (r.code, r.fields) == (grpc.StatusCode.INVALID_ARGUMENT, ["totp_code"])
    s = await auth.stub.GetTotpStatus(pb.GetTotpStatusRequest(), metadata=account.md)
    assert not s.HasField("locked_until")


async def test_an_accepted_code_is_never_accepted_again(auth):
    account = await auth.register("replay@example.com")
    secret, _ = await auth.enable_2fa(account)
    # the confirming code's step is used: the same code, same time, is refused
    confirmed = code_at(secret, auth.clock.now)
    r = await refused(auth.verify(account, confirmed))
    assert (r.code, r.reason) == (grpc.StatusCode.PERMISSION_DENIED, "TOTP_INVALID")
    # next step: its code passes once, then not again, not even 20 s later in the same step
    auth.clock.advance(seconds=30)
    fresh = code_at(secret, auth.clock.now)
    assert (await auth.verify(account, fresh)).totp_enabled
    auth.clock.advance(seconds=20)
    r = await refused(auth.verify(account, fresh))
    assert r.reason == "TOTP_INVALID"


async def test_one_step_of_drift_is_accepted_two_are_not(auth):
    account = await auth.register("drift@example.com")
    secret, _ = await auth.enable_2fa(account)  # uses step S
    auth.clock.advance(seconds=60)  # now in S+2
    await auth.verify(account, code_at(secret, auth.clock.now, -1))  # S+1: one step late
    auth.clock.advance(seconds=60)  # now in S+4
    await auth.verify(account, code_at(secret, auth.clock.now, +1))  # S+5: one step early
    auth.clock.advance(seconds=120)  # now in S+8
    for steps in (-2, +2):
        r = await refused(auth.verify(account, code_at(secret, auth.clock.now, steps)))
        assert r.reason == "TOTP_INVALID", steps
    # and a code one step late, but of a step before the last accepted one, is refused
    auth.clock.advance(seconds=-90)  # now in S+5 again (the last accepted step)
    r = await refused(auth.verify(account, code_at(secret, auth.clock.now, -1)))
    assert r.reason == "TOTP_INVALID"


async def test_five_failures_lock_for_fifteen_minutes(auth):
    account = await auth.register("lock@example.com")
    secret, _ = await auth.enable_2fa(account)
    auth.clock.advance(seconds=30)
    for left in (4, 3, 2, 1):
        r = await refused(auth.verify(account, wrong_code(secret, auth.clock.now)))
        assert (r.code, r.reason, r.metadata["attempts_left"]) == (
            grpc.StatusCode.PERMISSION_DENIED,
            "TOTP_INVALID",
            str(left),
        )
    r = await refused(auth.verify(account, wrong_code(secret, auth.clock.now)))
    assert (r.code, r.reason) == (grpc.StatusCode.RESOURCE_EXHAUSTED, "TOTP_LOCKED")
    assert r.metadata["retry_after_seconds"] == "900"
    # the right code is refused while locked, and says how long is left
    auth.clock.advance(minutes=14, seconds=59)
    r = await refused(auth.verify(account, code_at(secret, auth.clock.now)))
    assert (r.reason, r.metadata["retry_after_seconds"]) == ("TOTP_LOCKED", "1")
    s = await auth.stub.GetTotpStatus(pb.GetTotpStatusRequest(), metadata=account.md)
    assert s.HasField("locked_until")
    auth.clock.advance(seconds=1)
    assert (await auth.verify(account, code_at(secret, auth.clock.now))).totp_enabled


async def test_five_parallel_failures_lock_too(auth):
    account = await auth.register("parallel@example.com")
    secret, _ = await auth.enable_2fa(account)
    auth.clock.advance(seconds=30)
    wrong = wrong_code(secret, auth.clock.now)
    results = await asyncio.gather(*(refused(auth.verify(account, wrong)) for _ in range(5)))
    assert sorted(r.reason for r in results) == ["TOTP_INVALID"] * 4 + ["TOTP_LOCKED"]
    r = await refused(auth.verify(account, code_at(secret, auth.clock.now)))
    assert r.reason == "TOTP_LOCKED"
    auth.clock.advance(minutes=15)
    assert (await auth.verify(account, code_at(secret, auth.clock.now))).totp_enabled


async def test_the_count_is_shared_by_two_servers(auth, second_auth):
    account = await auth.register("replicas@example.com")
    secret, _ = await auth.enable_2fa(account)
    auth.clock.advance(seconds=30)
    wrong = wrong_code(secret, auth.clock.now)
    for harness in (auth, second_auth, auth, second_auth):
        assert (await refused(harness.verify(account, wrong))).reason == "TOTP_INVALID"
    assert (await refused(auth.verify(account, wrong))).reason == "TOTP_LOCKED"
    r = await refused(second_auth.verify(account, code_at(secret, auth.clock.now)))
    assert r.reason == "TOTP_LOCKED"


async def test_one_right_code_sent_five_times_at_once_passes_once(auth):
    account = await auth.register("race@example.com")
    secret, _ = await auth.enable_2fa(account)
    auth.clock.advance(seconds=30)
    code = code_at(secret, auth.clock.now)

    async def attempt():
        try:
            await auth.verify(account, code)
            return "OK"
        except grpc.aio.AioRpcError as err:
            return err.code().name

    results = await asyncio.gather(*(attempt() for _ in range(5)))
    assert sorted(results) == ["OK"] + ["PERMISSION_DENIED"] * 4


async def test_login_of_a_2fa_user_needs_a_code(auth):
    account = await auth.register("login2fa@example.com")
    secret, _ = await auth.enable_2fa(account)
    auth.clock.advance(seconds=30)
    r = await refused(auth.stub.Login(pb.LoginRequest(email=account.email, password=PASSWORD)))
    assert (r.code, r.reason) == (grpc.StatusCode.UNAUTHENTICATED, "TOTP_REQUIRED")
    r = await refused(
        auth.stub.Login(
            pb.LoginRequest(
                email=account.email,
                password=PASSWORD,
                totp_code=wrong_code(secret, auth.clock.now),
            )
        )
    )
    assert (r.code, r.reason) == (grpc.StatusCode.UNAUTHENTICATED, "TOTP_INVALID")
    # a wrong password with a right code is still the plain credentials refusal
    r = await refused(
        auth.stub.Login(
            pb.LoginRequest(
                email=account.email,
                password="wrong password",
                totp_code=code_at(secret, auth.clock.now),
            )
        )
    )
    assert r.reason == "INVALID_CREDENTIALS"
    ok = await auth.stub.Login(
        pb.LoginRequest(
            email=account.email, password=PASSWORD, totp_code=code_at(secret, auth.clock.now)
        )
    )
    assert ok.user.totp_enabled and ok.access_token


async def test_a_recovery_code_works_once(auth):
    account = await auth.register("recovery@example.com")
    _, codes = await auth.enable_2fa(account)
    login = pb.LoginRequest(email=account.email, password=PASSWORD, recovery_code=codes[3])
    assert (await auth.stub.Login(login)).user.id == account.id
    r = await refused(auth.stub.Login(login))
    assert (r.code, r.reason) == (grpc.StatusCode.UNAUTHENTICATED, "RECOVERY_CODE_INVALID")
    s = await auth.stub.GetTotpStatus(pb.GetTotpStatusRequest(), metadata=account.md)
    assert s.recovery_codes_remaining == 9
    # another one, typed in capitals without its dash, turns 2FA off
    await auth.stub.DisableTotp(
        pb.DisableTotpRequest(recovery_code=codes[5].replace("-", "").upper()),
        metadata=account.md,
    )
    s = await auth.stub.GetTotpStatus(pb.GetTotpStatusRequest(), metadata=account.md)
    assert not s.enabled and s.recovery_codes_remaining == 0


async def test_disable_needs_a_valid_code(auth):
    account = await auth.register("disable@example.com")
    secret, _ = await auth.enable_2fa(account)
    auth.clock.advance(seconds=30)
    r = await refused(auth.stub.DisableTotp(pb.DisableTotpRequest(), metadata=account.md))
    assert (r.code, r.reason) == (grpc.StatusCode.PERMISSION_DENIED, "TOTP_REQUIRED")
    r = await refused(
        auth.stub.DisableTotp(
            pb.DisableTotpRequest(totp_code=wrong_code(secret, auth.clock.now)),
            metadata=account.md,
        )
    )
    assert r.reason == "TOTP_INVALID"
    await auth.stub.DisableTotp(
        pb.DisableTotpRequest(totp_code=code_at(secret, auth.clock.now)), metadata=account.md
    )
    s = await auth.stub.GetTotpStatus(pb.GetTotpStatusRequest(), metadata=account.md)
    assert not s.enabled
    # off now: login needs no code, disabling again is refused
    await auth.stub.Login(pb.LoginRequest(email=account.email, password=PASSWORD))
    r = await refused(
        auth.stub.DisableTotp(pb.DisableTotpRequest(totp_code="123456"), metadata=account.md)
    )
    assert (r.code, r.reason) == (grpc.StatusCode.FAILED_PRECONDITION, "TOTP_NOT_ENABLED")


async def test_verify_totp_is_for_services(auth):
    account = await auth.register("verify@example.com")
    # 2FA off: passes unless the operation needs 2FA on
    assert not (await auth.verify(account, "")).totp_enabled
    r = await refused(
        auth.stub.VerifyTotp(
            pb.VerifyTotpRequest(require_enabled=True),
            metadata=auth.service_md("bots", account.id),
        )
    )
    assert (r.code, r.reason) == (grpc.StatusCode.FAILED_PRECONDITION, "TOTP_NOT_ENABLED")
    secret, _ = await auth.enable_2fa(account)
    auth.clock.advance(seconds=30)
    r = await refused(auth.verify(account, ""))
    assert r.reason == "TOTP_REQUIRED"
    # an end user cannot call it (it would let them probe codes outside an operation)
    r = await refused(
        auth.stub.VerifyTotp(
            pb.VerifyTotpRequest(totp_code=code_at(secret, auth.clock.now)), metadata=account.md
        )
    )
    assert (r.code, r.reason) == (grpc.StatusCode.PERMISSION_DENIED, "SERVICE_TOKEN_REQUIRED")
    ok = await auth.stub.VerifyTotp(
        pb.VerifyTotpRequest(totp_code=code_at(secret, auth.clock.now), require_enabled=True),
        metadata=auth.service_md("orders", account.id),
    )
    assert ok.totp_enabled


async def test_a_service_token_cannot_manage_2fa(auth):
    account = await auth.register("svc2fa@example.com")
    r = await refused(
        auth.stub.EnrollTotp(pb.EnrollTotpRequest(), metadata=auth.service_md("bots", account.id))
    )
    assert (r.code, r.reason) == (grpc.StatusCode.PERMISSION_DENIED, "USER_TOKEN_REQUIRED")
