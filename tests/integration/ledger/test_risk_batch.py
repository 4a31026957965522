"""GetRiskMetricsBatch: several users' GetRiskMetrics in one call, each item answered as its
own call would be (include_account honoured per item) or with its own error."""

from __future__ import annotations

import grpc
import pytest

from amarktai.ledger.v1 import ledger_pb2 as pb
from tests.integration.ledger.helpers import (
    BUY,
    FUNDING,
    SELL,
    event,
    fill,
    item_error,
    reason,
    record_event,
    risk_item,
    utc,
)

PAPER = pb.FILL_SOURCE_PAPER
T = utc(2026, 3, 10, 9)


def _f(fill_id, side, amount, price, fee="0", **kw):
    return pb.RecordFillRequest(fill=fill(fill_id, side, amount, price, fee, source=PAPER, at=T,
                                          **kw))  # fmt: skip


async def _history(h):
    """alice: 1000 USDT and 100 EUR; bot b1 loses 50 on BTC, is reset, keeps 5 BTC; bot b2
    holds 2 ETH; 1 BTC bought in EUR. bob: 500 USDT, 1 BTC of no bot."""
    a = h.service_for("alice")
    await record_event(h, a, event("a-fund", FUNDING, "1000", at=T))
    await record_event(h, a, event("a-eur", FUNDING, "100", currency="EUR", at=T))
    for req in (
        _f("a1", BUY, "10", "100", bot_id="b1"),
        _f("a2", SELL, "5", "90", bot_id="b1"),
        _f("a3", BUY, "2", "50", "0.1", bot_id="b2", symbol="ETH/USDT"),
        _f("a4", BUY, "1", "60", symbol="BTC/EUR"),
    ):
        await h.stub.RecordFill(req, metadata=a)
    await h.stub.ResetRiskBaseline(pb.ResetRiskBaselineRequest(bot_id="b1", reason="t"), metadata=a)
    b = h.service_for("bob")
    await record_event(h, b, event("b-fund", FUNDING, "500", at=T))
    await h.stub.RecordFill(_f("b1", BUY, "1", "100"), metadata=b)


Q = pb.GetRiskMetricsRequest
QUERIES = [
    ("alice", Q(marks=["BTC/USDT=80"])),
    ("alice", Q(bot_id="b1", marks=["BTC/USDT=80", "ETH/USDT=40"], include_account=True)),
    ("bob", Q(marks=["BTC/USDT=120"], include_account=True)),
    ("alice", Q(bot_id="b2", marks=["ETH/USDT=40"], include_account=True)),
    ("alice", Q(currency="EUR", marks=["BTC/EUR=30"], include_account=True)),
    ("carol", Q(bot_id="x", include_account=True)),  # nothing recorded
    ("alice", Q(bot_id="b1")),
]


async def test_each_item_as_its_own_call(ledger):
    await _history(ledger)
    items = [risk_item(ledger, user, req) for user, req in QUERIES]
    resp = await ledger.stub.GetRiskMetricsBatch(
        pb.GetRiskMetricsBatchRequest(items=items), metadata=ledger.service_for("orders")
    )
    got = [r.response for r in resp.results]
    assert all(r.WhichOneof("outcome") == "response" for r in resp.results)
    for (user, req), answer in zip(QUERIES, got, strict=True):
        alone = await ledger.stub.GetRiskMetrics(req, metadata=ledger.service_for(user))
        assert answer == alone, (user, req)
    # by hand. alice's account in USDT: 1000 - 50 - 0.1 fee, 5 BTC (b1) from 100 at 80: -100,
    # 2 ETH (b2) unmarked: 849.9 against the peak of 1000
    a = got[0]
    assert (a.bot_id, a.currency, a.equity, a.peak, a.drawdown) == ("", "USDT", "849.9", "1000",
                                                                    "0.1501")  # fmt: skip
    assert (a.consecutive_losses, a.baseline_sequence, a.HasField("account")) == (1, 0, False)
    # b1 since its reset (after entry 6) at -50 with 5 BTC held at 100: -50 + 5 * (80 - 100)
    b1 = got[1]
    assert (b1.bot_id, b1.equity, b1.peak, b1.drawdown, b1.consecutive_losses) == (
        "b1", "-150", "-50", "0", 0,
    )  # fmt: skip
    assert b1.baseline_sequence == 6 and b1.HasField("baseline_at")
    # its account part: ETH also marked now: 849.9 + 2 * (40 - 50) = 829.9
    assert (b1.account.bot_id, b1.account.equity) == ("", "829.9")
    # bob: 500 and 1 BTC from 100 at 120: 520, a new peak; no bot: the account both times
    assert (got[2].equity, got[2].peak, got[2].drawdown) == ("520", "520", "0")
    assert got[2].account.equity == "520" and got[2].account.bot_id == ""
    # alice in EUR: 100 and 1 BTC from 60 at 30: 70
    assert (got[4].currency, got[4].equity, got[4].drawdown) == ("EUR", "70", "0.3")
    assert (got[5].bot_id, got[5].equity, got[5].account.equity) == ("x", "0", "0")
    assert not got[6].HasField("account")


async def test_item_errors_and_the_calls_token(ledger):
    await _history(ledger)
    user_token = ledger.user("alice")[0][1].removeprefix("Bearer ")
    items = [
        risk_item(ledger, "alice", Q(currency="us$")),
        risk_item(ledger, "alice", Q(marks=["BTC/USDT"])),
        risk_item(ledger, "alice", Q(bot_id="bad bot")),
        risk_item(ledger, "alice", Q(), token=user_token),
        risk_item(ledger, "alice", Q(), token="expired-or-not-a-jwt"),
        risk_item(ledger, "bob", Q(include_account=True)),
    ]
    md = ledger.service_for("orders")
    resp = await ledger.stub.GetRiskMetricsBatch(
        pb.GetRiskMetricsBatchRequest(items=items), metadata=md
    )
    r = resp.results
    assert item_error(r[0])[::2] == ("INVALID_ARGUMENT", ["items[0].request.currency"])
    assert item_error(r[1])[::2] == ("INVALID_ARGUMENT", ["items[1].request.marks"])
    assert item_error(r[2])[::2] == ("INVALID_ARGUMENT", ["items[2].request.bot_id"])
    assert item_error(r[3])[:2] == ("PERMISSION_DENIED", "SERVICE_TOKEN_REQUIRED")
    assert item_error(r[4])[0] == "UNAUTHENTICATED"
    # bob: 500 and 1 BTC unmarked, his figures all the same
    assert (r[5].response.equity, r[5].response.account.equity) == ("500", "500")

    with pytest.raises(grpc.aio.AioRpcError) as err:
        await ledger.stub.GetRiskMetricsBatch(
            pb.GetRiskMetricsBatchRequest(items=items[5:]), metadata=ledger.user("bob")
        )
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert reason(err.value) == "SERVICE_TOKEN_REQUIRED"
    for n in (0, 1001):
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await ledger.stub.GetRiskMetricsBatch(
                pb.GetRiskMetricsBatchRequest(items=items[5:] * n), metadata=md
            )
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert "items" in err.value.details()
