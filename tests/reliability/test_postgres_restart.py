"""PostgreSQL restarted under load: the services (not restarted) serve again within a bound,
and no order a client was told is FILLED lacks its fill in the ledger.

Load for ~RELIABILITY_PG_LOAD_SECONDS (20): clients submit paper market orders on a RUNNING
manual bot (retrying each with its key until it has an answer) and read summaries; in the
middle PostgreSQL is stopped for ~2 s and started again (RELIABILITY_PG=private, the default:
a throwaway server; RELIABILITY_PG=shared: the machine's cluster via pg_ctlcluster).
"""

from __future__ import annotations

import os
import threading
import time
from collections import Counter
from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import pg_url
from tests.reliability.client import NoAnswer, Submitted, check_exactly_once, submit
from tests.reliability.postgres import PrivatePostgres, SharedCluster, why_not
from tests.reliability.stack import Stack, order_body
from tests.reliability.summary import report

MODE = os.environ.get("RELIABILITY_PG", "private")
LOAD_SECONDS = float(os.environ.get("RELIABILITY_PG_LOAD_SECONDS", "20"))
RECOVERY_BOUND = 30.0
KEY_PATIENCE = 45.0  # a client sets a key aside after this long without an answer ...
STUCK_PATIENCE = float(os.environ.get("RELIABILITY_STUCK_SECONDS", "400"))  # ... and comes back


@pytest.fixture(scope="module")
def server() -> Iterator[PrivatePostgres | SharedCluster]:
    reason = why_not(MODE)
    if reason:
        pytest.skip(f"PostgreSQL cannot be restarted here: {reason}")
    if MODE == "shared":
        url = pg_url()
        if url is None:
            pytest.skip("PostgreSQL is not reachable")
        pg: PrivatePostgres | SharedCluster = SharedCluster(url)
    else:
        pg = PrivatePostgres()
        pg.start()
    try:
        yield pg
    finally:
        pg.close()  # the shared cluster is started again whatever happened


@pytest.fixture(scope="module")
def stack(server, tmp_path_factory) -> Iterator[Stack]:
    s = Stack(tmp_path_factory.mktemp("pgrestart"), server.url)
    s.start()
    try:
        yield s
    finally:
        s.stop()


class Load:
    """Clients in threads; every request's (time, what, status) is kept."""

    def __init__(self, stack: Stack, auth: dict, bot_id: str) -> None:
        self.stack, self.auth, self.bot_id = stack, auth, bot_id
        self.stop = threading.Event()
        self.events: list[tuple[float, str, int]] = []
        self.answered: list[Submitted] = []
        self.errors: list[BaseException] = []
        self.stuck: list[dict] = []  # bodies of keys set aside without an answer
        self.http = httpx.Client(base_url=stack.url, timeout=10)

    def submitter(self, n: int) -> None:
        i = 0
        try:
            while not self.stop.is_set():
                body = order_body(f"pg-{n}-{i}", self.bot_id)
                i += 1
                try:
                    self.answered.append(
                        submit(self.stack, self.auth, body, KEY_PATIENCE, self.events)
                    )
                except NoAnswer:
                    self.stuck.append(body)
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            self.errors.append(exc)

    def reader(self) -> None:
        while not self.stop.is_set():
            for path in ("/api/portfolio/summary", "/api/bots", "/api/ledger/fills"):
                try:
                    status = self.http.get(path, headers=self.auth).status_code
                except httpx.TransportError:
                    status = 0
                self.events.append((time.monotonic(), path, status))
            time.sleep(0.05)


