from __future__ import annotations

from datetime import timedelta

import pytest

from services.auth.settings import AuthSettings
from services.common.settings import SettingsError

JWT = "j" * 40


def test_defaults():
    s = AuthSettings.from_env({"JWT_SECRET": JWT})
    assert s.encryption_key == JWT
    assert s.access_token_ttl == timedelta(hours=1)
    assert s.common.listen_addr == "127.0.0.1:50054"


def test_values():
    s = AuthSettings.from_env(
        {"JWT_SECRET": JWT, "ENCRYPTION_KEY": "e" * 32, "ACCESS_TOKEN_TTL_SECONDS": "900"}
    )
    assert s.encryption_key == "e" * 32 and s.access_token_ttl == timedelta(minutes=15)


@pytest.mark.parametrize(
    "name,value",
    [
        ("ENCRYPTION_KEY", "short"),
        ("ACCESS_TOKEN_TTL_SECONDS", "soon"),
        ("ACCESS_TOKEN_TTL_SECONDS", "10"),
        ("ACCESS_TOKEN_TTL_SECONDS", str(10**9)),
    ],
)
def test_bad_values_name_the_variable(name, value):
    with pytest.raises(SettingsError) as err:
        AuthSettings.from_env({"JWT_SECRET": JWT, name: value})
    assert err.value.variable == name
