"""make run: every service as its own process on SQLite under DATA_DIR; Ctrl-C stops them all.

With --demo (make demo) it also sets up a demo user, account and bot (services/demo.py).

The environment is passed through to every service. JWT_SECRET and ENCRYPTION_KEY, when not
set, are made once and kept in DATA_DIR so tokens survive a restart.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

from services import demo

SERVICES = ["ledger", "auth", "orders", "bots", "gateway"]  # started in this order


def _secret(data_dir: Path, name: str) -> str:
    path = data_dir / f"{name.lower()}.key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def _pump(name: str, stream) -> None:
    for line in iter(stream.readline, ""):
        sys.stdout.write(line if line.startswith("ts=") else f"[{name}] {line}")
        sys.stdout.flush()


def _demo(env: dict[str, str], stopping: threading.Event) -> None:
    url = "http://" + env.get("GATEWAY_ADDR", "127.0.0.1:8080")
    try:
        demo.wait_ready(url)
        print(demo.banner(url, demo.seed(url)), flush=True)
    except (RuntimeError, httpx.HTTPError) as exc:
        print(f"amarktai: the demo could not be set up: {exc}; stopping", flush=True)
        stopping.set()


def main(argv: list[str]) -> int:
    demo_mode = "--demo" in argv
    env = dict(os.environ)
    if demo_mode:
        for name, value in demo.ZERO_COSTS.items():
            env.setdefault(name, value)
    data_dir = Path(env.setdefault("DATA_DIR", "var"))
    data_dir.mkdir(parents=True, exist_ok=True)
    for name in ("JWT_SECRET", "ENCRYPTION_KEY"):
        if not env.get(name):
            env[name] = _secret(data_dir, name)
    procs: dict[str, subprocess.Popen] = {}
    stopping = threading.Event()

    def stop(*_args) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    for name in SERVICES:
        p = subprocess.Popen(
            [sys.executable, "-m", f"services.{name}"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        procs[name] = p
        threading.Thread(target=_pump, args=(name, p.stdout), daemon=True).start()
    print(f"amarktai: started {', '.join(SERVICES)}; Ctrl-C stops them", flush=True)
    if demo_mode:
        threading.Thread(target=_demo, args=(env, stopping), daemon=True).start()
    code = 0
    while not stopping.is_set():
        for name, p in procs.items():
            if p.poll() is not None:
                print(f"amarktai: {name} exited with {p.returncode}; stopping", flush=True)
                code = p.returncode or 1
                stopping.set()
        time.sleep(0.2)
    for p in procs.values():
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    deadline = time.time() + 10
    for p in procs.values():
        try:
            p.wait(max(0.1, deadline - time.time()))
        except subprocess.TimeoutExpired:
            p.kill()
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
