"""Paper orders through the four gates, filled and recorded in the ledger (issue: order pipeline).

auth, ledger, bots, orders and gateway run as real processes on PostgreSQL, each in a fresh
schema dropped afterwards, with the trade limits and breaker thresholds raised out of the way.
BENCH_ORDERS_USERS users (default 8), each with a funded account, and BENCH_ORDERS_BOTS RUNNING
manual bots (default 8) shared out among them; market paper orders of 0.001 BTC/USDT on binance
(simulated market data), buys and sells alternating. Under the default limits one user may
place 10 orders per 10 s on an exchange, so orders/s in the hundreds are many users' orders;
BENCH_ORDERS_USERS=1 is the case of one user's orders queueing on that user's rows.

1. Baseline, same run: a bare gRPC unary echo whose handler does one INSERT and COMMIT
   (bench/echo_server.py, a process of its own): sequential p50/p99 and ops/s.
2. SubmitOrder over direct gRPC, then POST /api/orders/submit through the gateway: sequential
   p50/p99 (BENCH_ORDERS_CALLS, default 500) and orders/s with each number of callers in flight
   of BENCH_ORDERS_CLIENTS (default 32,64,128: the orders of many users at once) for
   BENCH_ORDERS_SECONDS (default 10) each. Under load, the CPU each process (and its
   PostgreSQL backends) used per order: where the time goes (bench/cpu.py).
3. The gates' own time: a second orders process on the same database exporting OTLP to a
   receiver in the benchmark (bench/spans.py); per order the sum of the four gate spans, and
   beside it the breaker's evaluation before gate A (what was left to wait of gate D's read,
   begun as the order arrived), with the sum of both.
4. Every FILLED order has exactly one fill in the ledger.

Targets: >= 500 orders/s end to end; the four gates together < 2 ms at p50.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass

import grpc
import sqlalchemy

from amarktai.bots.v1 import bots_pb2 as bpb
from amarktai.bots.v1 import bots_pb2_grpc
from amarktai.ledger.v1 import ledger_pb2 as lpb
from amarktai.ledger.v1 import ledger_pb2_grpc
from amarktai.orders.v1 import orders_pb2_grpc
from bench import orders_load as load
from bench.common import Processes, Report, env_int, free_port, percentiles, pg_url
from bench.cpu import CpuMeter
from bench.echo_server import PATH
from bench.spans import EVALUATE, GATES, SUBMIT, SpanReceiver
from services.common.auth import issue_user_token

SECRET = "bench-secret-" + "o" * 40
HIGH = "1000000000"
SERVICES = ("auth", "ledger", "bots", "orders", "gateway")
WARMUP = 50


def _url(app: str) -> str:
    base = pg_url().replace("+psycopg", "")
    return f"{base}{'&' if '?' in base else '?'}application_name={app}"


def _settings(ports: dict[str, int], schemas: dict[str, str], apps: dict[str, str]) -> dict:
    return {
        "JWT_SECRET": SECRET,
        **{f"{n.upper()}_ADDR": f"127.0.0.1:{p}" for n, p in ports.items()},
        **{f"{n.upper()}_DB_SCHEMA": s for n, s in schemas.items()},
        **{f"{n.upper()}_DATABASE_URL": _url(apps[n]) for n in schemas},
        "BOT_RUNNER": "off",
        # the limiter and the breaker are measured, not tested: nothing may refuse an order
        "MAX_TRADES_PER_BOT_DAILY": HIGH,
        "MAX_TRADES_PER_USER_DAILY": HIGH,
        "BURST_LIMIT_ORDERS_PER_EXCHANGE": HIGH,
        "MAX_CONSECUTIVE_LOSSES": HIGH,  # every round trip pays the spread and two fees
        "MAX_ERRORS_PER_HOUR": HIGH,
        "MAX_DRAWDOWN_PERCENT": "1",
        "MAX_DAILY_LOSS_PERCENT": "1",
    }


def _start_echo(procs: Processes, port: int, schema: str, app: str) -> None:
    argv = [sys.executable, "-m", "bench.echo_server", str(port), _url(app), schema]
    p = subprocess.Popen(argv, env=procs.env, stdout=subprocess.DEVNULL)
    procs.procs.append(p)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if p.poll() is not None:
            raise RuntimeError(f"the echo server exited with {p.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"the echo server did not listen on {port}")


def _stop(*groups: Processes) -> None:
    """SIGTERM everything, then SIGKILL what is still there after 10 s."""
    procs = [p for g in groups for p in g.procs]
    for p in procs:
        if p.poll() is None:
            p.terminate()
    for p in procs:
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(5)


def _sql(engine: sqlalchemy.Engine, statements: list[str]) -> None:
    with engine.begin() as conn:
        for s in statements:
            conn.execute(sqlalchemy.text(s))


def _ms(samples: list[float]) -> str:
    p50, p99 = percentiles(samples)
    return f"{p50:.2f} / {p99:.2f}"


@dataclass
class Bench:
    table: Report
    meter: CpuMeter
    channels: dict[str, grpc.aio.Channel]
    tokens: list[str]  # one per user
    calls: int
    clients: list[int]  # callers in flight, each number in turn
    seconds: int

    async def setup(self, n_bots: int) -> list[load.Bot]:
        """Every user funded; bot i is user i % users' (RUNNING, manual)."""
        ledger = ledger_pb2_grpc.LedgerServiceStub(self.channels["ledger"])
        for token in self.tokens:
            fund = lpb.LedgerEvent(
                event_id="fund-1", type=lpb.LEDGER_EVENT_TYPE_FUNDING, amount="10000000",
                currency="USDT",
            )  # fmt: skip
            md = load.Bot("", token).md
            await ledger.RecordEvent(lpb.RecordEventRequest(event=fund), metadata=md, timeout=10)
        bots = bots_pb2_grpc.BotServiceStub(self.channels["bots"])
        out = []
        for i in range(n_bots):
            md = load.Bot("", self.tokens[i % len(self.tokens)]).md
            spec = bpb.CreateBotRequest(
                name=f"bench {i}", exchange=load.EXCHANGE, symbol=load.SYMBOL,
                strategy="manual", allocated_capital="100000",
            )  # fmt: skip
            bot = (await bots.CreateBot(spec, metadata=md, timeout=10)).bot
            await bots.StartBot(bpb.StartBotRequest(id=bot.id), metadata=md, timeout=10)
            out.append(load.Bot(bot.id, self.tokens[i % len(self.tokens)]))
        return out

    async def phase(
        self, label: str, call: load.Call, base: tuple[list[float], dict] | None = None
    ) -> tuple[list[float], dict[int, load.Load]]:
        """Warm-up, sequential latency, then for each number of callers in flight its
        throughput and CPU use: a row for the latency and two for each number in flight."""
        first = self.clients[0]
        await load.sequential(call, WARMUP, first)
        seq = await load.sequential(call, self.calls, first)
        unit = "op" if base is None else "order"
        note = f"sequential, {self.calls} calls"
        if base is not None:
            note += f"; p50 {percentiles(seq)[0] / percentiles(base[0])[0]:.1f}x baseline"
        self.table.add(f"{label} p50 / p99 ms", _ms(seq), note)
        loads = {}
        for n in self.clients:
            before = await asyncio.to_thread(self.meter.sample)
            ld = loads[n] = await load.concurrent(call, n, self.seconds)
            cpu = CpuMeter.used(before, await asyncio.to_thread(self.meter.sample))
            note = f"{ld.ops:,} in {ld.seconds:.1f} s, p50 / p99 {_ms(ld.samples)} ms"
            if base is not None:
                note += f"; ratio to baseline {ld.rate / base[1][n].rate:.3f}"
            if ld.errors:
                note += f"; {len(ld.errors)} ERRORS, first: {ld.errors[0]}"
            self.table.add(f"{label} {unit}s/s, {n} in flight", f"{ld.rate:,.0f}", note)
            per = {k: v * 1000 / max(ld.ops, 1) for k, v in cpu.items()}
            per = {k: v for k, v in per.items() if v >= 0.05}
            total = sum(per.values())
            parts = ", ".join(f"{k} {v:.2f}" for k, v in sorted(per.items(), key=lambda x: -x[1]))
            cores = os.cpu_count() or 1
            self.table.add(
                f"{label} CPU ms per {unit}, {n} in flight",
                f"{total:.2f}",
                f"{parts}; {cores} idle cores would allow {cores * 1000 / total:,.0f}/s",
            )
        return seq, loads

    async def gates(self, channel, orders: load.Orders, receiver: SpanReceiver) -> None:
        """The four gates' time from the spans of an orders process exporting them."""
        call = load.direct_call(orders_pb2_grpc.OrderServiceStub(channel), orders)
        await load.sequential(call, WARMUP, self.clients[0])
        orders.trace_ids.clear()
        traced = await load.sequential(call, self.calls, self.clients[0])
        wanted = set(orders.trace_ids)
        deadline = time.monotonic() + 20
        while True:
            got = {t: s for t, s in receiver.by_trace().items() if t in wanted and SUBMIT in s}
            if len(got) == len(wanted) or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.2)
        assert len(got) >= 0.95 * len(wanted), f"spans of {len(got)} of {len(wanted)} orders"
        spans = list(got.values())
        self.table.add(
            "four gates together p50 / p99 ms",
            _ms([sum(s[g] for g in GATES) for s in spans]),
            f"sum of the 4 gate spans, {len(spans)} sequential orders; target p50 < 2 ms",
        )
        each = [f"{percentiles([s[g] for s in spans])[0]:.2f}" for g in GATES]
        self.table.add("gates A / B / C / D p50 ms", " / ".join(each), "tracing on")
        self.table.add(
            "breaker evaluated before gate A p50 / p99 ms",
            _ms([s.get(EVALUATE, 0.0) for s in spans]),
            "what was left to wait of gate D's read (begun as the order arrived) and its "
            "evaluation; gate D's span holds its decision",
        )
        self.table.add(
            "four gates and that evaluation p50 / p99 ms",
            _ms([sum(s[g] for g in GATES) + s.get(EVALUATE, 0.0) for s in spans]),
            "per order",
        )
        parts = [[s[SUBMIT] for s in spans], [s["execute"] for s in spans if "execute" in s]]
        self.table.add(
            "traced SubmitOrder / execute / client p50 ms",
            " / ".join(f"{percentiles(v)[0]:.2f}" for v in (*parts, traced)),
            "server span, its execute span, the client's time",
        )


