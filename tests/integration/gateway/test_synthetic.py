"""Server-sent events, path variables, Idempotency-Key, deadlines and CORS, against the test-only
service of synthetic.py over real gRPC, with the gateway served by uvicorn on a free port."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass

import grpc
import httpx
import pytest
import uvicorn
from opentelemetry.sdk.trace import TracerProvider

from services.common.auth import current_caller
from services.common.errors import failed_precondition
from services.common.server import build_server, start_server
from services.gateway.app import create_app
from services.gateway.routes import RouteTable
from services.gateway.settings import Settings
from tests.conftest import JWT_SECRET
from tests.integration.gateway import synthetic as s
from tests.integration.gateway.conftest import assert_error_body, bearer


class ThingServicer:
    def __init__(self) -> None:
        self.stream_closed = asyncio.Event()

    async def watch(self, request, context):
        if request.fail:
            raise failed_precondition("TOLD_TO_FAIL", "the request asked to fail")
        user = current_caller().user_id
        try:
            for i in range(max(request.count, 1)):
                seq = request.after_sequence + i + 1
                yield s.BotEvent(sequence=seq, bot_id=user, to_state="BOT_STATE_RUNNING")
                await asyncio.sleep(request.idle_ms / 1000)
            if request.count == 0:  # then nothing more until the client goes away
                await asyncio.Event().wait()
        finally:
            self.stream_closed.set()

    async def get_thing(self, request, context):
        return s.Thing(id=request.id, tags=request.tags)

    async def get_special(self, request, context):
        return s.Thing(id="special")

    async def create_thing(self, request, context):
        return s.Thing(id=request.name, idempotency_key=request.idempotency_key)

    async def slow(self, request, context):
        await asyncio.sleep(2)
        return s.Thing(id="late")


def handler(servicer: ThingServicer) -> grpc.GenericRpcHandler:
    def unary(fn, req):
        return grpc.unary_unary_rpc_method_handler(
            fn, request_deserializer=req.FromString, response_serializer=s.Thing.SerializeToString
        )

    return grpc.method_handlers_generic_handler(
        s.SERVICE,
        {
            "Watch": grpc.unary_stream_rpc_method_handler(
                servicer.watch,
                request_deserializer=s.WatchRequest.FromString,
                response_serializer=s.BotEvent.SerializeToString,
            ),
            "GetThing": unary(servicer.get_thing, s.GetThingRequest),
            "GetSpecial": unary(servicer.get_special, s.GetThingRequest),
            "CreateThing": unary(servicer.create_thing, s.CreateThingRequest),
            "Slow": unary(servicer.slow, s.GetThingRequest),
        },
    )


class _Uvicorn(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self):  # the test runner keeps its own signal handlers
        yield


@dataclass
class Synthetic:
    client: httpx.AsyncClient
    servicer: ThingServicer


@pytest.fixture
async def synth() -> AsyncIterator[Synthetic]:
    servicer = ThingServicer()
    server = build_server("gwtest", JWT_SECRET, TracerProvider())
    server.add_generic_rpc_handlers((handler(servicer),))
    port, _ = await start_server(server, "127.0.0.1:0", [s.SERVICE])
    settings = Settings(
        service_addrs={"gwtest": f"127.0.0.1:{port}"},
        heartbeat_seconds=0.05,
        call_timeout_seconds=0.3,
        cors_origins=("https://app.example.com",),
    )
    app, _ = create_app(settings, TracerProvider(), RouteTable.from_files([s.FILE]))
    web = _Uvicorn(uvicorn.Config(app, host="127.0.0.1", port=0, log_config=None, lifespan="on"))
    task = asyncio.create_task(web.serve())
    while not web.started:
        await asyncio.sleep(0.01)
    http_port = web.servers[0].sockets[0].getsockname()[1]
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{http_port}", timeout=10) as client:
        yield Synthetic(client, servicer)
    web.should_exit = True
    await task
    await server.stop(None)


def parse_events(text: str) -> tuple[list[dict], int]:
    """SSE text -> events (id, event, data) and the number of comment lines (heartbeats)."""
    events, comments = [], 0
    for block in text.split("\n\n"):
        fields: dict = {}
        for line in block.splitlines():
            if line.startswith(":"):
                comments += 1
            elif line:
                key, _, value = line.partition(": ")
                fields[key] = json.loads(value) if key == "data" else value
        if fields:
            events.append(fields)
    return events, comments


async def test_a_server_stream_is_served_as_events_resuming_from_last_event_id(synth):
    headers = {**bearer("alice"), "Last-Event-ID": "10"}
    r = await synth.client.get("/api/test/events?count=3", headers=headers)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/event-stream")
    events, _ = parse_events(r.text)
    assert [e["id"] for e in events] == ["11", "12", "13"]
    assert {e["event"] for e in events} == {"bot_state"}
    assert events[0]["data"] == {"sequence": "11", "botId": "alice", "toState": "BOT_STATE_RUNNING"}


async def test_heartbeats_while_the_stream_is_quiet(synth):
    r = await synth.client.get("/api/test/events?count=2&idle_ms=300", headers=bearer("alice"))
    events, comments = parse_events(r.text)
    assert [e["id"] for e in events] == ["1", "2"]
    assert comments >= 4  # every 0.05 s here (15 s by default) during 0.6 s of quiet


async def test_a_stream_that_fails_at_once_gets_an_http_status(synth):
    body = assert_error_body(await synth.client.get("/api/test/events?count=1"), 401)
    assert body["code"] == 16
    r = await synth.client.get("/api/test/events?fail=true", headers=bearer("alice"))
    body = assert_error_body(r, 400)
    assert body["details"][0]["reason"] == "TOLD_TO_FAIL"
    r = await synth.client.get("/api/test/events", headers={**bearer("a"), "Last-Event-ID": "x"})
    assert assert_error_body(r, 400)["message"].startswith("Last-Event-ID")


async def test_the_grpc_stream_ends_when_the_client_goes_away(synth):
    async with synth.client.stream("GET", "/api/test/events", headers=bearer("alice")) as r:
        assert r.status_code == 200
        async for line in r.aiter_lines():
            if line.startswith("data: "):
                break
    await asyncio.wait_for(synth.servicer.stream_closed.wait(), timeout=5)


async def test_literal_route_path_variables_and_repeated_query(synth):
    r = await synth.client.get("/api/test/things/special", headers=bearer("alice"))
    assert r.json()["id"] == "special"
    r = await synth.client.get(
        "/api/test/things/my%20thing?tags=a,b&tags=c", headers=bearer("alice")
    )
    assert r.json() == {"id": "my thing", "idempotencyKey": "", "tags": ["a", "b", "c"]}


async def test_idempotency_key_header_and_additional_bindings(synth):
    headers = {**bearer("alice"), "Idempotency-Key": "key-1"}
    r = await synth.client.post("/api/test/things", json={"name": "t1"}, headers=headers)
    assert (r.json()["id"], r.json()["idempotencyKey"]) == ("t1", "key-1")
    r = await synth.client.post(
        "/api/test/things", json={"idempotency_key": "mine"}, headers=headers
    )
    assert r.json()["idempotencyKey"] == "mine"
    r = await synth.client.put("/api/test/things/t2", json={}, headers=headers)
    assert (r.json()["id"], r.json()["idempotencyKey"]) == ("t2", "key-1")


async def test_every_call_has_a_deadline(synth):
    body = assert_error_body(await synth.client.get("/api/test/slow", headers=bearer("a")), 504)
    assert body["code"] == 4 and "gwtest" in body["message"]


async def test_cors_for_the_configured_origins_only(synth):
    preflight = {
        "Origin": "https://app.example.com",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type, idempotency-key",
    }
    r = await synth.client.options("/api/test/things", headers=preflight)
    assert r.status_code == 200
    assert r.headers["access-control-allow-origin"] == "https://app.example.com"
    r = await synth.client.get("/healthz", headers={"Origin": "https://app.example.com"})
    assert r.headers["access-control-allow-origin"] == "https://app.example.com"
    assert "x-trace-id" in r.headers["access-control-expose-headers"].lower()
    r = await synth.client.get("/healthz", headers={"Origin": "https://evil.example.com"})
    assert "access-control-allow-origin" not in r.headers
