"""One request, one trace across processes: the services export OTLP to a receiver in the
test; a W3C traceparent from the client is continued through the gateway into the services."""

from __future__ import annotations

import secrets

import httpx
import pytest

from tests.e2e.otlp import Receiver
from tests.e2e.suite import Suite, available

SERVICES = ("auth", "ledger", "gateway")
if not available(SERVICES):
    pytest.skip("the auth service is not there yet", allow_module_level=True)

SERVER, CLIENT = 2, 3  # OTLP span kinds


@pytest.fixture
def traced(tmp_path):
    with Receiver() as receiver:
        suite = Suite(
            tmp_path,
            SERVICES,
            {
                "OTEL_TRACES_EXPORTER": "otlp",
                "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint,
                "OTEL_BSP_SCHEDULE_DELAY": "100",
            },
        )
        suite.start()
        try:
            yield suite, receiver
        finally:
            suite.stop()


def _by(spans, service, name=None, kind=None):
    return [
        s
        for s in spans
        if s.service == service
        and (name is None or name in s.name)
        and (kind is None or s.kind == kind)
    ]


def test_a_fill_through_the_gateway_is_one_trace(traced):
    suite, receiver = traced
    with httpx.Client(base_url=suite.url, timeout=15) as http:
        suite.wait_ready(http)
        creds = {"email": "sre@example.com", "password": "a long enough password"}
        token = http.post("/api/auth/register", json=creds).json()["accessToken"]
        trace_id = secrets.token_hex(16)
        parent = secrets.token_hex(8)
        fill = {
            "fillId": "t1",
            "exchange": "binance",
            "symbol": "BTC/USDT",
            "side": "SIDE_BUY",
            "amount": "1",
            "price": "100",
        }
        r = http.post(
            "/api/ledger/fills",
            json=fill,
            headers={
                "Authorization": f"Bearer {token}",
                "traceparent": f"00-{trace_id}-{parent}-01",
            },
        )
        assert r.status_code == 200, r.text
        assert r.headers["x-trace-id"] == trace_id

    def complete(spans):  # the gateway's HTTP span ends last, after the answer is sent
        return (
            _by(spans, "ledger", "RecordFill", SERVER)
            and _by(spans, "ledger", kind=CLIENT)
            and [s for s in _by(spans, "gateway") if s.parent_id == parent]
        )

    spans = receiver.wait_for(trace_id, complete)
    assert {s.service for s in spans} >= {"gateway", "ledger"}, spans
    [http_span] = [s for s in _by(spans, "gateway") if s.parent_id == parent]
    [server] = _by(spans, "ledger", "/amarktai.ledger.v1.LedgerService/RecordFill", SERVER)
    client = {s.span_id: s for s in _by(spans, "gateway", kind=CLIENT)}
    # the ledger's server span hangs under the gateway's gRPC client span, itself under the
    # gateway's HTTP span, itself under the caller's traceparent
    assert server.parent_id in client
    assert client[server.parent_id].parent_id == http_span.span_id
    db = [s for s in _by(spans, "ledger", kind=CLIENT) if "db.system" in s.attributes]
    assert db, "no database spans from the ledger"
    ids = {s.span_id for s in spans}
    assert all(s.parent_id in ids for s in db)
    assert all(s.service for s in spans)


ORDER_SERVICES = ("auth", "ledger", "orders", "bots", "gateway")


@pytest.fixture
def traced_all(tmp_path):
    if not available(ORDER_SERVICES):
        pytest.skip("orders or bots service not there yet")
    with Receiver() as receiver:
        suite = Suite(
            tmp_path,
            ORDER_SERVICES,
            {
                "OTEL_TRACES_EXPORTER": "otlp",
                "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint,
                "OTEL_BSP_SCHEDULE_DELAY": "100",
                "BOT_RUNNER": "off",
            },
        )
        suite.start()
        try:
            yield suite, receiver
        finally:
            suite.stop()


