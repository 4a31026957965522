"""Reliability runs (``make reliability``): not collected by ``make test`` (pyproject's
norecursedirs lists this folder); ``pytest tests/reliability`` runs them. Each module adds lines
to a summary printed at the end of the run."""

from __future__ import annotations

from tests.reliability.summary import LINES


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if LINES:
        terminalreporter.section("reliability summary")
        for line in LINES:
            terminalreporter.write_line(line)