def test_postgres_restarted_under_load_services_recover_without_restart(server, stack):
    auth = stack.register("pg-restart@example.com")
    stack.fund(auth)
    load = Load(stack, auth, stack.running_bot(auth, "paper"))
    pids = {name: p.pid for name, p in stack.procs.items()}
    threads = [threading.Thread(target=load.submitter, args=(n,), daemon=True) for n in range(3)]
    threads.append(threading.Thread(target=load.reader, daemon=True))
    t0 = time.monotonic()
    for t in threads:
        t.start()
    try:
        time.sleep(LOAD_SECONDS / 3)
        down = time.monotonic()
        server.stop()
        time.sleep(2)
        server.start()
        up = time.monotonic()
        time.sleep(max(0.0, t0 + LOAD_SECONDS - time.monotonic()))
    finally:
        load.stop.set()
        for t in threads:
            t.join(180)
    assert not load.errors, load.errors[0]
    end = time.monotonic()

    # the same processes, none restarted, all alive
    assert {n: p.pid for n, p in stack.procs.items()} == pids
    dead = {n: p.returncode for n, p in stack.procs.items() if p.poll() is not None}
    assert not dead, f"{dead}\n{stack.logs()}"

    # after PostgreSQL is back every kind of request succeeds again, within the bound
    recovered = {}
    for what in ("submit", "/api/portfolio/summary", "/api/bots", "/api/ledger/fills"):
        ok = [t for t, w, s in load.events if w == what and s == 200 and t > up]
        assert ok, f"no {what} succeeded after the restart\n{stack.logs()}"
        recovered[what] = min(ok) - up
        assert recovered[what] < RECOVERY_BOUND, (what, recovered[what])
    # and from then on nothing fails (the last few seconds of load are all 200s)
    settled = max(recovered.values()) + up
    stuck = {b["idempotencyKey"] for b in load.stuck}
    late = Counter(s for t, _, s in load.events if t > settled + 1)
    assert set(late) <= {200, 409}, late
    # 409 after recovery: IDEMPOTENCY_KEY_IN_USE, retries of a key whose order the outage
    # interrupted before its gates were decided. The sweep fails such an order within
    # STALE_RECEIVED (25 s), so no key stays blocked past the recovery bound.
    late_409 = [t - up for t, w, s in load.events if w == "submit" and s == 409 and t > up]
    assert not late_409 or max(late_409) < RECOVERY_BOUND, (max(late_409), stuck)

    during: dict[str, Counter] = {}
    for t, what, status in load.events:
        if down <= t <= settled:
            during.setdefault(what, Counter())[status] += 1
    healed = _heal_stuck_keys(stack, auth, load, up)
    totals = check_exactly_once(stack, auth, load.answered)
    states = Counter(a.order["state"].removeprefix("ORDER_STATE_") for a in load.answered)
    for a in load.answered:  # not filled: refused while the ledger could not read, or given
        o = a.order  # up as interrupted by the outage; an answer either way, never a lost fill
        if o["state"] == "ORDER_STATE_REJECTED":
            assert o["rejection"]["code"] == "BREAKER_METRICS_UNAVAILABLE", o
        else:
            assert o["state"] in ("ORDER_STATE_FILLED", "ORDER_STATE_FAILED"), o
    retried = stack.sql("orders", "SELECT count(*) FROM {s}outbox WHERE attempts > 0")[0][0]
    report(
        f"PostgreSQL ({MODE}) restarted under load: stopped {up - down:.1f} s; {len(load.answered)}"
        f" orders in {end - t0:.0f} s ({', '.join(f'{k}: {v}' for k, v in states.items())}); "
        f"answers from stop to recovery { ({k: dict(v) for k, v in during.items()}) }; "
        "first success after it was back: "
        + ", ".join(f"{k} {v:.1f} s" for k, v in recovered.items())
        + f"; {retried} fills redelivered from the outbox; {totals}"
    )
    for line in healed:
        report(f"  key interrupted by the outage: {line}")
    slow = [line for line in healed if "BOUND" in line]
    assert not slow, f"keys that stayed IN_USE past {RECOVERY_BOUND} s after the restart: {slow}"


def _heal_stuck_keys(stack: Stack, auth: dict, load: Load, up: float) -> list[str]:
    """The keys a client set aside: what their orders were left as, then the client retrying
    them until answered; one line each (with BOUND when it took longer than the bound)."""
    lines = []
    rows = [  # what each was left as, before any retry can change it
        stack.sql(
            "orders",
            "SELECT id, state, state_reason, done, created_at, updated_at FROM {s}orders "
            "WHERE idempotency_key = :k",
            k=body["idempotencyKey"],
        )[0]
        for body in load.stuck
    ]
    for body, row in zip(load.stuck, rows, strict=True):
        key = body["idempotencyKey"]
        a = submit(stack, auth, body, STUCK_PATIENCE)
        load.answered.append(a)
        took = time.monotonic() - up
        late = " (past the BOUND)" if took > RECOVERY_BOUND else ""
        lines.append(
            f"{key}: order {row.id} left {row.state} (done={row.done}, "
            f"reason {row.state_reason!r}, created {row.created_at}, updated {row.updated_at}); "
            f"answered {a.order['state']} ({a.order['stateReason']!r}) {took:.0f} s after "
            f"PostgreSQL was back{late}"
        )
    return lines
