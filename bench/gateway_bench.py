"""GET /api/portfolio/summary through the gateway against the same RPC called directly.

The ledger and the gateway run as real processes on PostgreSQL; the user has
BENCH_GATEWAY_FILLS fills (default 1,000). Latency: sequential calls, p50/p99. Throughput:
BENCH_GATEWAY_CLIENTS threads (default 8) for BENCH_GATEWAY_SECONDS (default 5) each way.
Target: the gateway adds at most 1.5 ms at p50.
"""

from __future__ import annotations

import threading
import time
import uuid

import grpc
import httpx
import sqlalchemy

from amarktai.common.v1 import trading_pb2 as tpb
from amarktai.ledger.v1 import ledger_pb2 as pb
from amarktai.ledger.v1 import ledger_pb2_grpc
from bench.common import Processes, Report, env_int, free_port, percentiles, pg_url
from services.common.auth import issue_user_token

SECRET = "bench-secret-" + "z" * 40


def _seed(stub, md, n: int) -> None:
    fills = [
        pb.Fill(
            fill_id=f"f{i}",
            bot_id="b1",
            exchange="binance",
            symbol="BTC/USDT",
            side=tpb.SIDE_BUY if i % 2 == 0 else tpb.SIDE_SELL,
            amount="0.01",
            price=str(60000 + (i % 50)),
            fee="0.6",
        )
        for i in range(n)
    ]
    for i in range(0, n, 500):
        stub.RecordFills(pb.RecordFillsRequest(fills=fills[i : i + 500]), metadata=md)


def _throughput(call, clients: int, seconds: float) -> float:
    counts = [0] * clients
    stop = time.monotonic() + seconds

    def worker(k: int) -> None:
        while time.monotonic() < stop:
            call()
            counts[k] += 1

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(counts) / seconds


def _latencies(call, n: int) -> list[float]:
    out = []
    for _ in range(n):
        t = time.perf_counter()
        call()
        out.append(time.perf_counter() - t)
    return out


def run(table: Report) -> None:
    ledger_port, gw_port = free_port(), free_port()
    schema = f"bench_gw_{uuid.uuid4().hex[:8]}"
    procs = Processes(
        {
            "JWT_SECRET": SECRET,
            "DATABASE_URL": pg_url().replace("+psycopg", ""),
            "LEDGER_DB_SCHEMA": schema,
            "LEDGER_ADDR": f"127.0.0.1:{ledger_port}",
            "GATEWAY_ADDR": f"127.0.0.1:{gw_port}",
            "AUTH_ADDR": f"127.0.0.1:{free_port()}",
            "ORDERS_ADDR": f"127.0.0.1:{free_port()}",
            "BOTS_ADDR": f"127.0.0.1:{free_port()}",
        }
    )
    token, _ = issue_user_token(SECRET, f"bench-{uuid.uuid4().hex[:6]}")
    md = (("authorization", f"Bearer {token}"),)
    n_lat = env_int("BENCH_GATEWAY_CALLS", 2000)
    clients = env_int("BENCH_GATEWAY_CLIENTS", 8)
    seconds = env_int("BENCH_GATEWAY_SECONDS", 5)
    try:
        procs.start("ledger", ledger_port)
        procs.start("gateway", gw_port)
        channel = grpc.insecure_channel(f"127.0.0.1:{ledger_port}")
        stub = ledger_pb2_grpc.LedgerServiceStub(channel)
        _seed(stub, md, env_int("BENCH_GATEWAY_FILLS", 1000))
        http = httpx.Client(
            base_url=f"http://127.0.0.1:{gw_port}", headers={"authorization": f"Bearer {token}"}
        )
        req = pb.GetPortfolioSummaryRequest(currency="USDT")

        def direct() -> None:
            stub.GetPortfolioSummary(req, metadata=md, timeout=10)

        def via_gateway() -> None:
            r = http.get("/api/portfolio/summary", params={"currency": "USDT"})
            r.raise_for_status()

        # the same answer both ways, before timing anything
        via_http = http.get("/api/portfolio/summary").json()["equity"]
        assert via_http == stub.GetPortfolioSummary(req, metadata=md).equity, via_http
        for call in (direct, via_gateway):  # warm up
            _latencies(call, 200)
        d50, d99 = percentiles(_latencies(direct, n_lat))
        g50, g99 = percentiles(_latencies(via_gateway, n_lat))
        table.add("summary direct gRPC p50 / p99 ms", f"{d50:.2f} / {d99:.2f}", "baseline")
        table.add("summary via gateway p50 / p99 ms", f"{g50:.2f} / {g99:.2f}", "")
        table.add("gateway adds at p50 ms", f"{g50 - d50:.2f}", "target <= 1.5 ms")
        http_pool = httpx.Client(
            base_url=f"http://127.0.0.1:{gw_port}",
            headers={"authorization": f"Bearer {token}"},
            limits=httpx.Limits(max_connections=clients),
        )

        def via_gateway_pooled() -> None:
            http_pool.get("/api/portfolio/summary").raise_for_status()

        d_rps = _throughput(direct, clients, seconds)
        g_rps = _throughput(via_gateway_pooled, clients, seconds)
        table.add("summary direct gRPC req/s", f"{d_rps:,.0f}", f"{clients} client threads")
        table.add("summary via gateway req/s", f"{g_rps:,.0f}", f"ratio {g_rps / d_rps:.2f}")
        channel.close()
    finally:
        procs.stop()
        engine = sqlalchemy.create_engine(pg_url())
        with engine.begin() as conn:
            conn.execute(sqlalchemy.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        engine.dispose()
