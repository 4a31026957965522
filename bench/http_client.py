"""A lean HTTP/1.1 client for the benchmarks' load: one keep-alive connection per caller,
requests written as bytes, answers read by their Content-Length.

The load generator runs on the same two cores as the system it measures, so what it spends
per request is taken from the system: httpx spends about 1.9 ms of CPU per request here, this
client about a tenth of that. It speaks only what the gateway answers (HTTP/1.1, a
Content-Length on every answer, keep-alive) and says so when an answer is anything else.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass


class ProtocolError(Exception):
    """An answer this client does not read (no Content-Length, a closed connection...)."""


@dataclass(frozen=True)
class Response:
    status_code: int
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def json(self):
        return json.loads(self.body)


class Connection:
    """One keep-alive connection, used by one caller at a time."""

    def __init__(self, host: str, port: int, timeout: float) -> None:
        self.host, self.port, self.timeout = host, port, timeout
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def post_json(self, path: str, body: dict, headers: dict[str, str]) -> Response:
        return await asyncio.wait_for(self._post(path, body, headers), self.timeout)

    async def _post(self, path: str, body: dict, headers: dict[str, str]) -> Response:
        if self._writer is None:
            self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        payload = json.dumps(body, separators=(",", ":")).encode()
        head = [f"POST {path} HTTP/1.1", f"Host: {self.host}:{self.port}",
                "Content-Type: application/json", f"Content-Length: {len(payload)}"]  # fmt: skip
        head += [f"{k}: {v}" for k, v in headers.items()]
        try:
            self._writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + payload)
            return await self._read()
        except BaseException:
            self.close()  # whatever was half read or written, the connection is not reused
            raise

    async def _read(self) -> Response:
        assert self._reader is not None
        try:
            head = await self._reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError as exc:
            raise ProtocolError("the connection closed before an answer") from exc
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
            raise ProtocolError(f"not an HTTP/1.x status line: {lines[0]!r}")
        length, close = None, False
        for line in lines[1:]:
            name, _, value = line.partition(":")
            name = name.strip().lower()
            if name == "content-length":
                length = int(value)
            elif name == "connection" and value.strip().lower() == "close":
                close = True
            elif name == "transfer-encoding":
                raise ProtocolError("a chunked answer: this client reads Content-Length only")
        if length is None:
            raise ProtocolError("an answer without Content-Length")
        body = await self._reader.readexactly(length)
        if close:
            self.close()
        return Response(int(parts[1]), body)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self._reader = self._writer = None
