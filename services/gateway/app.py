"""The ASGI app: HTTP/JSON in, gRPC out, routes only from the protos' http options.

TraceMiddleware (span from traceparent, X-Trace-Id) -> CORS (when CORS_ORIGINS) ->
Starlette -> Gateway.handle: match route -> read body (<= 1 MiB) -> build the request
message -> call the service (deadline) or open the event stream -> protobuf JSON
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

import grpc
from google.protobuf import json_format
from google.protobuf.message import Message
from opentelemetry.sdk.trace import TracerProvider
from starlette.applications import Starlette
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

from services.common.logs import log_event
from services.gateway.clients import Downstream
from services.gateway.convert import build_request, parse_json
from services.gateway.dashboard import dashboard_routes
from services.gateway.errors import ApiError, bad_request, gateway_error
from services.gateway.openapi import build_openapi
from services.gateway.routes import Binding, MethodNotAllowed, NoRoute, RouteTable
from services.gateway.settings import Settings
from services.gateway.sse import EventStream, EventStreamResponse
from services.gateway.telemetry import TRACE_HEADER, TraceMiddleware, name_span
from services.gateway.template import BadPath

log = logging.getLogger("amarktai.gateway")
ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]
REQUEST_HEADERS = ["Authorization", "Content-Type", "Idempotency-Key", "Last-Event-ID"]


def error_response(error: ApiError) -> JSONResponse:
    return JSONResponse(error.body(), status_code=error.status, headers=error.headers)


def to_json(message: Message) -> dict[str, Any]:
    return json_format.MessageToDict(message, always_print_fields_with_no_presence=True)


class Gateway:
    def __init__(self, settings: Settings, provider: TracerProvider, table: RouteTable) -> None:
        self.settings = settings
        self.table = table
        self.downstream = Downstream(
            table,
            settings.service_addrs,
            provider,
            timeout=settings.call_timeout_seconds,
            health_timeout=settings.health_timeout_seconds,
            batching=settings.batching,
        )
        self.openapi = build_openapi(table)
        self.local = {"/healthz": self.healthz, "/readyz": self.readyz, "/openapi.json": self.spec}
        self.started = False

    async def start(self) -> None:
        await self.downstream.start()
        self.started = True

    async def close(self) -> None:
        self.started = False
        await self.downstream.close()

    async def handle(self, request: Request) -> Response:
        try:
            return await self._handle(request)
        except ApiError as error:
            return error_response(error)

    async def _handle(self, request: Request) -> Response:
        method = request.method
        raw_path = _raw_path(request)
        if raw_path in self.local:
            if method != "GET":
                raise _not_allowed(["GET"])
            name_span(method, raw_path)
            return await self.local[raw_path]()
        try:
            binding, values = self.table.match(method, raw_path)
        except NoRoute:
            raise gateway_error(
                grpc.StatusCode.NOT_FOUND, "NO_ROUTE", f"no route for {method} {request.url.path}"
            ) from None
        except MethodNotAllowed as exc:
            raise _not_allowed(exc.allowed) from None
        except BadPath as exc:
            raise bad_request("path", str(exc)) from None
        name_span(method, binding.template.text)
        if not self.started:
            raise gateway_error(grpc.StatusCode.UNAVAILABLE, "STARTING", "the gateway is starting")
        body = parse_json(await self._read_body(request)) if binding.body else None
        message = build_request(
            binding,
            values,
            request.query_params.multi_items(),
            body,
            idempotency_key=request.headers.get("idempotency-key"),
            last_event_id=request.headers.get("last-event-id"),
        )
        metadata = _metadata(request)
        if binding.streaming:
            return await self._stream(binding, message, metadata)
        response = await self.downstream.unary(binding, message, metadata)
        out = to_json(response)
        if binding.response_body:
            out = out.get(response.DESCRIPTOR.fields_by_name[binding.response_body].json_name)
        return JSONResponse(out)

    async def _read_body(self, request: Request) -> bytes:
        limit = self.settings.max_body_bytes
        length = request.headers.get("content-length", "")
        if length.isdigit() and int(length) > limit:
            raise _too_big(limit)
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise _too_big(limit)
            chunks.append(chunk)
        return b"".join(chunks)

    async def _stream(self, binding: Binding, message: Message, metadata: tuple) -> Response:
        call = self.downstream.stream(binding, message, metadata)
        addr = self.settings.service_addrs[binding.domain]
        stream = EventStream(
            call, binding.domain, addr, binding.response_body, self.settings.heartbeat_seconds
        )
        await stream.start()
        return EventStreamResponse(stream)

    async def healthz(self) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(self) -> Response:
        if not self.started:
            raise gateway_error(grpc.StatusCode.UNAVAILABLE, "STARTING", "the gateway is starting")
        checks = await self.downstream.check()
        down = [c for c in checks if not c.ok]
        body: dict[str, Any] = {
            "ready": not down,
            "services": [
                {"name": c.domain, "service": c.service, "addr": c.addr, "status": c.status}
                | ({"detail": c.detail} if c.detail else {})
                for c in checks
            ],
        }
        if down:
            names = ", ".join(sorted({f"{c.domain} ({c.addr}: {c.status})" for c in down}))
            body["message"] = f"not ready: {names}"
        return JSONResponse(body, status_code=503 if down else 200)

    async def spec(self) -> Response:
        return JSONResponse(self.openapi)


def _raw_path(request: Request) -> str:
    raw = request.scope.get("raw_path")
    if not raw:
        return request.scope["path"]
    try:
        return raw.split(b"?", 1)[0].decode("utf-8")
    except UnicodeDecodeError:
        raise bad_request("path", "is not UTF-8") from None


def _too_big(limit: int) -> ApiError:
    return bad_request("body", f"is larger than {limit} bytes", status=413)


def _not_allowed(allowed) -> ApiError:
    error = gateway_error(
        grpc.StatusCode.UNIMPLEMENTED,
        "METHOD_NOT_ALLOWED",
        f"method not allowed; allowed: {', '.join(allowed)}",
        status=405,
    )
    error.headers["Allow"] = ", ".join(allowed)
    return error


def _metadata(request: Request) -> tuple:
    auth = request.headers.get("authorization")
    if auth is None:
        return ()
    if not auth.isascii() or not auth.isprintable():
        raise gateway_error(
            grpc.StatusCode.UNAUTHENTICATED, "UNAUTHENTICATED", "malformed Authorization header"
        )
    return (("authorization", auth),)


async def _internal_error(request: Request, exc: Exception) -> Response:
    log_event(log, "unhandled_error", logging.ERROR, path=request.url.path, error=repr(exc))
    body = {"code": grpc.StatusCode.INTERNAL.value[0], "message": "internal error", "details": []}
    return JSONResponse(body, status_code=500)


def create_app(
    settings: Settings, provider: TracerProvider, table: RouteTable | None = None
) -> tuple[ASGIApp, Gateway]:
    """The ASGI app and its Gateway (whose start/close the app's lifespan runs)."""
    gateway = Gateway(settings, provider, table or RouteTable.discover())

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        await gateway.start()
        try:
            yield
        finally:
            await gateway.close()

    app: ASGIApp = Starlette(
        routes=[*dashboard_routes(), Route("/{path:path}", gateway.handle, methods=ALL_METHODS)],
        exception_handlers={Exception: _internal_error},
        lifespan=lifespan,
    )
    if settings.cors_origins:
        app = CORSMiddleware(
            app,
            allow_origins=list(settings.cors_origins),
            allow_methods=ALL_METHODS,
            allow_headers=[*REQUEST_HEADERS, "traceparent", "tracestate"],
            expose_headers=[TRACE_HEADER],
            max_age=600,
        )
    return TraceMiddleware(app, provider), gateway
