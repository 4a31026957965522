"""Lines each reliability module adds, printed together at the end of the run (conftest.py)."""

from __future__ import annotations

LINES: list[str] = []


def report(line: str = "") -> None:
    LINES.append(line)


def table(headers: list[str], rows: list[list[object]]) -> list[str]:
    cells = [headers, *[[str(c) for c in r] for r in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    return [fmt.format(*r) for r in cells]