async def _run(bench: Bench, gw_port: int, traced, receiver, n_bots: int) -> None:
    ch = bench.channels
    orders = load.Orders(uuid.uuid4().hex[:8], await bench.setup(n_bots))
    base = await bench.phase("baseline echo + INSERT", load.echo_call(ch["echo"], PATH))
    stub = orders_pb2_grpc.OrderServiceStub(ch["orders"])
    _, d = await bench.phase("orders direct gRPC", load.direct_call(stub, orders), base)
    gw_call = load.gateway_call("127.0.0.1", gw_port, orders)
    _, g = await bench.phase("orders via gateway", gw_call, base)
    errors = sum(len(ld.errors) for ld in (*d.values(), *g.values()))

    port = free_port()
    traced.env["ORDERS_ADDR"] = f"127.0.0.1:{port}"
    await asyncio.to_thread(traced.start, "orders", port)
    ch["traced"] = grpc.aio.insecure_channel(f"127.0.0.1:{port}")
    await bench.gates(ch["traced"], orders, receiver)

    ledger = ledger_pb2_grpc.LedgerServiceStub(ch["ledger"])
    fills = await load.check_fills(
        stub, ledger, [load.Bot("", t).md for t in bench.tokens], orders.filled, wait=60
    )
    note = "each FILLED order has its one fill in the ledger"
    if errors == 0:
        assert fills == len(orders.filled), (fills, len(orders.filled))
        note += f"; = the {len(orders.filled):,} FILLED answers"
    bench.table.add("ledger fills == FILLED orders", f"{fills:,}", note)


