"""The downstream services: one grpc.aio channel each, created at start, calls made generically.

A call is ``channel.unary_unary(path, request_serializer, response_deserializer)`` built once
per bound RPC, with the OpenTelemetry client interceptors (so the current HTTP span is the
parent of the call's span and its context travels as ``traceparent``). Every unary call has a
capped deadline; streams have none and end when the HTTP client goes away. Only UNAVAILABLE is
retried, by grpc's retry policy, and only for RPCs bound to GET (they change nothing).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import grpc
from google.protobuf.message import Message
from grpc_health.v1 import health_pb2, health_pb2_grpc
from opentelemetry.sdk.trace import TracerProvider

from services.common.tracing import client_interceptors
from services.gateway.errors import from_rpc_error
from services.gateway.routes import Binding, RouteTable

MAX_MESSAGE_BYTES = 8 * 1024 * 1024
RETRY_POLICY = {
    "maxAttempts": 3,
    "initialBackoff": "0.05s",
    "maxBackoff": "0.2s",
    "backoffMultiplier": 2,
    "retryableStatusCodes": ["UNAVAILABLE"],
}


@dataclass(frozen=True)
class Health:
    domain: str
    service: str
    addr: str
    status: str  # SERVING, NOT_SERVING, UNKNOWN, SERVICE_UNKNOWN or UNAVAILABLE
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "SERVING"


def service_config(bindings: Sequence[Binding]) -> str:
    names = sorted(
        {(b.service, b.method.name) for b in bindings if b.http_method == "GET" and not b.streaming}
    )
    if not names:
        return json.dumps({})
    return json.dumps(
        {
            "methodConfig": [
                {
                    "name": [{"service": s, "method": m} for s, m in names],
                    "retryPolicy": RETRY_POLICY,
                }
            ]
        }
    )


class Downstream:
    def __init__(
        self,
        table: RouteTable,
        addrs: Mapping[str, str],
        provider: TracerProvider,
        *,
        timeout: float,
        health_timeout: float,
    ) -> None:
        missing = [d for d in table.domains if d not in addrs]
        if missing:
            raise ValueError(f"no address for {', '.join(missing)}")
        self.table = table
        self.addrs = dict(addrs)
        self.provider = provider
        self.timeout = timeout
        self.health_timeout = health_timeout
        self._channels: dict[str, grpc.aio.Channel] = {}
        self._unary: dict[str, grpc.aio.UnaryUnaryMultiCallable] = {}
        self._stream: dict[str, grpc.aio.UnaryStreamMultiCallable] = {}

    async def start(self) -> None:
        for domain in self.table.domains:
            bindings = [b for b in self.table.bindings if b.domain == domain]
            channel = grpc.aio.insecure_channel(
                self.addrs[domain],
                options=[
                    ("grpc.service_config", service_config(bindings)),
                    ("grpc.enable_retries", 1),
                    ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
                ],
                interceptors=client_interceptors(self.provider),
            )
            self._channels[domain] = channel
            for b in bindings:
                kind = channel.unary_stream if b.streaming else channel.unary_unary
                target = self._stream if b.streaming else self._unary
                target[b.grpc_path] = kind(
                    b.grpc_path,
                    request_serializer=b.request_cls.SerializeToString,
                    response_deserializer=b.response_cls.FromString,
                )

    async def close(self) -> None:
        channels, self._channels = self._channels, {}
        for channel in channels.values():
            await channel.close(grace=None)

    async def unary(self, binding: Binding, request: Message, metadata: tuple) -> Message:
        """Call one unary RPC; a failure raises ApiError with the mapped status."""
        call = self._unary[binding.grpc_path]
        try:
            return await call(request, metadata=metadata, timeout=self.timeout)
        except grpc.aio.AioRpcError as exc:
            raise from_rpc_error(exc, binding.domain, self.addrs[binding.domain]) from None

    def stream(self, binding: Binding, request: Message, metadata: tuple):
        """Start one server-streaming RPC (no deadline: it lasts while the client listens)."""
        return self._stream[binding.grpc_path](request, metadata=metadata)

    async def check(self) -> list[Health]:
        """gRPC health Check of every routed service, concurrently, each with a deadline."""
        return list(
            await asyncio.gather(*(self._check(s, d) for s, d in self.table.services.items()))
        )

    async def _check(self, service: str, domain: str) -> Health:
        addr = self.addrs[domain]
        stub = health_pb2_grpc.HealthStub(self._channels[domain])
        try:
            r = await stub.Check(
                health_pb2.HealthCheckRequest(service=service), timeout=self.health_timeout
            )
        except grpc.aio.AioRpcError as exc:
            status = "SERVICE_UNKNOWN" if exc.code() == grpc.StatusCode.NOT_FOUND else "UNAVAILABLE"
            return Health(domain, service, addr, status, exc.details() or exc.code().name)
        name = health_pb2.HealthCheckResponse.ServingStatus.Name(r.status)
        return Health(domain, service, addr, name)
