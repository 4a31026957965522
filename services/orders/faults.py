"""Named fault points, for crash tests only (``ORDERS_FAULT_POINT``; never set in production).

With a point named, the process dies the moment it gets there, as ``kill -9`` would: exit status
137, no cleanup, no open transaction committed, no lease released. The points:

| point | where |
| --- | --- |
| before_exchange_call | a live order is SUBMITTED with its client order id, about to be sent |
| after_exchange_ack | the exchange answered the placement; its fills are not yet committed |
| after_commit | fills and their outbox rows are committed; nothing delivered, no reply |
| during_outbox_delivery | the ledger accepted a fill; its outbox row is not yet marked done |

Tests in-process pass an ``action`` that raises ``Killed`` instead of exiting.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

BEFORE_EXCHANGE_CALL = "before_exchange_call"
AFTER_EXCHANGE_ACK = "after_exchange_ack"
AFTER_COMMIT = "after_commit"
DURING_OUTBOX_DELIVERY = "during_outbox_delivery"
POINTS = (BEFORE_EXCHANGE_CALL, AFTER_EXCHANGE_ACK, AFTER_COMMIT, DURING_OUTBOX_DELIVERY)


class Killed(BaseException):
    """An in-process stand-in for SIGKILL: a BaseException, so no ``except Exception`` on the
    way out cleans anything up (leases stay held, as after a real kill)."""


def die(point: str) -> None:
    sys.stderr.write(f"ORDERS_FAULT_POINT={point} reached: exiting as if killed\n")
    sys.stderr.flush()
    os._exit(137)


class Faults:
    def __init__(self, point: str = "", action: Callable[[str], None] = die) -> None:
        if point and point not in POINTS:
            raise ValueError(f"unknown fault point {point!r}; one of {', '.join(POINTS)}")
        self.point = point
        self.action = action

    def hit(self, point: str) -> None:
        if self.point and point == self.point:
            self.action(point)
