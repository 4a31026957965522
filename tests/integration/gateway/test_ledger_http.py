"""The ledger through the gateway, as the frontend uses it: fund, record fills, read figures.

Hand-worked example (DESIGN 5.1): fund 10000 USDT; buy 10 @ 500 fee 9.95 (Mon 2026-03-09);
sell 4 @ 530 fee 9.95 the same day: realized 4*30 = 120, net 120 - 9.95 - 9.95*4/10 = 106.07;
sell 6 @ 540 fee 9.95 on Tue 2026-03-10: realized 6*40 = 240, net 240 - 9.95 - 5.97 = 224.08.
Totals: realized 360, fees 29.85, net 330.15, equity 10330.15, 2 trades, both winning.
Drawdown: the buy's fee takes equity to 9990.05 under the 10000 peak: 9.95/10000 = 0.000995.
"""

from __future__ import annotations

from decimal import Decimal as D

from tests.integration.gateway.conftest import assert_error_body

FUNDING = {
    "eventId": "fund-1",
    "type": "LEDGER_EVENT_TYPE_FUNDING",
    "amount": "10000",
    "currency": "USDT",
    "occurredAt": "2026-03-02T09:00:00Z",
}


def fill(fill_id: str, side: str, amount: str, price: str, at: str) -> dict:
    return {
        "fillId": fill_id,
        "botId": "b1",
        "exchange": "binance",
        "symbol": "BTC/USDT",
        "side": side,
        "amount": amount,
        "price": price,
        "fee": "9.95",
        "feeCurrency": "USDT",
        "executedAt": at,
    }


FILLS = [
    fill("f-a", "SIDE_BUY", "10", "500", "2026-03-09T10:00:00Z"),
    fill("f-b", "SIDE_SELL", "4", "530", "2026-03-09T11:00:00Z"),
    fill("f-c", "SIDE_SELL", "6", "540", "2026-03-10T09:00:00Z"),
]


async def record_all(gw, user: str = "alice") -> list[dict]:
    r = await gw.post("/api/ledger/events", FUNDING, user)
    assert r.status_code == 200, r.text
    assert r.json()["event"]["sequence"] == "1"  # int64 as a JSON string
    out = []
    for body in FILLS:
        r = await gw.post("/api/ledger/fills", body, user)
        assert r.status_code == 200, r.text
        out.append(r.json()["fill"])
    return out


async def test_fund_record_fills_and_read_the_figures(gw):
    buy, sell1, sell2 = await record_all(gw)
    assert buy["side"] == "SIDE_BUY" and buy["source"] == "FILL_SOURCE_MANUAL"
    assert D(sell1["realizedPnl"]) == 120 and D(sell1["netPnl"]) == D("106.07")
    assert D(sell2["realizedPnl"]) == 240 and D(sell2["netPnl"]) == D("224.08")

    r = await gw.get("/api/portfolio/summary")
    assert r.status_code == 200, r.text
    s = r.json()
    assert s["currency"] == "USDT"
    assert D(s["netFunding"]) == 10000
    assert D(s["realizedPnl"]) == 360
    assert D(s["fees"]) == D("29.85")
    assert D(s["netPnl"]) == D("330.15")
    assert D(s["equity"]) == D("10330.15")
    assert (s["trades"], s["winningTrades"]) == ("2", "2")
    assert D(s["currentDrawdown"]) == 0 and D(s["maxDrawdown"]) == D("0.000995")
    assert all(D(p["amount"]) == 0 for p in s["positions"])

    r = await gw.get("/api/profits?period=daily")
    assert r.status_code == 200, r.text
    p = r.json()
    assert p["period"] == "PROFIT_PERIOD_DAILY"
    got = [
        (b["periodStart"], D(b["realizedPnl"]), D(b["fees"]), D(b["netPnl"]), b["trades"])
        for b in p["buckets"]
    ]
    # Monday: 120 realized, two fees 19.9, net 100.1; Tuesday: 240, one fee, 230.05
    assert got == [
        ("2026-03-09T00:00:00Z", D(120), D("19.9"), D("100.1"), "1"),
        ("2026-03-10T00:00:00Z", D(240), D("9.95"), D("230.05"), "1"),
    ]
    r = await gw.get("/api/profits", params={"period": "WEEKLY"})
    [week] = r.json()["buckets"]
    assert week["periodStart"] == "2026-03-09T00:00:00Z"  # the ISO week starts on Monday
    assert (D(week["netPnl"]), week["trades"], week["winningTrades"]) == (D("330.15"), "2", "2")


async def test_fills_page_by_page_and_the_audit_trail(gw):
    await record_all(gw)
    seen, token, pages = [], "", 0
    while True:
        r = await gw.get("/api/ledger/fills", params={"page_size": "1", "page_token": token})
        assert r.status_code == 200, r.text
        body = r.json()
        assert len(body["items"]) == 1
        seen.append(body["items"][0])
        pages += 1
        token = body["nextPageToken"]
        if not token:
            break
        assert pages < 5
    assert sorted(f["fillId"] for f in seen) == ["f-a", "f-b", "f-c"]
    assert len({f["sequence"] for f in seen}) == 3

    r = await gw.get("/api/ledger/audit-trail", params={"pageSize": "10"})
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    assert [i["sequence"] for i in items] == ["1", "2", "3", "4"]
    assert [i["entryId"] for i in items] == ["fund-1", "f-a", "f-b", "f-c"]
    assert items[0]["prevHash"] == "0" * 64
    for before, after in zip(items, items[1:], strict=False):
        assert after["prevHash"] == before["hash"]
    assert "event" in items[0] and "fill" in items[1]

    r = await gw.get("/api/ledger/verify")
    assert r.status_code == 200 and r.json()["ok"] is True, r.text


async def test_a_second_user_sees_none_of_the_first_users_rows(gw):
    await record_all(gw, "alice")
    r = await gw.get("/api/ledger/fills", "bob")
    assert r.status_code == 200 and r.json()["items"] == []
    r = await gw.get("/api/ledger/audit-trail", "bob")
    assert r.json()["items"] == []
    r = await gw.get("/api/portfolio/summary", "bob")
    assert D(r.json()["equity"]) == 0 and r.json()["trades"] == "0"
    r = await gw.get("/api/profits?period=daily", "bob")
    assert r.json()["buckets"] == []


async def test_recording_a_fill_again_returns_the_original(gw):
    await record_all(gw)
    r = await gw.post("/api/ledger/fills", FILLS[1])
    assert r.status_code == 200 and r.json()["replayed"] is True
    assert D(r.json()["fill"]["netPnl"]) == D("106.07")
    changed = {**FILLS[1], "price": "531"}
    body = assert_error_body(await gw.post("/api/ledger/fills", changed), 409)
    assert body["code"] == 6  # ALREADY_EXISTS


async def test_no_token_or_a_bad_token_is_401(gw):
    body = assert_error_body(await gw.get("/api/portfolio/summary", None), 401)
    assert body["code"] == 16
    r = await gw.get("/api/portfolio/summary", None, headers={"Authorization": "Bearer nope"})
    assert_error_body(r, 401)
    r = await gw.post("/api/ledger/fills", FILLS[0], None)
    assert_error_body(r, 401)
