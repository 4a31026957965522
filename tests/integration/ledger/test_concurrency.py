"""Concurrent recording: exactly once per id, gapless sequences, in one process and across two."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from amarktai.ledger.v1 import ledger_pb2 as pb
from amarktai.ledger.v1 import ledger_pb2_grpc
from services.common.auth import issue_user_token
from tests.conftest import JWT_SECRET, drop_database, make_database
from tests.integration.ledger.helpers import (
    BUY,
    SELL,
    D,
    audit_all,
    fill,
    positions,
    summary,
    utc,
    verify,
)

REPO = Path(__file__).resolve().parents[3]
SERVICE = "amarktai.ledger.v1.LedgerService"


async def test_fifty_concurrent_calls_with_one_fill_id(ledger):
    md = ledger.user("racer")
    f = fill("same", BUY, "1", "100", at=utc(2026, 3, 1))
    results = await asyncio.gather(
        *(ledger.stub.RecordFill(pb.RecordFillRequest(fill=f), metadata=md) for _ in range(50))
    )
    assert sorted(r.replayed for r in results) == [False] + [True] * 49
    assert {(r.fill.sequence, r.fill.hash) for r in results} == {(1, results[0].fill.hash)}
    fills = await ledger.stub.ListFills(pb.ListFillsRequest(), metadata=md)
    assert [x.fill_id for x in fills.items] == ["same"]
    assert [e.sequence for e in await audit_all(ledger, md)] == [1]
    assert positions(await summary(ledger, md)) == {("", "BTC/USDT"): (D(1), D(100))}
    assert (await verify(ledger, md)).ok


async def test_fifty_concurrent_distinct_fills(ledger):
    md = ledger.user("crowd")
    results = await asyncio.gather(
        *(
            ledger.stub.RecordFill(
                pb.RecordFillRequest(fill=fill(f"f{i}", BUY, str(i), "100", "0.01")), metadata=md
            )
            for i in range(1, 51)
        )
    )
    assert sorted(r.fill.sequence for r in results) == list(range(1, 51))
    trail = await audit_all(ledger, md, page_size=7)
    assert [e.sequence for e in trail] == list(range(1, 51))
    s = await summary(ledger, md)
    # 1 + 2 + ... + 50 = 50 * 51 / 2 = 1275 bought at 100; fees 50 * 0.01
    assert positions(s) == {("", "BTC/USDT"): (D(1275), D(100))}
    assert (s.fees, s.last_sequence) == ("0.5", 50)
    assert (await verify(ledger, md)).ok


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def _wait_serving(channel: grpc.aio.Channel, proc: subprocess.Popen, log: Path) -> None:
    health = health_pb2_grpc.HealthStub(channel)
    deadline = time.monotonic() + 30
    while True:
        assert proc.poll() is None, f"ledger exited {proc.returncode}:\n{log.read_text()}"
        try:
            resp = await health.Check(health_pb2.HealthCheckRequest(service=SERVICE), timeout=1)
            if resp.status == health_pb2.HealthCheckResponse.SERVING:
                return
        except grpc.aio.AioRpcError:
            pass
        assert time.monotonic() < deadline, f"ledger not serving:\n{log.read_text()}"
        await asyncio.sleep(0.1)


async def test_two_processes_on_one_postgresql(tmp_path):
    db = make_database("postgresql", tmp_path, "two")  # skips when PostgreSQL is absent
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LEDGER_", "OTEL_"))}
    env.update(
        JWT_SECRET=JWT_SECRET,
        DATABASE_URL=db.url.replace("postgresql+psycopg://", "postgresql://", 1),
        LEDGER_DB_SCHEMA=db.schema,
        OTEL_TRACES_EXPORTER="none",
    )
    procs: list[subprocess.Popen] = []
    channels: list[grpc.aio.Channel] = []
    try:
        for n in range(2):
            port = _free_port()
            log = tmp_path / f"ledger{n}.log"
            with log.open("w") as out:
                procs.append(
                    subprocess.Popen(
                        [sys.executable, "-m", "services.ledger"],
                        cwd=REPO,
                        env={**env, "LEDGER_ADDR": f"127.0.0.1:{port}"},
                        stdout=out,
                        stderr=subprocess.STDOUT,
                    )
                )
            channels.append(grpc.aio.insecure_channel(f"127.0.0.1:{port}"))
        for n, channel in enumerate(channels):
            await _wait_serving(channel, procs[n], tmp_path / f"ledger{n}.log")
        stubs = [ledger_pb2_grpc.LedgerServiceStub(c) for c in channels]
        md = (("authorization", f"Bearer {issue_user_token(JWT_SECRET, 'twin')[0]}"),)

        calls = []
        for i in range(100):
            side = SELL if i % 3 == 2 else BUY  # two buys of 1, then a sell of 1
            f = fill(f"f{i}", side, "1", str(100 + i), "0.1")
            calls.append(stubs[i % 2].RecordFill(pb.RecordFillRequest(fill=f), metadata=md))
        # and ten ids sent to both processes at once: each recorded once
        for i in range(10):
            f = fill(f"dup{i}", BUY, "1", "50")
            for stub in stubs:
                calls.append(stub.RecordFill(pb.RecordFillRequest(fill=f), metadata=md))
        results = await asyncio.gather(*calls)
        assert sum(not r.replayed for r in results) == 110
        trail = await audit_all(SimpleNamespace(stub=stubs[0]), md, page_size=40)
        assert [e.sequence for e in trail] == list(range(1, 111))
        assert len({e.entry_id for e in trail}) == 110
        for stub in stubs:
            v = await stub.Verify(pb.VerifyRequest(), metadata=md)
            assert (v.ok, v.entries_checked) == (True, 110), v.problems
        s = await stubs[1].GetPortfolioSummary(pb.GetPortfolioSummaryRequest(), metadata=md)
        # 110 fills, each fee 0.1 except the ten at 50 with none: 100 * 0.1 = 10
        assert (s.fees, s.last_sequence) == ("10", 110)
        # 67 buys + 10 dup buys - 33 sells of 1 each
        assert sum(D(p.amount) for p in s.positions) == D(67 + 10 - 33)
    finally:
        for channel in channels:
            await channel.close()
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        drop_database(db)
