"""Shared pieces of the benchmarks: timing, percentiles, the PostgreSQL URL, the table."""

from __future__ import annotations

import os
import statistics
import time
import uuid
from collections.abc import Callable

import sqlalchemy

from services.common.db import Database

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/postgres"


def pg_url() -> str:
    url = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("DATABASE_URL") or DEFAULT_PG
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


def fresh_pg(prefix: str) -> Database:
    return Database(pg_url(), f"bench_{prefix}_{uuid.uuid4().hex[:8]}")


def drop(db: Database) -> None:
    with db.engine.begin() as conn:
        conn.execute(sqlalchemy.text(f'DROP SCHEMA IF EXISTS "{db.schema}" CASCADE'))
    db.dispose()


def percentiles(samples_s: list[float]) -> tuple[float, float]:
    """p50 and p99 in milliseconds."""
    qs = statistics.quantiles(samples_s, n=100, method="inclusive")
    return qs[49] * 1000, qs[98] * 1000


def timed(fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


class Report:
    def __init__(self) -> None:
        self.rows: list[tuple[str, str, str]] = []

    def add(self, name: str, value: str, note: str = "") -> None:
        self.rows.append((name, value, note))
        print(f"  {name}: {value} {note}", flush=True)

    def render(self) -> str:
        w0 = max(len(r[0]) for r in self.rows)
        w1 = max(len(r[1]) for r in self.rows)
        lines = [f"| {'figure'.ljust(w0)} | {'value'.ljust(w1)} | note |"]
        lines.append(f"| {'-' * w0} | {'-' * w1} | --- |")
        lines += [f"| {a.ljust(w0)} | {b.ljust(w1)} | {c} |" for a, b, c in self.rows]
        return "\n".join(lines)


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Processes:
    """Services started as real processes (``python -m services.X``) for a benchmark."""

    def __init__(self, env: dict[str, str]) -> None:
        import os
        import sys

        self.env = {**os.environ, "OTEL_TRACES_EXPORTER": "none", "LOG_LEVEL": "WARNING", **env}
        self.python = sys.executable
        self.procs: list = []

    def start(self, name: str, wait_port: int, timeout: float = 30.0) -> None:
        import socket
        import subprocess

        p = subprocess.Popen(
            [self.python, "-m", f"services.{name}"],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.procs.append(p)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if p.poll() is not None:
                raise RuntimeError(f"{name} exited with {p.returncode}")
            try:
                socket.create_connection(("127.0.0.1", wait_port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"{name} did not listen on {wait_port} within {timeout} s")

    def stop(self) -> None:
        for p in self.procs:
            p.terminate()
        for p in self.procs:
            p.wait(10)
