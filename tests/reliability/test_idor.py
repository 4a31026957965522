"""IDOR matrix: user B calls every route of /openapi.json that takes an id in its path with
user A's ids, and gets 404 (NOT_FOUND from the service, not a missing route) every time, with A's
resources unchanged afterwards; ids in bodies and queries (a bot id in an order or a breaker
reset, an idempotency key, a fill or event id) do not reach A's rows either; and no list or
read route shows B anything of A's. The routes come from /openapi.json, so a new route with a
path parameter fails this test until it is covered here.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.reliability.stack import Stack, order_body, reliability_pg
from tests.reliability.summary import report

# which of A's resources a path parameter names, by the route's prefix
KINDS = {"/api/bots/": "bot", "/api/orders/": "order", "/api/keys/": "exchange"}
NOT_DATA = {"/healthz", "/readyz", "/openapi.json"}


@pytest.fixture(scope="module")
def stack(tmp_path_factory) -> Iterator[Stack]:
    s = Stack(tmp_path_factory.mktemp("idor"), reliability_pg())
    s.start()
    try:
        yield s
    finally:
        s.stop()


@pytest.fixture(scope="module")
def world(stack) -> dict:
    """A with one of everything that has an id; B and C with a bot each (C reuses A's ids as
    its own labels and keys, so B's views stay free of them)."""
    http = stack.http
    a, b = stack.register("alice@example.com"), stack.register("bob@example.com")
    stack.fund(a)
    stack.store_keys(a)
    running = stack.running_bot(a, "running")
    paused = stack.running_bot(a, "paused")
    assert http.post(f"/api/bots/{paused}/pause", json={}, headers=a).status_code == 200
    bot = {"name": "stopped", "exchange": "binance", "symbol": "BTC/USDT", "strategy": "manual",
           "allocatedCapital": "100"}  # fmt: skip
    r = http.post("/api/bots", json=bot, headers=a)
    stopped = r.json()["id"]
    r = http.post("/api/orders/submit", json=order_body("a-filled", running), headers=a)
    assert r.status_code == 200 and r.json()["state"] == "ORDER_STATE_FILLED", r.text
    filled = r.json()
    resting = {**order_body("a-resting", running), "type": "ORDER_TYPE_LIMIT", "price": "1000"}
    r = http.post("/api/orders/submit", json=resting, headers=a)
    assert r.status_code == 200 and r.json()["state"] == "ORDER_STATE_ACCEPTED", r.text
    resting = r.json()
    manual = {"fillId": "a-manual-fill", "botId": running, "exchange": "binance",
              "symbol": "ETH/USDT", "side": "SIDE_BUY", "amount": "1", "price": "3000",
              "fee": "1", "executedAt": "2026-03-09T10:00:00Z"}  # fmt: skip
    r = http.post("/api/ledger/fills", json=manual, headers=a)
    assert r.status_code == 200, r.text
    b_bot = stack.running_bot(b, "bob's")
    c = stack.register("carol@example.com")
    c_bot = stack.running_bot(c, "carol's")
    trail = stack.all_pages("/api/ledger/audit-trail", a)
    me = http.get("/api/auth/2fa/status", headers=a)
    assert me.status_code == 200
    return {
        "a": a, "b": b, "b_bot": b_bot, "c": c, "c_bot": c_bot, "manual_fill": manual,
        "bot": [running, paused, stopped], "order": [filled["id"], resting["id"]],
        "exchange": ["binance"], "filled": filled, "resting": resting,
        "entries": [e["entryId"] for e in trail],
        "secrets": [filled["clientOrderId"] or "", filled["traceId"], "k-123"],
    }  # fmt: skip


def _snapshot(stack: Stack, auth: dict) -> dict:
    """What A sees of everything A has."""
    out = {}
    for path in ("/api/bots", "/api/orders", "/api/orders/pending", "/api/keys",
                 "/api/ledger/fills", "/api/ledger/audit-trail", "/api/circuit-breaker/status",
                 "/api/circuit-breaker/history", "/api/portfolio/summary"):  # fmt: skip
        r = stack.http.get(path, headers=auth)
        assert r.status_code == 200, (path, r.text)
        out[path] = r.json()
    return out


def _routes(stack: Stack) -> list[tuple[str, str, dict]]:
    spec = stack.http.get("/openapi.json").json()
    return [(m.upper(), p, op) for p, ops in spec["paths"].items() for m, op in ops.items()]


def _not_found(r: httpx.Response) -> bool:
    if r.status_code != 404:
        return False
    body = r.json()
    reasons = [d.get("reason") for d in body.get("details", []) if isinstance(d, dict)]
    return body.get("code") == 5 and "NO_ROUTE" not in reasons


def test_every_route_with_an_id_gives_another_users_ids_404(stack, world):
    a, b = world["a"], world["b"]
    before = _snapshot(stack, a)
    probed, uncovered, leaks, routes = [], [], [], set()
    for method, path, op in _routes(stack):
        params = re.findall(r"{(\w+)}", path)
        if not params:
            continue
        kind = next((k for prefix, k in KINDS.items() if path.startswith(prefix)), None)
        if kind is None or len(params) != 1:
            uncovered.append(f"{method} {path}")
            continue
        body = {} if "requestBody" in op else None
        for value in world[kind]:
            url = path.replace(f"{{{params[0]}}}", value)
            r = stack.http.request(method, url, json=body, headers=b)
            probed.append(f"{method} {url}")
            routes.add((method, path))
            if not _not_found(r):
                leaks.append(f"{method} {url} as B -> {r.status_code} {r.text[:300]}")
            if method == "GET":  # the same call as A is not a 404: the probe means something
                assert stack.http.get(url, headers=a).status_code == 200, url
    assert not uncovered, f"routes with a path parameter this test does not cover: {uncovered}"
    assert not leaks, "\n".join(leaks)
    assert _snapshot(stack, a) == before, "B's calls changed A's resources"
    report(f"IDOR: {len(probed)} calls by B with A's ids over {len(routes)} routes: all 404")


def test_ids_in_bodies_and_queries_do_not_reach_another_users_rows(stack, world):
    a, c, http = world["a"], world["c"], stack.http
    before = _snapshot(stack, a)
    running = world["bot"][0]
    # a query naming A's bot: nothing of A's
    for path in ("/api/ledger/fills", "/api/portfolio/summary"):
        r = http.get(path, params={"bot_id": running}, headers=c)
        assert r.status_code in (200, 400, 404), r.text
        _assert_nothing_of_a(world, r.text, path, allow=[running])
        assert path != "/api/ledger/fills" or r.json()["items"] == [], r.text
    # an order on A's bot, a breaker reset of A's bot
    r = http.post("/api/orders/submit", json=order_body("c-on-a-bot", running), headers=c)
    assert _not_found(r), r.text
    r = http.post("/api/circuit-breaker/reset", json={"botId": running, "reason": "x"}, headers=c)
    assert _not_found(r), r.text
    # A's idempotency key on C's own bot: C's own new order, not A's replayed
    r = http.post("/api/orders/submit", json=order_body("a-filled", world["c_bot"]), headers=c)
    assert r.status_code == 200, r.text
    assert not r.json()["replayed"] and r.json()["id"] != world["filled"]["id"], r.json()
    # A's fill id with A's very fields: C's own entry (or a refusal), never A's entry
    r = http.post("/api/ledger/fills", json=world["manual_fill"], headers=c)
    assert r.status_code in (200, 409), r.text
    a_hashes = {e["hash"] for e in before["/api/ledger/audit-trail"]["items"]}
    assert r.status_code == 409 or r.json()["fill"]["hash"] not in a_hashes, r.text
    fill_reuse = r.status_code
    # an adjustment naming one of A's entries as the one it corrects
    adj = {"eventId": "c-adj", "type": "LEDGER_EVENT_TYPE_ADJUSTMENT", "amount": "1",
           "currency": "USDT", "corrects": world["entries"][0]}  # fmt: skip
    r = http.post("/api/ledger/events", json=adj, headers=c)
    assert r.status_code in (400, 404), r.text
    # ... answered exactly as an id nobody has: no way to tell that A's entry exists
    nobody = http.post("/api/ledger/events", headers=c,
                       json={**adj, "eventId": "c-adj-2", "corrects": "no-such-entry"})  # fmt: skip
    assert r.status_code == nobody.status_code, (r.text, nobody.text)
    assert r.json()["message"].replace(world["entries"][0], "X") == nobody.json()[
        "message"
    ].replace("no-such-entry", "X"), (r.text, nobody.text)
    assert _snapshot(stack, a) == before, "C's calls changed A's resources"
    report(
        "IDOR: A's bot id in an order, a breaker reset and queries -> 404 / nothing of A's; "
        f"A's idempotency key -> C's own order; A's fill id -> {fill_reuse} with C's own entry; "
        f"an adjustment correcting A's entry -> {r.status_code}"
    )


def test_no_read_route_shows_another_users_rows(stack, world):
    b = world["b"]
    checked = []
    for method, path, _op in _routes(stack):
        if method != "GET" or "{" in path or path in NOT_DATA:
            continue
        if path == "/api/bots/events":
            text = _read_events(stack, b)
        else:
            r = stack.http.get(path, headers=b)
            assert r.status_code < 500, (path, r.status_code, r.text)
            text = r.text
        _assert_nothing_of_a(world, text, path)
        checked.append(path)
    report(f"IDOR: {len(checked)} read routes as B show nothing of A's")


def _assert_nothing_of_a(world: dict, text: str, path: str, allow: list[str] = ()) -> None:
    ids = [*world["bot"], *world["order"], *world["entries"], *world["secrets"]]
    found = [i for i in ids if i and i not in allow and i in text]
    assert not found, f"{path} as B shows A's {found}: {text[:500]}"


def _read_events(stack: Stack, auth: dict) -> str:
    """The event stream from the start, for a second and a half."""
    chunks: list[str] = []
    deadline = time.monotonic() + 1.5
    headers = {**auth, "Last-Event-ID": "0"}
    try:
        with stack.http.stream("GET", "/api/bots/events", headers=headers, timeout=2) as r:
            assert r.status_code == 200, r.read()
            for chunk in r.iter_text():
                chunks.append(chunk)
                if time.monotonic() > deadline:
                    break
    except httpx.ReadTimeout:
        pass
    text = "".join(chunks)
    assert "bot_state" in text, text  # B's own events are there (B started a bot)
    json.dumps(text)
    return text
