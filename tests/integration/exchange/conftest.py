"""Real ccxt (async) against the fake Binance on 127.0.0.1, with short timeouts."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator

import pytest

from services.orders.exchange import LiveExchange, make_ccxt
from tests.fakes.fake_binance import FakeBinance

TIMEOUT_MS = 500


@pytest.fixture
async def fake() -> AsyncIterator[FakeBinance]:
    async with FakeBinance(stall_seconds=5) as f:
        yield f


def ccxt_for(base_url: str, keys: bool = True):
    key, secret = ("test-key", "test-secret") if keys else (None, None)
    x = make_ccxt("binance", key, secret, base_url, timeout_ms=TIMEOUT_MS, rate_limit=False)
    x.timeout_on_exit = 0  # ccxt waits 250 ms on close for TLS sockets; ours are plain HTTP
    return x


@pytest.fixture
async def venue(fake: FakeBinance) -> AsyncIterator[LiveExchange]:
    v = LiveExchange(ccxt_for(fake.url))
    yield v
    await v.close()


def closed_port_url() -> str:
    """A URL where nothing listens: connections are refused."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


class Sleeps(list):
    """An injectable sleep that records instead of waiting."""

    async def __call__(self, seconds: float) -> None:
        self.append(seconds)
