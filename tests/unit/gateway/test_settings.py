"""Gateway settings from the environment; bad values name the variable."""

from __future__ import annotations

import pytest

from services.common.settings import SettingsError
from services.gateway.settings import Settings


def test_defaults_need_no_jwt_secret():
    s = Settings.from_env({})
    assert s.listen_addr == "127.0.0.1:8080" and (s.host, s.port) == ("127.0.0.1", 8080)
    assert s.service_addrs["ledger"] == "127.0.0.1:50051"
    assert s.service_addrs["auth"] == "127.0.0.1:50054"
    assert s.cors_origins == ()
    assert (s.batching.max_batch, s.batching.linger) == (256, 0.002)


def test_values_from_the_environment():
    s = Settings.from_env(
        {
            "GATEWAY_ADDR": "0.0.0.0:9000",
            "ORDERS_ADDR": "orders:7000",
            "CORS_ORIGINS": "https://app.example.com, http://localhost:5173/",
        }
    )
    assert (s.host, s.port) == ("0.0.0.0", 9000)
    assert s.service_addrs["orders"] == "orders:7000"
    assert s.cors_origins == ("https://app.example.com", "http://localhost:5173")


@pytest.mark.parametrize(
    "env, variable",
    [
        ({"GATEWAY_ADDR": "8080"}, "GATEWAY_ADDR"),
        ({"LEDGER_ADDR": "host:port"}, "LEDGER_ADDR"),
        ({"CORS_ORIGINS": "app.example.com"}, "CORS_ORIGINS"),
        ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL"),
        ({"GATEWAY_BATCH_MAX": "0"}, "GATEWAY_BATCH_MAX"),
        ({"GATEWAY_BATCH_LINGER_MS": "soon"}, "GATEWAY_BATCH_LINGER_MS"),
    ],
)
def test_bad_values_name_the_variable(env, variable):
    with pytest.raises(SettingsError) as exc:
        Settings.from_env(env)
    assert exc.value.variable == variable


def test_a_new_service_in_the_protos_needs_its_address():
    with pytest.raises(SettingsError) as exc:
        Settings.from_env({}, services=["ledger", "risk"])
    assert exc.value.variable == "RISK_ADDR"
    s = Settings.from_env({"RISK_ADDR": "127.0.0.1:50060"}, services=["risk"])
    assert s.service_addrs["risk"] == "127.0.0.1:50060"
