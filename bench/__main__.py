"""make bench: every benchmark, then one table of figures and ratios."""

from __future__ import annotations

import sys

from bench import gateway_bench, ledger_bench, orders_bench
from bench.common import Report

BENCHES = {"ledger": ledger_bench.run, "gateway": gateway_bench.run, "orders": orders_bench.run}


def main(argv: list[str]) -> int:
    chosen = argv or list(BENCHES)
    table = Report()
    for name in chosen:
        BENCHES[name](table)
    print()
    print(table.render())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
