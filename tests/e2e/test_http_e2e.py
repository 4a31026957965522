"""The suite as separate processes (auth, ledger, gateway: ``python -m services.X``) driven over
HTTP like the frontend: register, log in, fund, record fills, read the figures, stop cleanly.

Numbers (DESIGN 5.1): fund 10000; buy 10 @ 500 fee 9.95; sell 4 @ 530 fee 9.95 nets
4*30 - 9.95 - 9.95*4/10 = 106.07; equity 10000 + 120 - 19.9 = 10100.1.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from decimal import Decimal as D
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("auth", "ledger", "gateway")
if not (ROOT / "services" / "auth" / "__main__.py").exists():
    pytest.skip("the auth service is not there yet", allow_module_level=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Suite:
    def __init__(self, tmp: Path) -> None:
        ports = {name: free_port() for name in ("auth", "ledger", "orders", "bots", "gateway")}
        self.env = {
            **os.environ,
            "JWT_SECRET": "e2e-secret-" + "y" * 40,
            "DATA_DIR": str(tmp),
            "OTEL_TRACES_EXPORTER": "none",
            "PYTHONPATH": str(ROOT),
            **{f"{name.upper()}_ADDR": f"127.0.0.1:{port}" for name, port in ports.items()},
        }
        for name in ("DATABASE_URL", "LEDGER_DATABASE_URL", "AUTH_DATABASE_URL"):
            self.env.pop(name, None)
        self.url = f"http://127.0.0.1:{ports['gateway']}"
        self.tmp = tmp
        self.procs: dict[str, subprocess.Popen] = {}

    def start(self) -> None:
        for name in SERVICES:
            log = (self.tmp / f"{name}.log").open("w")
            self.procs[name] = subprocess.Popen(
                [sys.executable, "-m", f"services.{name}"],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def logs(self) -> str:
        return "\n".join(
            f"--- {n}\n{(self.tmp / f'{n}.log').read_text()[-3000:]}" for n in self.procs
        )

    def wait_ready(self, client: httpx.Client, timeout: float = 30) -> None:
        """Until the gateway answers and sees auth and ledger SERVING (orders, bots: not here)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for name, p in self.procs.items():
                assert p.poll() is None, f"{name} exited with {p.returncode}\n{self.logs()}"
            try:
                services = client.get("/readyz").json()["services"]
                up = {s["name"] for s in services if s["status"] == "SERVING"}
                if {"auth", "ledger"} <= up:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"the suite did not get ready\n{self.logs()}")

    def stop(self) -> dict[str, int | None]:
        for p in self.procs.values():
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        codes = {}
        for name, p in self.procs.items():
            try:
                codes[name] = p.wait(15)
            except subprocess.TimeoutExpired:
                p.kill()
                codes[name] = None
        return codes


@pytest.fixture
def suite(tmp_path) -> Iterator[Suite]:
    s = Suite(tmp_path)
    s.start()
    try:
        yield s
    finally:
        s.stop()


def test_register_login_fund_trade_and_read_over_http(suite):
    with httpx.Client(base_url=suite.url, timeout=15) as http:
        suite.wait_ready(http)
        creds = {"email": "trader@example.com", "password": "a long enough password"}
        r = http.post("/api/auth/register", json=creds)
        assert r.status_code == 200, r.text
        assert r.json()["user"]["email"] == "trader@example.com"
        assert r.headers["x-trace-id"]

        r = http.post("/api/auth/login", json={**creds, "password": "not the password!"})
        assert r.status_code == 401, r.text
        r = http.post("/api/auth/login", json=creds)
        assert r.status_code == 200, r.text
        auth = {"Authorization": f"Bearer {r.json()['accessToken']}"}

        assert http.get("/api/portfolio/summary").status_code == 401
        event = {
            "eventId": "fund-1",
            "type": "LEDGER_EVENT_TYPE_FUNDING",
            "amount": "10000",
            "currency": "USDT",
            "occurredAt": "2026-03-02T09:00:00Z",
        }
        assert http.post("/api/ledger/events", json=event, headers=auth).status_code == 200
        base = {"botId": "b1", "exchange": "binance", "symbol": "BTC/USDT", "fee": "9.95"}
        buy = {**base, "fillId": "a", "side": "SIDE_BUY", "amount": "10", "price": "500",
               "executedAt": "2026-03-09T10:00:00Z"}  # fmt: skip
        sell = {**base, "fillId": "b", "side": "SIDE_SELL", "amount": "4", "price": "530",
                "executedAt": "2026-03-09T11:00:00Z"}  # fmt: skip
        assert http.post("/api/ledger/fills", json=buy, headers=auth).status_code == 200
        r = http.post("/api/ledger/fills", json=sell, headers=auth)
        assert r.status_code == 200, r.text
        assert D(r.json()["fill"]["netPnl"]) == D("106.07")

        summary = http.get("/api/portfolio/summary", headers=auth).json()
        assert D(summary["equity"]) == D("10100.1")
        assert (summary["trades"], summary["winningTrades"]) == ("1", "1")
        [position] = summary["positions"]
        assert (D(position["amount"]), D(position["averagePrice"])) == (6, 500)

        profits = http.get("/api/profits?period=daily", headers=auth).json()
        [day] = profits["buckets"]
        assert day["periodStart"] == "2026-03-09T00:00:00Z"
        assert (D(day["netPnl"]), day["trades"]) == (D("100.1"), "1")  # 120 - 19.9

        trail = http.get("/api/ledger/audit-trail", headers=auth).json()["items"]
        assert [i["entryId"] for i in trail] == ["fund-1", "a", "b"]
        assert trail[1]["prevHash"] == trail[0]["hash"]

        r = http.post("/api/ledger/fills", content=b"{not json", headers=auth)
        assert r.status_code == 400 and r.json()["code"] == 3

    codes = suite.stop()
    assert codes == {name: 0 for name in SERVICES}, suite.logs()
