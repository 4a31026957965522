"""The auth service's settings: the common ones plus the key for secrets at rest and the
access token lifetime."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from services.common.settings import CommonSettings, Env, SettingsError

MIN_KEY_LENGTH = 32
MAX_TTL_SECONDS = 7 * 24 * 3600


@dataclass(frozen=True)
class AuthSettings:
    common: CommonSettings
    # ENCRYPTION_KEY: key material for TOTP secrets and exchange keys at rest (default JWT_SECRET)
    encryption_key: str
    # ACCESS_TOKEN_TTL_SECONDS: lifetime of the access tokens Login and Register give
    access_token_ttl: timedelta

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> AuthSettings:
        common = CommonSettings.from_env("auth", env)
        e = Env(env)
        key = e.str("ENCRYPTION_KEY") or common.jwt_secret
        if len(key) < MIN_KEY_LENGTH:
            raise SettingsError("ENCRYPTION_KEY", f"must be at least {MIN_KEY_LENGTH} characters")
        ttl = e.int("ACCESS_TOKEN_TTL_SECONDS", 3600, minimum=60)
        if ttl > MAX_TTL_SECONDS:
            raise SettingsError(
                "ACCESS_TOKEN_TTL_SECONDS", f"{ttl} is above the maximum {MAX_TTL_SECONDS}"
            )
        return cls(common=common, encryption_key=key, access_token_ttl=timedelta(seconds=ttl))
