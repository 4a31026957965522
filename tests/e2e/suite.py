"""The services as real processes (``python -m services.X``) on free ports, for e2e tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
ALL = ("auth", "ledger", "orders", "bots", "gateway")  # start order: dependencies first
SECRET = "e2e-secret-" + "y" * 40


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def available(names: Iterable[str]) -> bool:
    return all((ROOT / "services" / n / "__main__.py").exists() for n in names)


class Suite:
    def __init__(self, tmp: Path, services: Iterable[str], env: dict[str, str] | None = None):
        self.ports = {name: free_port() for name in ALL}
        self.env = {
            **os.environ,
            "JWT_SECRET": SECRET,
            "DATA_DIR": str(tmp),
            "OTEL_TRACES_EXPORTER": "none",
            "PYTHONPATH": str(ROOT),
            **{f"{name.upper()}_ADDR": f"127.0.0.1:{port}" for name, port in self.ports.items()},
            **(env or {}),
        }
        for name in ("DATABASE_URL", *(f"{n.upper()}_DATABASE_URL" for n in ALL)):
            self.env.pop(name, None)
        self.services = [n for n in ALL if n in set(services)]
        self.url = f"http://127.0.0.1:{self.ports['gateway']}"
        self.tmp = tmp
        self.procs: dict[str, subprocess.Popen] = {}

    def start(self) -> None:
        for name in self.services:
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
        """Until the gateway answers and sees every started gRPC service SERVING."""
        wanted = {n for n in self.services if n != "gateway"}
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for name, p in self.procs.items():
                assert p.poll() is None, f"{name} exited with {p.returncode}\n{self.logs()}"
            try:
                services = client.get("/readyz").json()["services"]
                if wanted <= {s["name"] for s in services if s["status"] == "SERVING"}:
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
