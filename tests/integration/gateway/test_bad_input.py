"""Bad input gets a clear 4xx with the error body, never a 5xx, and changes nothing."""

from __future__ import annotations

import json

import pytest

from tests.integration.gateway.conftest import assert_error_body

GOOD_EVENT = {
    "eventId": "e1",
    "type": "LEDGER_EVENT_TYPE_FUNDING",
    "amount": "100",
    "currency": "USDT",
}


def field_of(body: dict) -> str | None:
    for detail in body["details"]:
        if detail["@type"].endswith("google.rpc.BadRequest"):
            return detail["fieldViolations"][0]["field"]
    return None


async def test_unknown_route_is_404_and_wrong_method_405(gw):
    body = assert_error_body(await gw.get("/api/nothing/here"), 404)
    assert body["code"] == 5
    assert_error_body(await gw.get("/api/ledger/fills/"), 404)
    r = await gw.client.delete("/api/ledger/fills")
    assert_error_body(r, 405)
    assert r.headers["allow"] == "GET, POST"
    r = await gw.post("/api/portfolio/summary", {})
    assert_error_body(r, 405)
    assert r.headers["allow"] == "GET"
    assert_error_body(await gw.post("/healthz", {}), 405)


BAD_BODIES = [
    # (what, raw body, field named, status)
    ("malformed JSON", b'{"eventId": "e1", ', "body", 400),
    ("not an object", b'["e1"]', "body", 400),
    ("NaN", b'{"eventId": "e1", "amount": NaN}', "body", 400),
    ("not UTF-8", b'{"eventId": "\xff"}', "body", 400),
    ("amount as a number", json.dumps({**GOOD_EVENT, "amount": 100}).encode(), "amount", 400),
    ("type as a bool", json.dumps({**GOOD_EVENT, "type": True}).encode(), "type", 400),
    ("unknown enum", json.dumps({**GOOD_EVENT, "type": "LEDGER_EVENT_TYPE_GIFT"}).encode(),
     "type", 400),
    ("enum number", json.dumps({**GOOD_EVENT, "type": 42}).encode(), "type", 400),
    ("unknown field", json.dumps({**GOOD_EVENT, "colour": "red"}).encode(), "colour", 400),
    ("bad time", json.dumps({**GOOD_EVENT, "occurredAt": "soon"}).encode(), "occurredAt", 400),
    ("negative amount", json.dumps({**GOOD_EVENT, "amount": "-5"}).encode(), "amount", 400),
    ("zero amount", json.dumps({**GOOD_EVENT, "amount": "0"}).encode(), "amount", 400),
    ("NaN amount", json.dumps({**GOOD_EVENT, "amount": "NaN"}).encode(), "amount", 400),
    ("doubled key", b'{"eventId": "e1", "eventId": "e2"}', "eventId", 400),
]  # fmt: skip


@pytest.mark.parametrize("what, raw, field, status", BAD_BODIES, ids=[b[0] for b in BAD_BODIES])
async def test_bad_bodies_are_4xx_naming_the_field_and_change_nothing(gw, what, raw, field, status):
    r = await gw.post("/api/ledger/events", raw, headers={"Content-Type": "application/json"})
    body = assert_error_body(r, status)
    assert body["code"] == 3, body
    assert field_of(body) == field, body
    assert (await gw.get("/api/ledger/audit-trail")).json()["items"] == []


async def test_a_body_over_1_mib_is_413(gw):
    big = json.dumps({**GOOD_EVENT, "description": "x" * (2 * 1024 * 1024)}).encode()
    body = assert_error_body(await gw.post("/api/ledger/events", big), 413)
    assert "1048576" in body["message"]

    async def chunks():  # no Content-Length: the limit holds while reading
        for _ in range(3):
            yield b" " * (1024 * 1024)

    r = await gw.client.post("/api/ledger/events", content=chunks())
    assert_error_body(r, 413)
    assert (await gw.get("/api/ledger/audit-trail")).json()["items"] == []


BAD_QUERIES = [
    ("/api/profits?period=yearly", "period"),
    ("/api/profits?period=99", "period"),
    ("/api/profits?period=daily&period=weekly", "period"),
    ("/api/ledger/fills?page_size=abc", "page_size"),
    ("/api/ledger/fills?pageSize=99999999999", "pageSize"),
    ("/api/ledger/fills?since=yesterday", "since"),
    ("/api/ledger/fills?colour=red", "colour"),
    ("/api/ledger/fills?page_size=5000", "page_size"),  # the ledger's own limit
    ("/api/countdown/status?target=-1", "target"),
    ("/api/countdown/status?target=abc", "target"),
]


@pytest.mark.parametrize("url, field", BAD_QUERIES, ids=[q[0] for q in BAD_QUERIES])
async def test_bad_query_values_are_400_naming_the_field(gw, url, field):
    body = assert_error_body(await gw.get(url), 400)
    assert field_of(body) == field, body


async def test_good_input_after_all_that_still_works(gw):
    r = await gw.post("/api/ledger/events", GOOD_EVENT)
    assert r.status_code == 200, r.text
    snake = {
        "event_id": "e2",
        "type": "LEDGER_EVENT_TYPE_FUNDING",
        "amount": "1.5",
        "currency": "USDT",
    }
    r = await gw.post("/api/ledger/events", snake)
    assert r.status_code == 200, r.text  # snake_case names are accepted too
    assert len((await gw.get("/api/ledger/audit-trail")).json()["items"]) == 2
