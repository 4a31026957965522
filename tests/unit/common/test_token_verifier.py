"""The servers' token verifier: a token verified once is not verified again until it expires."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import grpc
import pytest

from services.common import auth
from services.common.auth import Caller, TokenVerifier, issue_service_token, issue_user_token
from services.common.errors import AppError

SECRET = "s" * 40


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def full_checks(monkeypatch) -> list[str]:
    """The tokens verified in full (signature, issuer, audience, expiry), in order."""
    seen: list[str] = []
    real = auth._verify

    def counting(secret: str, token: str):
        seen.append(token)
        return real(secret, token)

    monkeypatch.setattr(auth, "_verify", counting)
    return seen


def _refused(verify: TokenVerifier, token: str) -> str:
    with pytest.raises(AppError) as err:
        verify(token)
    assert err.value.code == grpc.StatusCode.UNAUTHENTICATED
    return err.value.message


def test_a_token_is_verified_once_and_accepted_until_it_expires(full_checks):
    issued = datetime.now(UTC).replace(microsecond=0)
    token, exp = issue_user_token(SECRET, "u1", timedelta(hours=1), now=issued)
    clock = Clock(issued.timestamp())
    verify = TokenVerifier(SECRET, clock)
    assert verify(token) == Caller(user_id="u1", kind="user", subject="u1")
    clock.now = exp.timestamp() - 1  # 59 min 59 s later: still valid, from what was verified
    assert verify(token) == Caller(user_id="u1", kind="user", subject="u1")
    assert full_checks == [token]
    clock.now = exp.timestamp()  # one hour after issue: expired (exp is the first second out)
    assert _refused(verify, token) == "token expired"


def test_a_bad_token_is_verified_every_time_and_never_kept(full_checks):
    token, _ = issue_user_token(SECRET, "u1")
    forged, _ = issue_user_token("x" * 40, "u1")  # signed with another key
    verify = TokenVerifier(SECRET)
    for _ in range(2):
        assert _refused(verify, forged).startswith("invalid token")
    assert verify(token).user_id == "u1"
    assert full_checks == [forged, forged, token]


def test_an_expired_token_is_refused_on_first_sight():
    token, _ = issue_user_token(SECRET, "u1", timedelta(hours=1),
                                now=datetime.now(UTC) - timedelta(hours=2))  # fmt: skip
    assert _refused(TokenVerifier(SECRET), token) == "token expired"


def test_a_service_token_acts_for_its_user_from_the_first_call_on(full_checks):
    token = issue_service_token(SECRET, "orders", "u7")
    verify = TokenVerifier(SECRET)
    expected = Caller(user_id="u7", kind="service", subject="service:orders")
    assert [verify(token), verify(token), verify(token)] == [expected] * 3
    assert len(full_checks) == 1


def test_the_kept_tokens_are_bounded(full_checks, monkeypatch):
    monkeypatch.setattr(TokenVerifier, "MAX_TOKENS", 2)
    verify = TokenVerifier(SECRET)
    tokens = [issue_user_token(SECRET, f"u{i}")[0] for i in range(3)]
    for t in tokens:  # the third finds two kept: all are forgotten, then it is kept
        verify(t)
    verify(tokens[2])  # kept
    verify(tokens[0])  # forgotten: verified again
    assert full_checks == [*tokens, tokens[0]]
