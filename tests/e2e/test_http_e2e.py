"""The suite as separate processes (auth, ledger, gateway: ``python -m services.X``) driven over
HTTP like the frontend: register, log in, fund, record fills, read the figures, stop cleanly.

Numbers (DESIGN 5.1): fund 10000; buy 10 @ 500 fee 9.95; sell 4 @ 530 fee 9.95 nets
4*30 - 9.95 - 9.95*4/10 = 106.07; equity 10000 + 120 - 19.9 = 10100.1.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal as D

import httpx
import pytest

from tests.e2e.suite import Suite, available

SERVICES = ("auth", "ledger", "gateway")
if not available(SERVICES):
    pytest.skip("the auth service is not there yet", allow_module_level=True)


@pytest.fixture
def suite(tmp_path) -> Iterator[Suite]:
    s = Suite(tmp_path, SERVICES)
    s.start()
    try:
        yield s
    finally:
        s.stop()


def test_register_login_fund_trade_and_read_over_http(suite):
    with httpx.Client(base_url=suite.url, timeout=15) as http:
        suite.wait_ready(http)
        creds = {"email": "trader@example.com", "password": "a long enough password"}
        r = http.post("/api/auth/register", json=creds)
        assert r.status_code == 200, r.text
        assert r.json()["user"]["email"] == "trader@example.com"
        assert r.headers["x-trace-id"]

        r = http.post("/api/auth/login", json={**creds, "password": "not the password!"})
        assert r.status_code == 401, r.text
        r = http.post("/api/auth/login", json=creds)
        assert r.status_code == 200, r.text
        auth = {"Authorization": f"Bearer {r.json()['accessToken']}"}

        assert http.get("/api/portfolio/summary").status_code == 401
        event = {
            "eventId": "fund-1",
            "type": "LEDGER_EVENT_TYPE_FUNDING",
            "amount": "10000",
            "currency": "USDT",
            "occurredAt": "2026-03-02T09:00:00Z",
        }
        assert http.post("/api/ledger/events", json=event, headers=auth).status_code == 200
        base = {"botId": "b1", "exchange": "binance", "symbol": "BTC/USDT", "fee": "9.95"}
        buy = {**base, "fillId": "a", "side": "SIDE_BUY", "amount": "10", "price": "500",
               "executedAt": "2026-03-09T10:00:00Z"}  # fmt: skip
        sell = {**base, "fillId": "b", "side": "SIDE_SELL", "amount": "4", "price": "530",
                "executedAt": "2026-03-09T11:00:00Z"}  # fmt: skip
        assert http.post("/api/ledger/fills", json=buy, headers=auth).status_code == 200
        r = http.post("/api/ledger/fills", json=sell, headers=auth)
        assert r.status_code == 200, r.text
        assert D(r.json()["fill"]["netPnl"]) == D("106.07")

        summary = http.get("/api/portfolio/summary", headers=auth).json()
        assert D(summary["equity"]) == D("10100.1")
        assert (summary["trades"], summary["winningTrades"]) == ("1", "1")
        [position] = summary["positions"]
        assert (D(position["amount"]), D(position["averagePrice"])) == (6, 500)

        profits = http.get("/api/profits?period=daily", headers=auth).json()
        [day] = profits["buckets"]
        assert day["periodStart"] == "2026-03-09T00:00:00Z"
        assert (D(day["netPnl"]), day["trades"]) == (D("100.1"), "1")  # 120 - 19.9

        trail = http.get("/api/ledger/audit-trail", headers=auth).json()["items"]
        assert [i["entryId"] for i in trail] == ["fund-1", "a", "b"]
        assert trail[1]["prevHash"] == trail[0]["hash"]

        r = http.post("/api/ledger/fills", content=b"{not json", headers=auth)
        assert r.status_code == 400 and r.json()["code"] == 3

    codes = suite.stop()
    assert codes == {name: 0 for name in SERVICES}, suite.logs()
