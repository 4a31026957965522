"""grpc.aio server start-up shared by every service.

One interceptor does, for every handler: authentication (a bearer JWT verified locally, the
caller placed in a context variable for the handler), and turning an AppError into a
google.rpc.Status with details. The OpenTelemetry server interceptor runs outside it so the
server span covers the whole call. Health checking and reflection are always on.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable, Iterable

import grpc
from google.protobuf.descriptor import ServiceDescriptor
from google.protobuf.message import Message
from google.rpc import status_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_health.v1.health import aio as health_aio
from grpc_reflection.v1alpha import reflection
from grpc_status import rpc_status
from opentelemetry import context as otel_context
from opentelemetry import propagate
from opentelemetry.sdk.trace import TracerProvider
from sqlalchemy.exc import DBAPIError, OperationalError

from amarktai.common.v1 import options_pb2
from services.common.auth import (
    Caller,
    TokenVerifier,
    bearer_from_metadata,
    reset_caller,
    set_caller,
)
from services.common.errors import AppError, unauthenticated
from services.common.logs import log_event
from services.common.tracing import server_interceptor

log = logging.getLogger("amarktai.server")

ALWAYS_PUBLIC_PREFIXES = ("/grpc.health.", "/grpc.reflection.")


class AppInterceptor(grpc.aio.ServerInterceptor):
    def __init__(self, domain: str, jwt_secret: str, public_methods: Iterable[str] = ()) -> None:
        self.domain = domain
        self.jwt_secret = jwt_secret
        self.verify = TokenVerifier(jwt_secret)  # a token seen before is not verified again
        self.public = frozenset(public_methods)

    async def intercept_service(self, continuation, details):  # type: ignore[override]
        handler = await continuation(details)
        if handler is None:
            return None
        method = details.method
        public = method in self.public or method.startswith(ALWAYS_PUBLIC_PREFIXES)
        if handler.unary_unary is not None:
            return grpc.unary_unary_rpc_method_handler(
                self._wrap_unary(handler.unary_unary, method, public),
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        if handler.unary_stream is not None:
            return grpc.unary_stream_rpc_method_handler(
                self._wrap_stream(handler.unary_stream, method, public),
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        return handler

    def _authenticate(self, context: grpc.aio.ServicerContext, public: bool):
        token = bearer_from_metadata(context.invocation_metadata())
        if token is None:
            if public:
                return None
            raise unauthenticated("missing bearer token")
        try:
            return self.verify(token)
        except AppError:
            if public:
                return None
            raise

    async def _abort(self, context, method: str, exc: AppError):
        if exc.code == grpc.StatusCode.INTERNAL:
            log_event(log, "rpc_internal_error", logging.ERROR, method=method, error=exc.message)
        await context.abort_with_status(rpc_status.to_status(exc.to_status(self.domain)))

    def _wrap_unary(self, behavior, method: str, public: bool):
        async def wrapped(request, context):
            try:
                token = set_caller(self._authenticate(context, public))
                try:
                    return await behavior(request, context)
                finally:
                    reset_caller(token)
            except AppError as exc:
                await self._abort(context, method, exc)
            except DBAPIError as exc:
                await self._abort(context, method, _database_error(method, exc))

        return wrapped

    def _wrap_stream(self, behavior, method: str, public: bool):
        async def wrapped(request, context):
            try:
                token = set_caller(self._authenticate(context, public))
                try:
                    async for item in behavior(request, context):
                        yield item
                finally:
                    reset_caller(token)
            except AppError as exc:
                await self._abort(context, method, exc)
            except DBAPIError as exc:
                await self._abort(context, method, _database_error(method, exc))

        return wrapped


async def answer_item(
    verify: Callable[[str], Caller],
    domain: str,
    method: str,
    access_token: str,
    traceparent: str,
    call: Callable[[], Awaitable[Message]],
) -> tuple[Message | None, status_pb2.Status | None]:
    """One item of a batch of calls (a method marked ``batch``), answered as a call of its own
    would be: authenticated by its own token, in its own trace (its traceparent), the caller
    set for ``call``; its response, or the google.rpc.Status its call would have failed with.
    Run each item in a task of its own (asyncio.gather does), so that nothing it sets leaks
    into another."""
    parent = propagate.extract({"traceparent": traceparent}) if traceparent else None
    attached = otel_context.attach(parent) if parent is not None else None
    try:
        if not access_token:
            raise unauthenticated("missing bearer token")
        token = set_caller(verify(access_token))
        try:
            return await call(), None
        finally:
            reset_caller(token)
    except AppError as exc:
        if exc.code == grpc.StatusCode.INTERNAL:
            log_event(log, "rpc_internal_error", logging.ERROR, method=method, error=exc.message)
        return None, exc.to_status(domain)
    except DBAPIError as exc:
        return None, _database_error(method, exc).to_status(domain)
    finally:
        if attached is not None:
            otel_context.detach(attached)


def _database_error(method: str, exc: DBAPIError) -> AppError:
    """A database that cannot be reached (down, restarting, connection lost, SQLite locked
    too long) is UNAVAILABLE, which clients retry; any other database error is re-raised."""
    if not (isinstance(exc, OperationalError) or exc.connection_invalidated):
        raise exc
    log_event(
        log, "database_unavailable", logging.WARNING, method=method, error=str(exc.orig)[:300]
    )
    return AppError(
        grpc.StatusCode.UNAVAILABLE,
        "DATABASE_UNAVAILABLE",
        "the service's database cannot be reached right now; retry shortly",
    )


def public_methods(service: ServiceDescriptor) -> list[str]:
    """Full method paths of a service marked ``(amarktai.common.v1.public) = true``."""
    return [
        f"/{service.full_name}/{m.name}"
        for m in service.methods
        if m.GetOptions().Extensions[options_pb2.public]
    ]


def build_server(
    domain: str,
    jwt_secret: str,
    tracer_provider: TracerProvider,
    public_methods: Iterable[str] = (),
) -> grpc.aio.Server:
    return grpc.aio.server(
        interceptors=[
            server_interceptor(tracer_provider),
            AppInterceptor(domain, jwt_secret, public_methods),
        ],
        options=[("grpc.max_receive_message_length", 8 * 1024 * 1024)],
    )


async def start_server(
    server: grpc.aio.Server, addr: str, service_full_names: Iterable[str]
) -> tuple[int, health_aio.HealthServicer]:
    """Add health and reflection, bind, start. Returns the bound port and the health servicer."""
    names = list(service_full_names)
    health = health_aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health, server)
    reflection.enable_server_reflection(
        [
            *names,
            health_pb2.DESCRIPTOR.services_by_name["Health"].full_name,
            reflection.SERVICE_NAME,
        ],
        server,
    )
    port = server.add_insecure_port(addr)
    if port == 0:
        raise RuntimeError(f"could not bind {addr}")
    await server.start()
    for name in [*names, ""]:
        await health.set(name, health_pb2.HealthCheckResponse.SERVING)
    return port, health


async def serve_until_signal(
    server: grpc.aio.Server,
    health: health_aio.HealthServicer,
    on_stop: Callable[[], Awaitable[None]] | None = None,
    grace_seconds: float = 5.0,
) -> None:
    """Serve until SIGTERM or SIGINT, then stop gracefully: not serving, drain, clean up."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    log_event(log, "shutting_down")
    await health.enter_graceful_shutdown()
    await server.stop(grace_seconds)
    if on_stop is not None:
        await on_stop()
    log_event(log, "stopped")