def test_one_order_is_one_trace_across_every_service(traced_all):
    suite, receiver = traced_all
    with httpx.Client(base_url=suite.url, timeout=20) as http:
        suite.wait_ready(http)
        creds = {"email": "sre2@example.com", "password": "a long enough password"}
        token = http.post("/api/auth/register", json=creds).json()["accessToken"]
        auth = {"Authorization": f"Bearer {token}"}
        fund = {"eventId": "f1", "type": "LEDGER_EVENT_TYPE_FUNDING", "amount": "100000",
                "currency": "USDT"}  # fmt: skip
        assert http.post("/api/ledger/events", json=fund, headers=auth).status_code == 200
        bot = {"name": "manual", "exchange": "binance", "symbol": "BTC/USDT",
               "strategy": "manual", "allocatedCapital": "10000"}  # fmt: skip
        r = http.post("/api/bots", json=bot, headers=auth)
        assert r.status_code == 200, r.text
        bot_id = r.json()["id"]
        assert http.post(f"/api/bots/{bot_id}/start", json={}, headers=auth).status_code == 200

        trace_id, parent = secrets.token_hex(16), secrets.token_hex(8)
        order = {"botId": bot_id, "exchange": "binance", "symbol": "BTC/USDT",
                 "side": "SIDE_BUY", "type": "ORDER_TYPE_MARKET", "amount": "0.01",
                 "expectedEdgeBps": "200"}  # fmt: skip
        r = http.post(
            "/api/orders/submit",
            json=order,
            headers={
                **auth,
                "Idempotency-Key": "trace-1",
                "traceparent": f"00-{trace_id}-{parent}-01",
            },
        )
        assert r.status_code == 200, r.text
        placed = r.json()
        assert placed["state"] == "ORDER_STATE_FILLED", placed
        assert placed["traceId"] == trace_id == r.headers["x-trace-id"]

    def complete(spans):  # the gateway's HTTP span ends last, after the answer is sent
        return (
            _by(spans, "ledger", "RecordFill", SERVER)
            and len([s for s in spans if s.name.startswith("gate.")]) == 4
            and [s for s in _by(spans, "gateway") if s.parent_id == parent]
        )

    spans = receiver.wait_for(trace_id, complete)
    ids = {s.span_id: s for s in spans}
    [http_span] = [s for s in _by(spans, "gateway") if s.parent_id == parent]
    [server] = _by(spans, "orders", "/amarktai.orders.v1.OrderService/SubmitOrder", SERVER)
    assert ids[server.parent_id].parent_id == http_span.span_id  # via the gateway's client span
    gates = [s for s in spans if s.name.startswith("gate.")]
    assert sorted(s.name for s in gates) == sorted(
        ["gate.idempotency", "gate.fee_coverage", "gate.trade_limit", "gate.circuit_breaker"]
    )
    for g in gates:
        assert g.service == "orders" and g.parent_id == server.span_id
        assert g.attributes["decision"] == "pass"
        assert g.attributes["order.id"] == placed["id"]
    [execute] = [s for s in spans if s.name == "execute"]
    assert (execute.attributes["mode"], execute.attributes["exchange"]) == ("PAPER", "binance")
    assert execute.attributes["order.id"] == placed["id"]
    # the fill's delivery: at once after the commit, and possibly again by the outbox worker
    # racing it (the ledger answers the second as a replay); each delivery is in this trace
    records = _by(spans, "ledger", "/amarktai.ledger.v1.LedgerService/RecordFill", SERVER)
    assert records
    for record in records:
        assert record.parent_id in ids  # reached through the orders service's client span
    db = [s for s in _by(spans, "ledger", kind=CLIENT) if s.parent_id == records[0].span_id]
    assert db, "no database spans under the ledger's RecordFill"
    assert all(s.service in ORDER_SERVICES for s in spans)
