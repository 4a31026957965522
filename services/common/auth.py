"""Access tokens (HS256 JWTs) shared by every service, verified locally.

Claims: iss "amarktai-auth", aud "amarktai", sub, kind "user" | "service", act (service
tokens: the user it acts for), iat, exp. A service token acts for the user in ``act``; an
end-user token can never carry service rights because ``kind`` is signed.
"""

from __future__ import annotations

import contextvars
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt

from services.common.errors import unauthenticated

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


# Tokens already verified: (secret, token) -> (caller, exp). A token's signature, issuer,
# audience and claims are facts of its bytes; only its expiry depends on the time, and that is
# checked again on every use (as PyJWT does: valid while exp > now in whole seconds). Callers
# (a service's token, reused for a minute; a user's, for the session) send the same token
# many times, and the signature check is a noticeable part of a small call's cost.
_VERIFIED: dict[tuple[str, str], tuple[Caller, int]] = {}
VERIFIED_CACHE_SIZE = 10_000


def verify_token(secret: str, token: str) -> Caller:
    """Verify signature, issuer, audience and expiry; raise AppError(UNAUTHENTICATED)."""
    known = _VERIFIED.get((secret, token))
    if known is not None:
        caller, exp = known
        if exp > int(time.time()):
            return caller
        _VERIFIED.pop((secret, token), None)
        raise unauthenticated("token expired")
    caller, exp = _verify(secret, token)
    if len(_VERIFIED) >= VERIFIED_CACHE_SIZE:
        _VERIFIED.clear()
    _VERIFIED[(secret, token)] = (caller, exp)
    return caller


def _verify(secret: str, token: str) -> tuple[Caller, int]:
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
    kind = claims.get("kind")
    sub = claims.get("sub")
    exp = claims["exp"]  # PyJWT checked it is an integer in the future
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
