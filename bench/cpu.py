"""CPU time used by named processes between two samples (Linux /proc), to tell where an
operation's time goes: the benchmark's own processes by pid, and the PostgreSQL backends of
their connections by application_name (PostgreSQL must run on this machine)."""

from __future__ import annotations

import os
from collections import defaultdict

import sqlalchemy

TICK = os.sysconf("SC_CLK_TCK")


def _cpu(pid: int) -> float | None:
    """User + system CPU seconds of a process; None once it has exited."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rpartition(")")[2].split()
    except FileNotFoundError:
        return None
    return (int(fields[11]) + int(fields[12])) / TICK


class CpuMeter:
    """``pids``: name -> pid; ``apps``: application_name -> name (its backends' CPU)."""

    def __init__(self, engine: sqlalchemy.Engine, pids: dict[str, int], apps: dict[str, str]):
        self.engine = engine
        self.pids = pids
        self.apps = apps

    def sample(self) -> dict[tuple[str, int], float]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                sqlalchemy.text(
                    "SELECT application_name, pid FROM pg_stat_activity "
                    "WHERE application_name = ANY(:apps)"
                ),
                {"apps": list(self.apps)},
            ).all()
        procs = [*self.pids.items(), *((f"PG {self.apps[app]}", pid) for app, pid in rows)]
        out = {}
        for name, pid in procs:
            secs = _cpu(pid)
            if secs is not None:
                out[(name, pid)] = secs
        return out

    @staticmethod
    def used(before: dict, after: dict) -> dict[str, float]:
        """CPU seconds per name between the samples (a backend started in between counts
        whole; one that ended in between is lost, which pooled connections avoid)."""
        out: dict[str, float] = defaultdict(float)
        for key, secs in after.items():
            out[key[0]] += secs - before.get(key, 0.0)
        return dict(out)
