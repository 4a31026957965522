"""The HTTP server span of every request, continued from the client's W3C ``traceparent``.

The span is current while the request is handled, so the gRPC client interceptor makes each
downstream call its child and sends the context on. Every answer carries ``X-Trace-Id``, and
one log line per request says method, path, route, status and duration (with the trace id).
"""

from __future__ import annotations

import logging
import time

from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace import SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.common.logs import log_event

TRACE_HEADER = "X-Trace-Id"
log = logging.getLogger("amarktai.gateway.http")


def name_span(method: str, route: str) -> None:
    """Called once the route is known: the span becomes ``GET /api/bots/{id}``."""
    span = trace.get_current_span()
    span.update_name(f"{method} {route}")
    span.set_attribute("http.route", route)


class TraceMiddleware:
    def __init__(self, app: ASGIApp, provider: TracerProvider) -> None:
        self.app = app
        self.tracer = provider.get_tracer("amarktai.gateway")
        self.propagator = TraceContextTextMapPropagator()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers: dict[str, str] = {}
        for key, value in scope.get("headers", []):
            headers.setdefault(key.decode("latin-1").lower(), value.decode("latin-1"))
        context = self.propagator.extract(headers)
        method, path = scope.get("method", ""), scope.get("path", "")
        started = time.perf_counter()
        attributes = {"http.request.method": method, "url.path": path}
        with self.tracer.start_as_current_span(
            method, context=context, kind=SpanKind.SERVER, attributes=attributes
        ) as span:
            trace_id = format(span.get_span_context().trace_id, "032x").encode()
            status = [0]

            async def send_with_trace_id(message: Message) -> None:
                if message["type"] == "http.response.start":
                    status[0] = message["status"]
                    span.set_attribute("http.response.status_code", status[0])
                    if status[0] >= 500:
                        span.set_status(Status(StatusCode.ERROR))
                    message["headers"] = [
                        *message.get("headers", []),
                        (TRACE_HEADER.lower().encode(), trace_id),
                    ]
                await send(message)

            try:
                await self.app(scope, receive, send_with_trace_id)
            finally:
                log_event(
                    log,
                    "http_request",
                    method=method,
                    path=path,
                    status=status[0],
                    ms=round((time.perf_counter() - started) * 1000, 1),
                )
