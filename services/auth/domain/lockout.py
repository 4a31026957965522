"""The lockout rule: 5 failed 2FA attempts lock the user's 2FA checks for 15 minutes.

Failures count from the first failure; a count older than 15 minutes starts afresh, and a
success clears it. The attempt that reaches 5 sets the lock; while locked every check is
refused, right or wrong, and no further failure is counted.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime, timedelta

MAX_FAILURES = 5
LOCK_DURATION = timedelta(minutes=15)
FAILURE_WINDOW = timedelta(minutes=15)


@dataclass(frozen=True)
class TotpState:
    last_step: int = -1
    failures: int = 0
    first_failure_at: datetime | None = None
    locked_until: datetime | None = None

    def locked_at(self, now: datetime) -> datetime | None:
        """When the lock ends, if it is in force at ``now``."""
        if self.locked_until is not None and now < self.locked_until:
            return self.locked_until
        return None

    def after_failure(self, now: datetime) -> TotpState:
        fresh = self.first_failure_at is None or now - self.first_failure_at >= FAILURE_WINDOW
        failures = 1 if fresh else self.failures + 1
        first = now if fresh else self.first_failure_at
        if failures >= MAX_FAILURES:
            return dataclasses.replace(
                self, failures=0, first_failure_at=None, locked_until=now + LOCK_DURATION
            )
        return dataclasses.replace(
            self, failures=failures, first_failure_at=first, locked_until=None
        )

    def after_success(self, step: int | None) -> TotpState:
        last = self.last_step if step is None else max(self.last_step, step)
        return TotpState(last_step=last)

    @property
    def attempts_left(self) -> int:
        return MAX_FAILURES - self.failures
