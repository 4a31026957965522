"""What a careful client does: retry a submission with the SAME idempotency key until it has an
answer, then follow the order until it is final; and the checks a user would make afterwards."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal as D

import httpx

from tests.reliability.stack import Stack

FINAL = {"ORDER_STATE_FILLED", "ORDER_STATE_REJECTED", "ORDER_STATE_CANCELED",
         "ORDER_STATE_FAILED"}  # fmt: skip
# What a retry may meet while the system heals: the orders process gone (503/504), the key still
# held by the dead process's order (409 IDEMPOTENCY_KEY_IN_USE), the gateway not reconnected.
RETRYABLE = {409, 500, 502, 503, 504}


class NoAnswer(AssertionError):
    """The key got no answer within the client's patience."""

    def __init__(self, key: str, statuses: list[int], text: str) -> None:
        super().__init__(f"{key}: no answer ({statuses[-5:]}: {text[:300]})")
        self.key, self.statuses = key, statuses


@dataclass
class Submitted:
    key: str
    order: dict
    attempts: int
    statuses: list[int] = field(default_factory=list)
    seconds: float = 0.0


def submit(
    stack: Stack, auth: dict, body: dict, timeout: float = 90, log: list | None = None
) -> Submitted:
    """Submit, retrying with the same key until an answer; then poll until the order is final.
    ``log`` gets (time, "submit", status) for every attempt."""
    t0 = time.monotonic()
    statuses: list[int] = []
    while True:
        try:
            r = stack.http.post("/api/orders/submit", json=body, headers=auth, timeout=20)
            status, text = r.status_code, r.text
        except httpx.TransportError as exc:  # the gateway itself unreachable: retry as well
            status, text = 0, repr(exc)
        statuses.append(status)
        if log is not None:
            log.append((time.monotonic(), "submit", status))
        if status == 200:
            break
        assert status in RETRYABLE | {0}, f"{body['idempotencyKey']}: {status} {text}"
        if time.monotonic() - t0 > timeout:
            raise NoAnswer(body["idempotencyKey"], statuses, text)
        time.sleep(0.25)
    order = r.json()
    while order["state"] not in FINAL:
        assert time.monotonic() - t0 < timeout, f"order not final in {timeout} s: {order}"
        time.sleep(0.25)
        r = stack.http.get(f"/api/orders/{order['id']}/status", headers=auth)
        if r.status_code == 200:
            order = r.json()
    return Submitted(body["idempotencyKey"], order, len(statuses), statuses, time.monotonic() - t0)


def check_exactly_once(stack: Stack, auth: dict, answered: list[Submitted]) -> dict[str, int]:
    """What the user checks after it all: one order at the exchange per client order id and none
    the system does not know, each FILLED order's fills in the ledger exactly once (and no fill
    of an order it does not know), no delivery left in the outbox, the ledger's Verify clean."""
    stack.wait_outbox_empty()
    orders = {s.order["id"]: s.order for s in answered}
    assert len(orders) == len(answered), "two keys answered with one order"
    filled = [o for o in orders.values() if o["state"] == "ORDER_STATE_FILLED"]

    requests = Counter(r["client_order_id"] for r in stack.fake_requests())
    dupes = {cid: n for cid, n in requests.items() if n > 1}
    assert not dupes, f"order requests sent more than once per client order id: {dupes}"
    at_exchange = Counter(o["clientOrderId"] for o in stack.fake_orders())
    assert max(at_exchange.values(), default=0) <= 1, at_exchange
    live = {o["clientOrderId"] for o in filled if o["mode"] == "ORDER_MODE_LIVE"}
    known = {o["clientOrderId"] for o in orders.values() if o.get("clientOrderId")}
    missing, orphans = live - set(at_exchange), set(at_exchange) - known
    assert not missing, f"FILLED live orders the exchange does not have: {missing}"
    assert not orphans, f"orders at the exchange that no client was told about: {orphans}"

    fills = stack.all_pages("/api/ledger/fills", auth)
    by_id = Counter(f["fillId"] for f in fills)
    assert max(by_id.values(), default=0) == 1, {k: n for k, n in by_id.items() if n > 1}
    ledger_by_order: dict[str, set[str]] = {}
    for f in fills:
        ledger_by_order.setdefault(f["orderId"], set()).add(f["fillId"])
    unknown = set(ledger_by_order) - set(orders)
    assert not unknown, f"ledger fills of orders no client was told about: {unknown}"
    for o in filled:
        want = {f["fillId"] for f in o["fills"]}
        assert want, f"a FILLED order without fills: {o}"
        assert ledger_by_order.get(o["id"]) == want, (o["id"], want, ledger_by_order.get(o["id"]))
        assert sum(D(f["amount"]) for f in o["fills"]) == D(o["amount"]), o
    for o in orders.values():
        if o["state"] != "ORDER_STATE_FILLED":
            assert o["id"] not in ledger_by_order or o["state"] == "ORDER_STATE_CANCELED", o

    verify = stack.verify(auth)
    assert verify["ok"] is True, verify
    return {
        "orders": len(orders),
        "filled": len(filled),
        "ledger_fills": len(fills),
        "exchange_orders": len(at_exchange),
        "entries_checked": int(verify["entriesChecked"]),
    }
