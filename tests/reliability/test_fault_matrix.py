"""The fault matrix: the orders process killed (as SIGKILL: ``ORDERS_FAULT_POINT`` makes it exit
137 at a named point, no cleanup) at each point, RELIABILITY_ROUNDS times (default 20), and the
ledger process SIGKILLed (a real kill of its pid) while fills are being delivered to it.

Each round: orders started with the fault point; the client submits a LIVE market buy with an
idempotency key and gets an error (the process died); orders started again without it (same
database); the client retries with the same key until it has an answer and the order is final.
After all rounds: the fake exchange got at most one order per client order id and none nobody
knows, every FILLED order's fills are in the ledger exactly once, and the ledger's Verify is ok.
"""

from __future__ import annotations

import os
import threading
import time
from collections import Counter
from collections.abc import Iterator

import pytest

from services.orders.faults import POINTS
from tests.reliability.client import Submitted, check_exactly_once, submit
from tests.reliability.stack import Stack, order_body, reliability_pg
from tests.reliability.summary import report, table

ROUNDS = int(os.environ.get("RELIABILITY_ROUNDS", "20"))
LEDGER_KILLS = int(os.environ.get("RELIABILITY_LEDGER_KILLS", "5"))
ANSWERED: list[Submitted] = []  # every order a client got an answer for, across the module
ROWS: list[list[object]] = []


@pytest.fixture(scope="module")
def stack(tmp_path_factory) -> Iterator[Stack]:
    s = Stack(tmp_path_factory.mktemp("faults"), reliability_pg())
    s.start()
    try:
        yield s
    finally:
        s.stop()
        report(f"fault matrix on {s.dialect}, {ROUNDS} rounds per point")
        for line in table(
            ["kill", "rounds", "first answer", "exit", "outcomes", "recovery s (max)", "retries"],
            ROWS,
        ):
            report(line)


@pytest.fixture(scope="module")
def trader(stack) -> tuple[dict, str, str]:
    """A funded user with binance keys, a RUNNING LIVE bot and a RUNNING PAPER bot."""
    auth = stack.register("faults@example.com")
    stack.fund(auth)
    stack.store_keys(auth)
    return auth, stack.running_bot(auth, "live", live=True), stack.running_bot(auth, "paper")


def _restart_orders(stack: Stack, fault_point: str = "") -> None:
    if stack.procs["orders"].poll() is not None:  # left dead by a failed round
        stack.start_service("orders")
        stack.wait_serving("orders")
    stack.wait_outbox_empty()  # a faulty process must not meet what a previous one left
    assert stack.stop_service("orders") == 0, stack.logs()
    stack.start_service("orders", ORDERS_FAULT_POINT=fault_point)
    stack.wait_serving("orders")


@pytest.mark.parametrize("point", POINTS)
def test_orders_killed_at_a_point_then_restarted_settles_every_order_once(stack, trader, point):
    auth, live_bot, _ = trader
    first, exits, outcomes, recovery, retries = Counter(), Counter(), Counter(), [], []
    t0 = time.monotonic()
    try:
        for i in range(ROUNDS):
            body = order_body(f"{point}-{i}", live_bot)
            _restart_orders(stack, point)
            r = stack.http.post("/api/orders/submit", json=body, headers=auth)
            first[r.status_code] += 1
            assert r.status_code != 200, f"round {i}: answered though killed at {point}: {r.text}"
            exits[stack.procs["orders"].wait(15)] += 1
            killed_at = time.monotonic()
            stack.start_service("orders")
            stack.wait_serving("orders")
            answer = submit(stack, auth, body)
            ANSWERED.append(answer)
            recovery.append(time.monotonic() - killed_at)
            retries.append(answer.attempts)
            outcomes[answer.order["state"].removeprefix("ORDER_STATE_")] += 1
            assert answer.order["replayed"], answer.order  # the retry got the first order back
    finally:
        n = max(len(recovery), 1)
        ROWS.append([
            point, len(recovery), _fmt(first), _fmt(exits), _fmt(outcomes),
            f"{sum(recovery) / n:.1f} ({max(recovery, default=0):.1f})",
            f"{sum(retries) / n:.1f} (max {max(retries, default=0)})",
        ])  # fmt: skip
    assert exits == {137: ROUNDS}, exits  # each round's process died at the point
    assert outcomes == {"FILLED": ROUNDS}, outcomes
    totals = check_exactly_once(stack, auth, ANSWERED)
    report(f"{point}: {ROUNDS} rounds in {time.monotonic() - t0:.0f} s; so far {totals}")


def test_ledger_killed_while_fills_are_delivered_gets_each_fill_once(stack, trader):
    """Clients submit LIVE orders without pause; each kill comes right after the fake exchange
    took an order, so that order's fill is being stored or delivered as the ledger dies. Orders
    decided while the ledger is down are REJECTED by the breaker gate, which takes no order
    without the ledger's figures (BREAKER_METRICS_UNAVAILABLE): an answer, nothing executed."""
    auth, live_bot, _ = trader
    _restart_orders(stack)  # a healthy orders process for the whole load
    answered: list[Submitted] = []
    stop = threading.Event()
    errors: list[BaseException] = []

    def client(n: int) -> None:
        i = 0
        try:
            while not stop.is_set():
                answered.append(submit(stack, auth, order_body(f"ledger-kill-{n}-{i}", live_bot)))
                i += 1
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            errors.append(exc)

    workers = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(4)]
    t0 = time.monotonic()
    for w in workers:
        w.start()
    downtimes = []
    try:
        for _ in range(LEDGER_KILLS):
            time.sleep(1.0)  # let the clients get going again
            placed = len(stack.fake_requests())
            deadline = time.monotonic() + 30
            while len(stack.fake_requests()) == placed:  # until the exchange takes one more
                assert not errors, errors[0]
                assert time.monotonic() < deadline, f"no order placed\n{stack.logs()}"
            assert stack.kill("ledger") == -9
            down = time.monotonic()
            time.sleep(1.0)  # fills made now wait in the outbox
            stack.start_service("ledger")
            stack.wait_serving("ledger")
            downtimes.append(time.monotonic() - down)
        time.sleep(2)
    finally:
        stop.set()
        for w in workers:
            w.join(120)
    assert not errors, errors[0]
    retried = stack.sql("orders", "SELECT count(*) FROM {s}outbox WHERE attempts > 0")[0][0]
    ANSWERED.extend(answered)
    totals = check_exactly_once(stack, auth, ANSWERED)
    states = Counter(a.order["state"].removeprefix("ORDER_STATE_") for a in answered)
    report(
        f"ledger SIGKILLed {LEDGER_KILLS} times under load ({time.monotonic() - t0:.0f} s): "
        f"{len(answered)} orders {_fmt(states)}, ledger down {min(downtimes):.1f}-"
        f"{max(downtimes):.1f} s each; {retried} fills failed to reach it and were redelivered "
        f"from the outbox; overall {totals}"
    )
    refused = [a.order for a in answered if a.order["state"] != "ORDER_STATE_FILLED"]
    for o in refused:
        assert o["state"] == "ORDER_STATE_REJECTED", o
        assert o["rejection"]["code"] == "BREAKER_METRICS_UNAVAILABLE", o
    assert states["FILLED"] > 0 and retried > 0, (states, retried)


def _fmt(c: Counter) -> str:
    return ", ".join(f"{k}: {v}" for k, v in sorted(c.items(), key=lambda kv: str(kv[0])))
