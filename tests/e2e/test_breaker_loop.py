"""The breaker loop across real processes, over HTTP: losing trades in the ledger trip the
bot's breaker in orders, the bot goes CIRCUIT_TRIPPED (through the bots service), the change
appears on the event stream, reduce-only orders still pass, and a reset returns the bot to
PAUSED, never straight to RUNNING."""

from __future__ import annotations

import httpx
import pytest

from tests.e2e.suite import Suite, available
from tests.e2e.test_bot_events_sse import read_events

SERVICES = ("auth", "ledger", "orders", "bots", "gateway")
if not available(SERVICES):
    pytest.skip("orders or bots not there yet", allow_module_level=True)


@pytest.fixture
def suite(tmp_path):
    s = Suite(tmp_path, SERVICES, {"BOT_RUNNER": "off", "MAX_CONSECUTIVE_LOSSES": "5"})
    s.start()
    try:
        yield s
    finally:
        s.stop()


def test_losing_trades_trip_the_bot_and_a_reset_pauses_it(suite):
    with httpx.Client(base_url=suite.url, timeout=20) as http:
        suite.wait_ready(http)
        creds = {"email": "breaker@example.com", "password": "a long enough password"}
        token = http.post("/api/auth/register", json=creds).json()["accessToken"]
        auth = {"Authorization": f"Bearer {token}"}
        fund = {"eventId": "f", "type": "LEDGER_EVENT_TYPE_FUNDING", "amount": "100000",
                "currency": "USDT"}  # fmt: skip
        assert http.post("/api/ledger/events", json=fund, headers=auth).status_code == 200
        bot = {"name": "b", "exchange": "binance", "symbol": "BTC/USDT", "strategy": "manual",
               "allocatedCapital": "10000"}  # fmt: skip
        bot_id = http.post("/api/bots", json=bot, headers=auth).json()["id"]
        assert http.post(f"/api/bots/{bot_id}/start", json={}, headers=auth).status_code == 200

        # five losing round trips of the bot, traded elsewhere and imported: each buys 0.01 at
        # 100 and sells at 99, a loss of 0.01 each (small: neither drawdown nor daily loss)
        for i in range(5):
            for side, price in (("SIDE_BUY", "100"), ("SIDE_SELL", "99")):
                fill = {"fillId": f"{i}-{side}", "botId": bot_id, "exchange": "binance",
                        "symbol": "BTC/USDT", "side": side, "amount": "0.01",
                        "price": price}  # fmt: skip
                r = http.post("/api/ledger/fills", json=fill, headers=auth)
                assert r.status_code == 200, r.text

        order = {"botId": bot_id, "exchange": "binance", "symbol": "BTC/USDT",
                 "side": "SIDE_BUY", "type": "ORDER_TYPE_MARKET", "amount": "0.01",
                 "expectedEdgeBps": "500"}  # fmt: skip
        r = http.post("/api/orders/submit", json=order, headers={**auth, "Idempotency-Key": "k1"})
        assert r.status_code == 200, r.text
        refused = r.json()
        assert refused["state"] == "ORDER_STATE_REJECTED"
        assert refused["rejection"]["gate"] == "GATE_CIRCUIT_BREAKER"

        assert http.get(f"/api/bots/{bot_id}", headers=auth).json()["state"] == (
            "BOT_STATE_CIRCUIT_TRIPPED"
        )
        status = http.get("/api/circuit-breaker/status", headers=auth).json()["items"]
        [mine] = [s for s in status if s.get("botId") == bot_id]
        assert mine["tripped"] and mine["trigger"] == "BREAKER_TRIGGER_CONSECUTIVE_LOSSES"
        assert int(mine["metrics"]["consecutiveLosses"]) == 5
        # the bot's trades are the account's too: its breaker trips on the same five losses
        [account] = [s for s in status if s["scope"] == "BREAKER_SCOPE_ACCOUNT"]
        assert account["tripped"]

        # a tripped bot cannot be started by hand
        r = http.post(f"/api/bots/{bot_id}/start", json={}, headers=auth)
        assert r.status_code == 400 and "CIRCUIT_TRIPPED" in r.json()["message"]

        r = http.post(
            "/api/circuit-breaker/reset",
            json={"botId": bot_id, "reason": "looked into it"},
            headers=auth,
        )
        assert r.status_code == 200, r.text
        assert http.get(f"/api/bots/{bot_id}", headers=auth).json()["state"] == "BOT_STATE_PAUSED"

        events = read_events(http, auth, 4)  # created, start, trip, reset
        assert [(e["fromState"], e["toState"]) for _, e in events][2:] == [
            ("BOT_STATE_RUNNING", "BOT_STATE_CIRCUIT_TRIPPED"),
            ("BOT_STATE_CIRCUIT_TRIPPED", "BOT_STATE_PAUSED"),
        ]
        history = http.get("/api/circuit-breaker/history", headers=auth).json()["items"]
        assert len(history) >= 2

        # resumed, the bot is still refused: the account's breaker is tripped too
        assert http.post(f"/api/bots/{bot_id}/resume", json={}, headers=auth).status_code == 200
        r = http.post("/api/orders/submit", json=order, headers={**auth, "Idempotency-Key": "k2"})
        assert r.json()["rejection"]["gate"] == "GATE_CIRCUIT_BREAKER", r.text
        r = http.post(
            "/api/circuit-breaker/reset", json={"reason": "account checked"}, headers=auth
        )
        assert r.status_code == 200, r.text
        # the counts start afresh: the losses before the resets no longer count
        r = http.post("/api/orders/submit", json=order, headers={**auth, "Idempotency-Key": "k3"})
        assert r.json()["state"] == "ORDER_STATE_FILLED", r.text