def run(table: Report) -> None:
    calls = env_int("BENCH_ORDERS_CALLS", 500)
    clients = [int(n) for n in os.environ.get("BENCH_ORDERS_CLIENTS", "32,64,128").split(",")]
    seconds, n_bots = env_int("BENCH_ORDERS_SECONDS", 10), env_int("BENCH_ORDERS_BOTS", 8)
    n_users = min(env_int("BENCH_ORDERS_USERS", 8), n_bots)
    tag = uuid.uuid4().hex[:8]
    schemas = {n: f"bench_orders_{n}_{tag}" for n in (*SERVICES[:4], "echo")}
    apps = {n: f"bo_{n}_{tag}" for n in schemas}
    ports = {n: free_port() for n in (*SERVICES, "echo")}
    env = _settings({n: ports[n] for n in SERVICES}, {n: schemas[n] for n in SERVICES[:4]}, apps)
    procs = Processes(env)
    engine = sqlalchemy.create_engine(pg_url())
    print(f"orders: {', '.join(SERVICES)} on PostgreSQL, {calls} calls, "
          f"{'/'.join(map(str, clients))} in flight "
          f"for {seconds} s, {n_bots} bots of {n_users} users", flush=True)  # fmt: skip
    with SpanReceiver() as receiver:
        otlp = {"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint,
                "OTEL_BSP_SCHEDULE_DELAY": "200", "OTEL_BSP_MAX_QUEUE_SIZE": "200000"}  # fmt: skip
        traced = Processes({**env, **otlp})
        try:
            echo = f'"{schemas["echo"]}"'
            create = f"CREATE TABLE {echo}.echo (id bigserial PRIMARY KEY, body bytea)"
            _sql(engine, [f"CREATE SCHEMA {echo}", create])
            for name in SERVICES:
                procs.start(name, ports[name])
            _start_echo(procs, ports["echo"], schemas["echo"], apps["echo"])
            pids = {n: p.pid for n, p in zip((*SERVICES, "echo"), procs.procs, strict=True)}
            meter = CpuMeter(
                engine, {**pids, "bench": os.getpid()}, {a: n for n, a in apps.items()}
            )
            tokens = [issue_user_token(SECRET, f"bench-{tag}-{u}")[0] for u in range(n_users)]
            budget = 90 + (1 + 3 * len(clients)) * seconds + 4 * (calls + WARMUP) * 0.1

            async def main() -> None:
                names = ("ledger", "bots", "orders", "echo")
                chans = {n: grpc.aio.insecure_channel(f"127.0.0.1:{ports[n]}") for n in names}
                bench = Bench(table, meter, chans, tokens, calls, clients, seconds)
                try:
                    await asyncio.wait_for(
                        _run(bench, ports["gateway"], traced, receiver, n_bots), timeout=budget
                    )
                finally:
                    for c in chans.values():
                        await c.close()

            asyncio.run(main())
        finally:
            _stop(traced, procs)
            _sql(engine, [f'DROP SCHEMA IF EXISTS "{s}" CASCADE' for s in schemas.values()])
            engine.dispose()
