"""What the dashboard's browser tests add to tests/e2e/suite.py: a headless Chromium and
numbered screenshots.

The browser is Debian's ``chromium`` driven by Playwright through ``executable_path``: no
browser is ever downloaded (``make browser-deps`` installs the Debian package).
"""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

from tests.e2e.suite import ALL, Suite, available

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def browser_missing() -> str | None:
    """Why the browser tests cannot run here, or None."""
    if not CHROMIUM.exists():
        return f"Chromium is not installed at {CHROMIUM}; `make test-browser` installs it"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright for Python is not installed; `make install` installs it"
    return None


def present_services() -> list[str]:
    """The services that exist so far (``services/<name>/__main__.py``), in start order."""
    return [name for name in ALL if available([name])]


def stop_service(suite: Suite, name: str) -> None:
    """End one service of the suite (to see how the page copes)."""
    p = suite.procs[name]
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
    try:
        p.wait(15)
    except subprocess.TimeoutExpired:
        p.kill()


class Screenshots:
    """Numbered full-page PNGs in one folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self.taken: list[Path] = []

    def take(self, page, name: str) -> Path:
        path = self.folder / f"{len(self.taken) + 1:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        self.taken.append(path)
        return path
