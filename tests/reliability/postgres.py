"""A PostgreSQL server the reliability run may stop and start.

``private`` (the default): a throwaway server of its own (initdb in a temp dir, a free port,
run as the ``postgres`` user when we are root), so restarting it disturbs nobody else's tests.
``shared`` (RELIABILITY_PG=shared): the machine's cluster, restarted with ``pg_ctlcluster``
as the issue describes; whatever happens it is started again at the end.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from tests.e2e.suite import free_port


def _bin(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else None


def why_not(mode: str) -> str | None:
    """Why PostgreSQL cannot be restarted here, or None when it can."""
    if mode == "shared":
        if os.geteuid() != 0:
            return "restarting the shared cluster needs root"
        if shutil.which("pg_ctlcluster") is None or not os.path.isdir("/etc/postgresql"):
            return "no pg_ctlcluster or /etc/postgresql"
        return None
    if _bin("initdb") is None or _bin("pg_ctl") is None:
        return "no PostgreSQL server binaries (/usr/lib/postgresql/*/bin)"
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        return "root without runuser: initdb refuses to run as root"
    return None


class PrivatePostgres:
    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="amarktai-pg-"))
        self.data = self.dir / "data"
        self.port = free_port()
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"
        os.chmod(self.dir, 0o755)
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        self._run(_bin("initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres",
                  "--no-sync")  # fmt: skip

    def _run(self, *args: str | None) -> None:
        cmd = [a for a in args if a is not None]
        if os.geteuid() == 0:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        subprocess.run(cmd, check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        opts = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.dir} -c max_connections=200"
        self._run(_bin("pg_ctl"), "-D", str(self.data), "-l", str(self.dir / "log"), "-o", opts,
                  "-w", "-t", "60", "start")  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        self._run(_bin("pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def close(self) -> None:
        try:
            if (self.data / "postmaster.pid").exists():
                self.stop("immediate")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


class SharedCluster:
    """The machine's PostgreSQL (pg_lsclusters: one version, cluster ``main``)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.version = sorted(os.listdir("/etc/postgresql"))[-1]

    def _ctl(self, action: str) -> None:
        subprocess.run(
            ["pg_ctlcluster", "--skip-systemctl-redirect", self.version, "main", action],
            check=True, capture_output=True, timeout=120,
        )  # fmt: skip

    def start(self) -> None:
        self._ctl("start")

    def stop(self, mode: str = "fast") -> None:
        self._ctl("stop")

    def close(self) -> None:
        """Make sure it runs again, whatever happened."""
        status = subprocess.run(
            ["pg_ctlcluster", self.version, "main", "status"], capture_output=True, timeout=30
        )
        if status.returncode != 0:  # 3: not running
            self.start()
            time.sleep(1)
