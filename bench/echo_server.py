"""The orders benchmark's baseline server: a bare gRPC unary echo (raw bytes, no protobuf, no
interceptors) whose handler does one PostgreSQL INSERT and COMMIT on a pooled connection.

    python -m bench.echo_server PORT CONNINFO SCHEMA [POOL]

The table ``<SCHEMA>.echo`` must exist. Runs until killed (SIGTERM).
"""

from __future__ import annotations

import asyncio
import sys

import grpc
import psycopg

SERVICE, METHOD = "bench.Echo", "Echo"
PATH = f"/{SERVICE}/{METHOD}"


async def serve(port: int, conninfo: str, schema: str, pool: int) -> None:
    conns: asyncio.Queue[psycopg.AsyncConnection] = asyncio.Queue()
    for _ in range(pool):
        conns.put_nowait(await psycopg.AsyncConnection.connect(conninfo))
    insert = f'INSERT INTO "{schema}".echo (body) VALUES (%s)'

    async def echo(request: bytes, context) -> bytes:
        conn = await conns.get()
        try:
            await conn.execute(insert, (request,))
            await conn.commit()
        finally:
            conns.put_nowait(conn)
        return request

    handler = grpc.method_handlers_generic_handler(
        SERVICE, {METHOD: grpc.unary_unary_rpc_method_handler(echo)}
    )
    server = grpc.aio.server()
    server.add_generic_rpc_handlers((handler,))
    server.add_insecure_port(f"127.0.0.1:{port}")
    await server.start()
    await server.wait_for_termination()


if __name__ == "__main__":
    port, conninfo, schema = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    asyncio.run(serve(port, conninfo, schema, int(sys.argv[4]) if len(sys.argv) > 4 else 8))
