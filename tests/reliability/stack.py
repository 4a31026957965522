"""The whole suite as real processes for the reliability runs, with what they need besides.

A ``Stack`` is tests/e2e's ``Suite`` (auth, ledger, orders, bots, gateway as ``python -m
services.X`` on free ports) plus: the fake Binance as its own process (orders reaches it through
real ccxt), PostgreSQL (a fresh schema per service) when one is reachable, else SQLite files,
one service restarted or SIGKILLed on its own, and plain SQL on a service's database for what a
test must see or set behind the API (a bot's mode, undelivered outbox rows).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy

from tests.conftest import pg_url
from tests.e2e.suite import ALL, ROOT, Suite, free_port

# Orders settings for runs of hundreds of orders on one bot: limits out of the way, a dead
# process's lease expiring fast, market data from the fake exchange (so the breaker marks
# positions at the price they were bought at), fast reconciliation.
ORDERS_ENV = {
    "MARKET_DATA": "ccxt",
    "MAX_TRADES_PER_BOT_DAILY": "100000",
    "MAX_TRADES_PER_USER_DAILY": "100000",
    "BURST_LIMIT_ORDERS_PER_EXCHANGE": "100000",
    "MAX_ERRORS_PER_HOUR": "1000",
    "ORDERS_LEASE_SECONDS": "2",
    "ORDERS_RECONCILE_SECONDS": "0.5",
    "BOT_RUNNER": "off",
}
PASSWORD = "a long enough password"


def reliability_pg() -> str | None:
    """The PostgreSQL URL to run on, or None for SQLite: RELIABILITY_DB=sqlite|postgresql, by
    default PostgreSQL when it is reachable (AMARKTAI_TEST_POSTGRES_URL or the local server)."""
    choice = os.environ.get("RELIABILITY_DB", "auto")
    if choice == "sqlite":
        return None
    url = pg_url()
    if url is None and choice == "postgresql":
        pytest.fail("RELIABILITY_DB=postgresql but PostgreSQL is not reachable")
    return url


class Stack(Suite):
    def __init__(
        self, tmp: Path, pg_url: str | None = None, env: dict[str, str] | None = None
    ) -> None:
        super().__init__(tmp, ALL, {**ORDERS_ENV, **(env or {})})
        self.fake_url = f"http://127.0.0.1:{free_port()}"
        self.env["EXCHANGE_BASE_URLS"] = f"binance={self.fake_url}"
        self.fake: subprocess.Popen | None = None
        self.pg_url = pg_url
        self.schemas: dict[str, str] = {}
        if pg_url is not None:  # set after Suite's __init__, which drops any DATABASE_URL
            self.env["DATABASE_URL"] = pg_url
            run = uuid.uuid4().hex[:8]
            for name in ALL:
                self.schemas[name] = f"rel_{run}_{name}"
                self.env[f"{name.upper()}_DB_SCHEMA"] = self.schemas[name]
        self.engines: dict[str, sqlalchemy.Engine] = {}
        self.http = httpx.Client(base_url=self.url, timeout=30)

    @property
    def dialect(self) -> str:
        return "postgresql" if self.pg_url else "sqlite"

    # ---- processes
    def start(self) -> None:
        log = (self.tmp / "fake.log").open("w")
        port = self.fake_url.rsplit(":", 1)[1]
        self.fake = subprocess.Popen(
            [sys.executable, "-m", "tests.fakes.fake_binance", "--port", port],
            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        _wait_http(f"{self.fake_url}/api/v3/ping", self.fake)
        # hundreds of 600 USDT buys: more than the fake account's 100000 USDT
        r = httpx.post(f"{self.fake_url}/_fake/balance", json={"asset": "USDT", "free": "1e8"})
        assert r.status_code == 200, r.text
        for name in self.services:
            self.start_service(name)
        self.wait_ready(self.http, timeout=60)

    def start_service(self, name: str, **extra: str) -> subprocess.Popen:
        """Start one service (again) on its port; its log is appended to ``<name>.log``."""
        log = (self.tmp / f"{name}.log").open("a")
        log.write(f"=== start {name} {extra}\n")
        log.flush()
        self.procs[name] = subprocess.Popen(
            [sys.executable, "-m", f"services.{name}"],
            cwd=ROOT, env={**self.env, **extra}, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        return self.procs[name]

    def wait_serving(self, name: str, timeout: float = 60) -> float:
        """Until the gateway sees ``name`` SERVING; returns how long that took."""
        t0 = time.monotonic()
        while time.monotonic() - t0 < timeout:
            proc = self.procs[name]
            assert proc.poll() is None, f"{name} exited with {proc.returncode}\n{self.logs()}"
            try:
                services = self.http.get("/readyz").json().get("services", [])
            except (httpx.TransportError, ValueError):
                services = []
            if any(s["name"] == name and s["status"] == "SERVING" for s in services):
                return time.monotonic() - t0
            time.sleep(0.1)
        raise AssertionError(f"{name} did not get ready in {timeout} s\n{self.logs()}")

    def kill(self, name: str) -> int:
        """SIGKILL the service's process (a real kill of its pid); returns its exit status."""
        proc = self.procs[name]
        os.kill(proc.pid, signal.SIGKILL)
        return proc.wait(15)

    def stop_service(self, name: str) -> int | None:
        proc = self.procs[name]
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        try:
            return proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            return None

    def stop(self) -> dict[str, int | None]:
        self.http.close()
        codes = super().stop()
        if self.fake is not None:
            self.fake.terminate()
            self.fake.wait(10)
        for engine in self.engines.values():
            engine.dispose()
        if self.pg_url is not None:
            engine = sqlalchemy.create_engine(self.pg_url)
            with engine.begin() as conn:
                for schema in self.schemas.values():
                    conn.execute(sqlalchemy.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            engine.dispose()
        return codes

    def logs(self) -> str:
        return "\n".join(
            f"--- {n}\n{(self.tmp / f'{n}.log').read_text()[-2500:]}" for n in self.procs
        )

    # ---- a service's own database, behind the API
    def sql(self, service: str, query: str, **params: Any) -> list[sqlalchemy.Row]:
        """Run ``query`` on ``service``'s database; ``{s}`` in it is the table prefix (the
        service's schema on PostgreSQL)."""
        if service not in self.engines:
            url = self.pg_url or f"sqlite:///{self.tmp / f'{service}.db'}"
            self.engines[service] = sqlalchemy.create_engine(url)
        prefix = f'"{self.schemas[service]}".' if self.pg_url else ""
        with self.engines[service].begin() as conn:
            result = conn.execute(sqlalchemy.text(query.format(s=prefix)), params)
            return list(result) if result.returns_rows else []

    def undelivered(self) -> int:
        """Outbox rows of the orders database not yet delivered."""
        return self.sql("orders", "SELECT count(*) FROM {s}outbox WHERE delivered_at IS NULL")[0][0]

    def wait_outbox_empty(self, timeout: float = 60) -> float:
        t0 = time.monotonic()
        while (pending := self.undelivered()) > 0:
            assert time.monotonic() - t0 < timeout, f"{pending} undelivered\n{self.logs()}"
            time.sleep(0.2)
        return time.monotonic() - t0

    # ---- the fake exchange
    def fake_requests(self) -> list[dict]:
        """Every POST /api/v3/order the fake received: client order id, params, outcome."""
        return httpx.get(f"{self.fake_url}/_fake/order_requests", timeout=10).json()

    def fake_orders(self) -> list[dict]:
        return httpx.get(f"{self.fake_url}/_fake/orders", timeout=10).json()

    # ---- users
    def register(self, email: str) -> dict[str, str]:
        """A new user; returns its Authorization header."""
        r = self.http.post("/api/auth/register", json={"email": email, "password": PASSWORD})
        assert r.status_code == 200, r.text
        return {"Authorization": f"Bearer {r.json()['accessToken']}"}

    def fund(self, auth: dict, amount: str = "1000000") -> None:
        event = {"eventId": f"fund-{uuid.uuid4().hex[:8]}", "type": "LEDGER_EVENT_TYPE_FUNDING",
                 "amount": amount, "currency": "USDT"}  # fmt: skip
        r = self.http.post("/api/ledger/events", json=event, headers=auth)
        assert r.status_code == 200, r.text

    def running_bot(self, auth: dict, name: str = "manual", live: bool = False) -> str:
        """A manual bot on binance BTC/USDT, RUNNING; LIVE when ``live``."""
        bot = {"name": name, "exchange": "binance", "symbol": "BTC/USDT", "strategy": "manual",
               "allocatedCapital": "100000"}  # fmt: skip
        r = self.http.post("/api/bots", json=bot, headers=auth)
        assert r.status_code == 200, r.text
        bot_id = r.json()["id"]
        r = self.http.post(f"/api/bots/{bot_id}/start", json={}, headers=auth)
        assert r.status_code == 200, r.text
        if live:
            # Promotion to LIVE needs weeks of paper history and 2FA (DESIGN 5.3): the test sets
            # the mode in the bots service's own database instead, as the orders tests do.
            self.sql("bots", "UPDATE {s}bots SET mode = 'LIVE' WHERE id = :id", id=bot_id)
        return bot_id

    def store_keys(self, auth: dict) -> None:
        keys = {"exchange": "binance", "apiKey": "k-123", "apiSecret": "s-456"}
        r = self.http.post("/api/keys", json=keys, headers=auth)
        assert r.status_code == 200, r.text

    def all_pages(self, path: str, auth: dict, **params: Any) -> list[dict]:
        items, token = [], ""
        while True:
            r = self.http.get(path, params={**params, "page_size": 1000, "page_token": token},
                              headers=auth)  # fmt: skip
            assert r.status_code == 200, r.text
            body = r.json()
            items += body["items"]
            token = body.get("nextPageToken", "")
            if not token:
                return items

    def verify(self, auth: dict) -> dict:
        r = self.http.get("/api/ledger/verify", headers=auth)
        assert r.status_code == 200, r.text
        return r.json()


def order_body(key: str, bot_id: str, side: str = "SIDE_BUY", amount: str = "0.01") -> dict:
    return {"idempotencyKey": key, "botId": bot_id, "exchange": "binance", "symbol": "BTC/USDT",
            "side": side, "type": "ORDER_TYPE_MARKET", "amount": amount,
            "expectedEdgeBps": "200"}  # fmt: skip


def _wait_http(url: str, proc: subprocess.Popen, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"{url}: the process exited with {proc.returncode}"
        try:
            httpx.get(url, timeout=2)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError(f"{url} did not answer in {timeout} s")
