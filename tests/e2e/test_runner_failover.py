"""Lease failover between two bots PROCESSES on one database: the replica running a bot is
killed with SIGKILL (no cleanup, no lease release), and the other takes the bot over once the
lease lapses."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time

import httpx
import pytest

from tests.e2e.suite import ROOT, Suite, available, free_port

SERVICES = ("auth", "ledger", "orders", "bots", "gateway")
if not available(SERVICES):
    pytest.skip("orders or bots not there yet", allow_module_level=True)
LEASE = 3


def holder_of(log_text: str, bot_id: str) -> str | None:
    found = re.findall(rf"event=lease_acquired bot_id={bot_id} holder=(\S+)", log_text)
    return found[-1] if found else None


def test_a_killed_runner_s_bot_is_taken_over_within_the_lease(tmp_path):
    suite = Suite(tmp_path, SERVICES, {"BOT_LEASE_SECONDS": str(LEASE)})
    suite.start()
    second_log = tmp_path / "bots-2.log"
    second = subprocess.Popen(
        [sys.executable, "-m", "services.bots"],
        cwd=ROOT,
        env={**suite.env, "BOTS_ADDR": f"127.0.0.1:{free_port()}"},
        stdout=second_log.open("w"),
        stderr=subprocess.STDOUT,
    )
    logs = {"first": tmp_path / "bots.log", "second": second_log}
    procs = {"first": suite.procs["bots"], "second": second}
    try:
        with httpx.Client(base_url=suite.url, timeout=20) as http:
            suite.wait_ready(http)
            creds = {"email": "lease@example.com", "password": "a long enough password"}
            token = http.post("/api/auth/register", json=creds).json()["accessToken"]
            auth = {"Authorization": f"Bearer {token}"}
            bot = {"name": "b", "exchange": "binance", "symbol": "BTC/USDT",
                   "strategy": "sma_crossover", "allocatedCapital": "1000",
                   "params": {"fast": "2", "slow": "3", "amount": "0.01"},
                   "intervalSeconds": 5}  # fmt: skip
            bot_id = http.post("/api/bots", json=bot, headers=auth).json()["id"]
            assert http.post(f"/api/bots/{bot_id}/start", json={}, headers=auth).status_code == 200

            def holders() -> dict[str, str | None]:
                return {k: holder_of(p.read_text(), bot_id) for k, p in logs.items()}

            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and not any(holders().values()):
                time.sleep(0.2)
            first_holders = holders()
            running = [k for k, h in first_holders.items() if h]
            assert len(running) == 1, f"exactly one replica runs the bot: {first_holders}"
            victim, survivor = running[0], ("second" if running[0] == "first" else "first")

            procs[victim].send_signal(signal.SIGKILL)
            procs[victim].wait(5)
            killed_at = time.monotonic()
            while time.monotonic() < killed_at + 30 and not holders()[survivor]:
                time.sleep(0.2)
            took = time.monotonic() - killed_at
            assert holders()[survivor], f"no takeover\n{logs[survivor].read_text()[-2000:]}"
            # the lease lapses after LEASE seconds; the survivor looks at least every LEASE/3
            assert took < LEASE + 5, f"takeover after {took:.1f} s"

            orders = http.get("/api/orders", headers=auth).json().get("items", [])
            keys = [o["idempotencyKey"] for o in orders]
            assert len(keys) == len(set(keys)), "a decision was submitted as two orders"
    finally:
        if second.poll() is None:
            second.send_signal(signal.SIGTERM)
            second.wait(15)
        suite.stop()
