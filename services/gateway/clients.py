"""The downstream services: one grpc.aio channel each, created at start, calls made generically.

A call is ``channel.unary_unary(path, request_serializer, response_deserializer)`` built once
per bound RPC, with the OpenTelemetry client interceptors (so the current HTTP span is the
parent of the call's span and its context travels as ``traceparent``). Every unary call has a
capped deadline; streams have none and end when the HTTP client goes away. Only UNAVAILABLE is
retried, by grpc's retry policy, and only for RPCs bound to GET (they change nothing).

A method with a batch method (option ``(amarktai.common.v1.batch)``, SubmitOrder's
SubmitOrderBatch) gets the calls of concurrent requests together (services/common/coalesce.py),
each item with its request's access token and traceparent, each answered or refused on its
own; the batch call carries its first item's token. A request whose span is recorded
(tracing exports) calls alone, in its own trace.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import grpc
from google.protobuf import message_factory
from google.protobuf.message import Message
from grpc_health.v1 import health_pb2, health_pb2_grpc
from opentelemetry import propagate
from opentelemetry.sdk.trace import TracerProvider

from amarktai.common.v1 import options_pb2
from services.common.auth import bearer_from_metadata
from services.common.coalesce import DEFAULT as DEFAULT_BATCHING
from services.common.coalesce import Batching, Coalescer, traced
from services.common.tracing import client_interceptors
from services.gateway.errors import ApiError, from_rpc_error, status_error
from services.gateway.routes import Binding, RouteTable

MAX_MESSAGE_BYTES = 8 * 1024 * 1024
# a batch call refused so: its items are sent as calls of their own
_ALONE = (grpc.StatusCode.UNIMPLEMENTED, grpc.StatusCode.UNAUTHENTICATED)
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
        batching: Batching = DEFAULT_BATCHING,
    ) -> None:
        missing = [d for d in table.domains if d not in addrs]
        if missing:
            raise ValueError(f"no address for {', '.join(missing)}")
        self.table = table
        self.addrs = dict(addrs)
        self.provider = provider
        self.timeout = timeout
        self.health_timeout = health_timeout
        self.batching = batching
        self._channels: dict[str, grpc.aio.Channel] = {}
        self._unary: dict[str, grpc.aio.UnaryUnaryMultiCallable] = {}
        self._stream: dict[str, grpc.aio.UnaryStreamMultiCallable] = {}
        self._batches: dict[str, Coalescer] = {}  # a method's path -> its batch's Coalescer

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
                batch = b.method.GetOptions().Extensions[options_pb2.batch]
                if batch and not b.streaming and self.batching.max_batch > 1:
                    self._batches[b.grpc_path] = self._coalescer(channel, b, batch)

    def _coalescer(self, channel: grpc.aio.Channel, b: Binding, name: str) -> Coalescer:
        """The Coalescer of a method's calls, sent as items of its batch method ``name``."""
        method = b.method.containing_service.methods_by_name[name]
        request_cls = message_factory.GetMessageClass(method.input_type)
        item_cls = message_factory.GetMessageClass(
            method.input_type.fields_by_name["items"].message_type
        )
        call = channel.unary_unary(
            f"/{b.service}/{name}",
            request_serializer=request_cls.SerializeToString,
            response_deserializer=message_factory.GetMessageClass(method.output_type).FromString,
        )
        single = self._unary[b.grpc_path]
        addr = self.addrs[b.domain]

        async def one(token: str, request: Message) -> Message | ApiError:
            md = (("authorization", f"Bearer {token}"),)
            try:
                return await single(request, metadata=md, timeout=self.timeout)
            except grpc.aio.AioRpcError as exc:
                return from_rpc_error(exc, b.domain, addr)

        async def send(items: list) -> list:
            batch = request_cls(
                items=[item_cls(access_token=t, traceparent=p, request=r) for t, p, r in items]
            )
            md = (("authorization", f"Bearer {items[0][0]}"),)  # the call's own: its first's
            try:
                answer = await call(batch, metadata=md, timeout=self.timeout)
            except grpc.aio.AioRpcError as exc:
                if exc.code() not in _ALONE:
                    raise from_rpc_error(exc, b.domain, addr) from None
                # a service that does not know the batch method yet, or a first item whose
                # token is refused: each call on its own (each item's token decides for it)
                return list(await asyncio.gather(*(one(t, r) for t, _p, r in items)))
            return [
                r.response if r.WhichOneof("outcome") == "response" else status_error(r.error)
                for r in answer.results
            ]

        return Coalescer(send, self.batching)

    async def close(self) -> None:
        channels, self._channels = self._channels, {}
        for channel in channels.values():
            await channel.close(grace=None)

    async def unary(self, binding: Binding, request: Message, metadata: tuple) -> Message:
        """Call one unary RPC; a failure raises ApiError with the mapped status."""
        batch = self._batches.get(binding.grpc_path)
        token = bearer_from_metadata(metadata)
        if batch is not None and token is not None and not traced():
            carrier: dict[str, str] = {}
            propagate.inject(carrier)
            answer = await batch.call((token, carrier.get("traceparent", ""), request))
            if isinstance(answer, ApiError):
                raise answer
            return answer
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
