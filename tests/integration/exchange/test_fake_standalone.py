"""The fake Binance as its own process, driven through its /_fake/ HTTP controls."""

import asyncio
import sys
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from services.orders.exchange import LiveExchange, LiveOrderRequest, place_or_reconcile
from tests.integration.exchange.conftest import Sleeps, ccxt_for

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture
async def fake_process() -> AsyncIterator[str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.fakes.fake_binance", "--port", "0",
        cwd=REPO, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        line = (await asyncio.wait_for(proc.stdout.readline(), 20)).decode()
        assert "listening on " in line, line
        yield line.rsplit(" ", 1)[1].strip()
    finally:
        proc.terminate()
        assert await asyncio.wait_for(proc.wait(), 10) == 0


async def test_standalone_fake_with_http_controls(fake_process):
    url = fake_process
    async with httpx.AsyncClient(base_url=url, timeout=5) as http:
        r = await http.post("/_fake/price", json={"symbol": "BTC/USDT", "price": "65000"})
        assert r.status_code == 200
        await http.post("/_fake/fail_next", json={"kind": "timeout_after_accept"})
        venue = LiveExchange(ccxt_for(url))
        try:
            req = LiveOrderRequest("am-standalone", "BTC/USDT", "sell", "market", Decimal("0.1"))
            order = await place_or_reconcile(venue, req, sleep=Sleeps())
        finally:
            await venue.close()
        # 0.1 BTC at 65000 = 6500 USDT; commission 0.1% = 6.5 USDT
        assert order.average == Decimal(65000)
        assert [(f.amount, f.fee) for f in order.fills] == [(Decimal("0.1"), Decimal("6.5"))]
        records = (await http.get("/_fake/order_requests")).json()
        assert [(r["client_order_id"], r["outcome"]) for r in records] == [
            ("am-standalone", "accepted+timeout_after_accept")
        ]
        bad = await http.post("/_fake/fail_next", json={"kind": "nonsense"})
        assert bad.status_code == 400
