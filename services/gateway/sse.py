"""Server-streaming RPCs as server-sent events.

Each message becomes ``id:`` (its ``sequence`` field, when it has one), ``event:`` (``bot_state``
for a BotEvent, else the message name in snake_case) and ``data:`` (its protobuf JSON on one
line). A message holding just one message field (a ``...Response`` wrapper), or the rule's
``response_body``, is unwrapped. A comment line goes out every ``heartbeat`` seconds so proxies
keep the connection; the gRPC stream is cancelled as soon as the client goes away.

The first message (or the call's failure) is awaited briefly before the answer starts, so an
RPC that fails at once (no token, service down) gets a proper HTTP status, not an empty stream.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from typing import Any

import anyio
import grpc
from google.protobuf import json_format
from google.protobuf.message import Message
from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from services.gateway.errors import ApiError, from_rpc_error

EVENT_NAMES = {"BotEvent": "bot_state"}  # the names the frontend contract fixes (DESIGN 6)
FIRST_MESSAGE_WAIT = 0.5


def unwrap(message: Message, response_body: str = "") -> Message:
    if response_body:
        return getattr(message, response_body)
    fields = message.DESCRIPTOR.fields
    if len(fields) == 1 and fields[0].message_type is not None and not fields[0].is_repeated:
        if not fields[0].message_type.full_name.startswith("google.protobuf."):
            return getattr(message, fields[0].name)
    return message


def event_name(message: Message) -> str:
    name = message.DESCRIPTOR.name
    return EVENT_NAMES.get(name) or re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def format_event(message: Message, response_body: str = "") -> str:
    inner = unwrap(message, response_body)
    lines = []
    seq = inner.DESCRIPTOR.fields_by_name.get("sequence")
    if seq is not None and seq.message_type is None and inner.sequence:
        lines.append(f"id: {inner.sequence}")
    lines.append(f"event: {event_name(inner)}")
    data = json_format.MessageToDict(inner, always_print_fields_with_no_presence=True)
    lines.append("data: " + json.dumps(data, separators=(",", ":")))
    return "\n".join(lines) + "\n\n"


def format_error(error: ApiError) -> str:
    return "event: error\ndata: " + json.dumps(error.body(), separators=(",", ":")) + "\n\n"


class EventStream:
    """Wraps a started unary-stream call; ``events()`` yields SSE text."""

    def __init__(self, call: Any, domain: str, addr: str, response_body: str, heartbeat: float):
        self.call = call
        self.domain = domain
        self.addr = addr
        self.response_body = response_body
        self.heartbeat = heartbeat
        self._iter = call.__aiter__()
        self._next: asyncio.Future | None = None
        self._ended = False

    def _error(self, exc: grpc.aio.AioRpcError) -> ApiError:
        return from_rpc_error(exc, self.domain, self.addr)

    async def start(self, wait: float = FIRST_MESSAGE_WAIT) -> None:
        """Wait up to ``wait`` s for the first message; raise ApiError if the call fails."""
        self._next = asyncio.ensure_future(self._iter.__anext__())
        await asyncio.wait({self._next}, timeout=wait)
        if self._next.done() and self._next.exception() is not None:
            exc = self._next.exception()
            if isinstance(exc, StopAsyncIteration):
                return
            self.cancel()
            if isinstance(exc, grpc.aio.AioRpcError):
                raise self._error(exc)
            raise exc

    def cancel(self) -> None:
        if self._next is not None and not self._next.done():
            self._next.cancel()
        self.call.cancel()

    async def events(self) -> AsyncIterator[str]:
        try:
            while True:
                if self._next is None:
                    self._next = asyncio.ensure_future(self._iter.__anext__())
                done, _ = await asyncio.wait({self._next}, timeout=self.heartbeat)
                if not done:
                    yield ": keep-alive\n\n"
                    continue
                future, self._next = self._next, None
                try:
                    message = future.result()
                except StopAsyncIteration:
                    return
                except grpc.aio.AioRpcError as exc:
                    if exc.code() != grpc.StatusCode.CANCELLED:
                        yield format_error(self._error(exc))
                    return
                yield format_event(message, self.response_body)
        finally:
            self.cancel()


class EventStreamResponse(StreamingResponse):
    """A StreamingResponse that stops as soon as the client disconnects, on any ASGI server."""

    def __init__(self, stream: EventStream, headers: dict[str, str] | None = None) -> None:
        super().__init__(
            stream.events(),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no", **(headers or {})},
        )
        self.stream = stream

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def run() -> None:
            try:
                await self.stream_response(send)
            except OSError:  # the client went away while we were writing
                pass
            finally:
                tg.cancel_scope.cancel()

        try:
            async with anyio.create_task_group() as tg:
                tg.start_soon(run)
                await self.listen_for_disconnect(receive)
                tg.cancel_scope.cancel()
        finally:
            self.stream.cancel()
            aclose = getattr(self.body_iterator, "aclose", None)
            if aclose is not None:
                await aclose()
