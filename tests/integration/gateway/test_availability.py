"""A service that is down, readiness, tracing across HTTP and gRPC, and the OpenAPI routes."""

from __future__ import annotations

import re

from opentelemetry.trace import SpanKind

from amarktai.ledger.v1 import ledger_pb2
from services.gateway.routes import RouteTable
from tests.integration.gateway.conftest import assert_error_body, bearer, start_gateway

TRACE_ID = "0af7651916cd43dd8448eb211c80319c"
PARENT_SPAN = "b7ad6b7169203331"


async def test_ledger_stopped_is_503_naming_it(gw):
    assert (await gw.get("/api/portfolio/summary")).status_code == 200
    await gw.ledger.stop()
    body = assert_error_body(await gw.get("/api/portfolio/summary"), 503)
    assert body["code"] == 14 and "ledger" in body["message"]
    body = assert_error_body(await gw.post("/api/ledger/fills", {"fillId": "x"}), 503)
    assert "ledger" in body["message"]
    r = await gw.get("/readyz", None)
    assert r.status_code == 503
    assert "ledger" in r.json()["message"]
    assert (await gw.get("/healthz", None)).status_code == 200


async def test_readyz_checks_every_routed_service(ledger_server):
    table = RouteTable.from_files([ledger_pb2.DESCRIPTOR])
    client, gateway, _ = await start_gateway(table, {"ledger": f"127.0.0.1:{ledger_server.port}"})
    try:
        r = await client.get("/readyz")
        assert r.status_code == 200, r.text
        [ledger] = r.json()["services"]
        assert (ledger["name"], ledger["status"]) == ("ledger", "SERVING")
        await ledger_server.stop()
        r = await client.get("/readyz")
        assert r.status_code == 503 and r.json()["ready"] is False
        assert r.json()["message"].startswith("not ready: ledger")
    finally:
        await client.aclose()
        await gateway.close()


async def test_traceparent_is_continued_into_the_ledger(gw):
    traceparent = f"00-{TRACE_ID}-{PARENT_SPAN}-01"
    r = await gw.get("/api/portfolio/summary", headers={"traceparent": traceparent})
    assert r.status_code == 200
    assert r.headers["x-trace-id"] == TRACE_ID
    http = [s for s in gw.spans.get_finished_spans() if s.kind == SpanKind.SERVER]
    assert [s.name for s in http] == ["GET /api/portfolio/summary"]
    assert format(http[0].parent.span_id, "016x") == PARENT_SPAN
    [client_span] = [s for s in gw.spans.get_finished_spans() if s.kind == SpanKind.CLIENT]
    assert client_span.parent.span_id == http[0].context.span_id
    ledger = [s for s in gw.ledger.spans.get_finished_spans() if s.kind == SpanKind.SERVER]
    assert ledger and format(ledger[-1].context.trace_id, "032x") == TRACE_ID
    assert ledger[-1].parent.span_id == client_span.context.span_id


async def test_every_answer_has_a_trace_id(gw):
    for r in (await gw.get("/api/nothing"), await gw.get("/healthz", None)):
        assert re.fullmatch(r"[0-9a-f]{32}", r.headers["x-trace-id"])
    a, b = await gw.get("/healthz"), await gw.get("/healthz")
    assert a.headers["x-trace-id"] != b.headers["x-trace-id"]


def example_url(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "x1", path)


async def test_every_openapi_route_answers(gw):
    doc = (await gw.get("/openapi.json", None)).json()
    domains = {
        (b.http_method, b.template.openapi_path): b.domain for b in gw.gateway.table.bindings
    }
    checked = 0
    for path, ops in doc["paths"].items():
        for method in ops:
            url = example_url(path)
            if method == "get":
                r = await gw.get(url)
            else:
                r = await gw.client.request(method.upper(), url, json={}, headers=bearer("alice"))
            where = f"{method.upper()} {path}: {r.status_code} {r.text[:200]}"
            assert r.status_code != 405, where
            if r.status_code == 404:
                assert r.json()["details"][0]["reason"] != "NO_ROUTE", where
            domain = domains.get((method.upper(), path), "gateway")
            if path == "/readyz":  # ready only when every service is: here only the ledger is
                assert r.status_code == (200 if set(domains.values()) == {"ledger"} else 503)
            elif domain in ("ledger", "gateway"):
                assert r.status_code < 500, where
            else:  # only the ledger runs here: the others are down, and named
                assert r.status_code == 503 and domain in r.json()["message"], where
            checked += 1
    assert checked >= len(gw.gateway.table.bindings) + 3
