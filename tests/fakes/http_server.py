"""A minimal asyncio HTTP/1.1 server for fakes: keep-alive, JSON answers, and full control over
the connection (a handler may stall or drop it, which a framework would not let us do)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

_REASONS = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found", 429: "Too Many"}


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    body: bytes

    def form(self) -> dict[str, str]:
        """Query string and url-encoded body merged (Binance accepts parameters in either)."""
        merged = dict(self.query)
        if self.body:
            merged.update(parse_qsl(self.body.decode(), keep_blank_values=True))
        return merged

    def json(self) -> Any:
        return json.loads(self.body or b"{}")


@dataclass
class Response:
    status: int
    payload: Any
    headers: dict[str, str] = field(default_factory=dict)


DROP = object()  # a handler returns DROP to close the connection without answering

Handler = Callable[[Request], Awaitable["Response | object"]]


class HttpServer:
    def __init__(
        self, handler: Handler, host: str = "127.0.0.1", port: int = 0, keep_alive: bool = True
    ) -> None:
        self._handler = handler
        self._keep_alive = keep_alive
        self._host = host
        self._port = port
        self._server: asyncio.base_events.Server | None = None
        self._connections: set[asyncio.Task] = set()
        self.port = 0

    async def start(self) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self._host, self._port))
        self.port = sock.getsockname()[1]
        self._server = await asyncio.start_server(self._serve, sock=sock)

    async def stop(self) -> None:
        if self._server is None:
            return
        self._server.close()
        for task in list(self._connections):
            task.cancel()
        for task in list(self._connections):
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._server.wait_closed()
        self._server = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        try:
            while await self._one(reader, writer):
                pass
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        except asyncio.CancelledError:  # stop() cancels connections that are still open
            pass
        finally:
            self._connections.discard(task)
            writer.close()

    async def _one(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        line = await reader.readline()
        if not line.strip():
            return False
        method, target, _ = line.decode("latin-1").split(" ", 2)
        headers: dict[str, str] = {}
        while (raw := await reader.readline()) not in (b"\r\n", b"\n", b""):
            name, _, value = raw.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
        body = await reader.readexactly(length) if length else b""
        url = urlsplit(target)
        query = dict(parse_qsl(url.query, keep_blank_values=True))
        answer = await self._handler(Request(method.upper(), url.path, query, headers, body))
        if answer is DROP:
            return False
        assert isinstance(answer, Response)
        data = json.dumps(answer.payload).encode()
        head = [
            f"HTTP/1.1 {answer.status} {_REASONS.get(answer.status, 'Status')}",
            "Content-Type: application/json",
            f"Content-Length: {len(data)}",
            f"Connection: {'keep-alive' if self._keep_alive else 'close'}",
            *(f"{k}: {v}" for k, v in answer.headers.items()),
        ]
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + data)
        await writer.drain()
        return self._keep_alive
