"""Access tokens (HS256 JWTs) shared by every service, verified locally.

Claims: iss "amarktai-auth", aud "amarktai", sub, kind "user" | "service", act (service
tokens: the user it acts for), iat, exp. A service token acts for the user in ``act``; an
end-user token can never carry service rights because ``kind`` is signed.
"""

from __future__ import annotations

import contextvars
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt

from services.common.errors import permission_denied, unauthenticated

ISSUER = "amarktai-auth"
AUDIENCE = "amarktai"
ALGORITHM = "HS256"


@dataclass(frozen=True)
class Caller:
    """Who is calling: ``user_id`` is the user whose data the call may see and change."""

    user_id: str
    kind: str  # "user" | "service"
    subject: str  # for a service token, the service's name

    @property
    def is_service(self) -> bool:
        return self.kind == "service"


_current: contextvars.ContextVar[Caller | None] = contextvars.ContextVar("caller", default=None)


def current_caller() -> Caller:
    caller = _current.get()
    if caller is None:
        raise unauthenticated("no caller in context")
    return caller


def set_caller(caller: Caller | None) -> contextvars.Token:
    return _current.set(caller)


def reset_caller(token: contextvars.Token) -> None:
    _current.reset(token)


def issue_user_token(
    secret: str, user_id: str, ttl: timedelta = timedelta(hours=1), now: datetime | None = None
) -> tuple[str, datetime]:
    now = now or datetime.now(UTC)
    exp = now + ttl
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": user_id,
        "kind": "user",
        "iat": int(now.timestamp()),
        "exp": int(exp.timestamp()),
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM), exp


def issue_service_token(
    secret: str,
    service: str,
    acting_for: str,
    ttl: timedelta = timedelta(minutes=5),
    now: datetime | None = None,
) -> str:
    now = now or datetime.now(UTC)
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": f"service:{service}",
        "kind": "service",
        "act": acting_for,
        "iat": int(now.timestamp()),
        "exp": int((now + ttl).timestamp()),
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def verify_token(secret: str, token: str) -> Caller:
    """Verify signature, issuer, audience and expiry; raise AppError(UNAUTHENTICATED)."""
    return _verify(secret, token)[0]


def _verify(secret: str, token: str) -> tuple[Caller, float]:
    """The caller a token names and its expiry (a UNIX time), once verified."""
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            issuer=ISSUER,
            options={"require": ["exp", "iat", "sub", "iss", "aud"]},
        )
    except jwt.ExpiredSignatureError:
        raise unauthenticated("token expired") from None
    except jwt.InvalidTokenError as exc:
        raise unauthenticated(f"invalid token: {exc}") from None
    exp = float(claims["exp"])
    kind = claims.get("kind")
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub:
        raise unauthenticated("invalid token: no subject")
    if kind == "user":
        return Caller(user_id=sub, kind="user", subject=sub), exp
    if kind == "service":
        act = claims.get("act")
        if not isinstance(act, str) or not act:
            raise unauthenticated("invalid token: a service token must name the user it acts for")
        return Caller(user_id=act, kind="service", subject=sub), exp
    raise unauthenticated("invalid token: unknown kind")


class TokenVerifier:
    """``verify_token`` for a server: a token already verified gives its caller again, without
    checking its signature, issuer and audience again (they cannot change), until it expires.
    A service sees the same token on call after call (a user's session, a service token that
    is signed once a minute); a token not seen before, or seen only with a failure, is verified
    in full. The kept callers are bounded and forgotten all at once when full."""

    MAX_TOKENS = 4096

    def __init__(self, secret: str, clock: Callable[[], float] = time.time) -> None:
        self.secret = secret
        self.clock = clock
        self._verified: dict[str, tuple[Caller, float]] = {}

    def __call__(self, token: str) -> Caller:
        known = self._verified.get(token)
        if known is not None:
            caller, exp = known
            if self.clock() < exp:
                return caller
            self._verified.pop(token, None)
            raise unauthenticated("token expired")
        caller, exp = _verify(self.secret, token)
        if len(self._verified) >= self.MAX_TOKENS:
            self._verified.clear()
        self._verified[token] = (caller, exp)
        return caller


def bearer_from_metadata(metadata: tuple | None) -> str | None:
    for key, value in metadata or ():
        if key == "authorization":
            if isinstance(value, bytes):
                value = value.decode()
            scheme, _, token = value.partition(" ")
            if scheme.lower() == "bearer" and token:
                return token.strip()
            return None
    return None


def require_service() -> Caller:
    """The caller of a call that is for services only (a service token), else
    PERMISSION_DENIED SERVICE_TOKEN_REQUIRED."""
    caller = current_caller()
    if not caller.is_service:
        raise permission_denied("SERVICE_TOKEN_REQUIRED", "this call is for services only")
    return caller


def batch_item_caller(verify: Callable[[str], Caller], token: str) -> Caller:
    """The caller one item of a batch call acts for: the item's own service token, verified
    as a call's own token is (``verify``: the server's TokenVerifier). A batch call carries
    the calls of several users, each with the token that a call of its own would carry, so
    every item still acts for the one user its token names. An end-user token is refused
    (PERMISSION_DENIED): batches are for services."""
    if not token:
        raise unauthenticated("missing service token of the item")
    caller = verify(token)
    if not caller.is_service:
        raise permission_denied("SERVICE_TOKEN_REQUIRED", "a batch item needs a service token")
    return caller
