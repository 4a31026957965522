"""Paging the fills (newest first) and the audit trail (in sequence), and filters."""

from __future__ import annotations

import base64
import json

import grpc
import pytest

from amarktai.ledger.v1 import ledger_pb2 as pb
from tests.integration.ledger.helpers import (
    BUY,
    FUNDING,
    GENESIS_HASH,
    SELL,
    event,
    fill,
    record,
    record_event,
    ts,
    utc,
    violations,
)


async def _five_fills(ledger, md):
    await record(
        ledger,
        md,
        fill("f1", BUY, "1", "100", at=utc(2026, 3, 1), bot_id="b1"),
        fill("f2", BUY, "1", "100", at=utc(2026, 3, 2), symbol="ETH/USDT"),
        fill("f3", SELL, "1", "100", at=utc(2026, 3, 3), bot_id="b1"),
        fill("f4", BUY, "1", "100", at=utc(2026, 3, 4)),
        fill("f5", SELL, "1", "100", at=utc(2026, 3, 5), symbol="ETH/USDT"),
    )


async def test_list_fills_pages_newest_first(ledger):
    md = ledger.user("pager")
    await _five_fills(ledger, md)
    pages, token = [], ""
    while True:
        resp = await ledger.stub.ListFills(
            pb.ListFillsRequest(page_size=2, page_token=token), metadata=md
        )
        pages.append([f.fill_id for f in resp.items])
        token = resp.next_page_token
        if not token:
            break
    assert pages == [["f5", "f4"], ["f3", "f2"], ["f1"]]


async def test_list_fills_filters(ledger):
    md = ledger.user("filters")
    await _five_fills(ledger, md)

    async def ids(**kw):
        resp = await ledger.stub.ListFills(pb.ListFillsRequest(**kw), metadata=md)
        return [f.fill_id for f in resp.items]

    assert await ids(bot_id="b1") == ["f3", "f1"]
    assert await ids(symbol="ETH/USDT") == ["f5", "f2"]
    assert await ids(symbol="eth/usdt") == ["f5", "f2"]
    # since is inclusive, until exclusive
    assert await ids(since=ts(utc(2026, 3, 2)), until=ts(utc(2026, 3, 4))) == ["f3", "f2"]
    assert await ids(symbol="ETH/USDT", page_size=1) == ["f5"]


async def test_audit_trail_pages_in_sequence_with_a_chain(ledger):
    md = ledger.user("auditor")
    await record_event(ledger, md, event("e0", FUNDING, "100"))
    await _five_fills(ledger, md)  # 6 entries in all
    items, token, pages = [], "", 0
    while True:
        resp = await ledger.stub.GetAuditTrail(
            pb.GetAuditTrailRequest(page_size=2, page_token=token), metadata=md
        )
        items.extend(resp.items)
        pages += 1
        token = resp.next_page_token
        if not token:
            break
    assert pages == 3  # 2 + 2 + 2: the last full page has no token after it
    assert [i.sequence for i in items] == [1, 2, 3, 4, 5, 6]
    assert [i.entry_id for i in items] == ["e0", "f1", "f2", "f3", "f4", "f5"]
    assert items[0].WhichOneof("entry") == "event" and items[1].WhichOneof("entry") == "fill"
    # each entry links to the one before
    assert items[0].prev_hash == GENESIS_HASH
    assert all(b.prev_hash == a.hash for a, b in zip(items, items[1:], strict=False))
    assert len({i.hash for i in items}) == 6


@pytest.mark.parametrize(
    "token",
    [
        "garbage",
        "%%%",
        base64.urlsafe_b64encode(b"[1, 2]").decode(),
        base64.urlsafe_b64encode(json.dumps({"s": -1}).encode()).decode(),
        base64.urlsafe_b64encode(json.dumps({"s": "3"}).encode()).decode(),
        base64.urlsafe_b64encode(json.dumps({"s": 2**70}).encode()).decode(),  # > BIGINT
        base64.urlsafe_b64encode(json.dumps({"s": True}).encode()).decode(),
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
    ],
)
async def test_garbage_page_token_is_invalid(ledger, token):
    md = ledger.user("tokens")
    await _five_fills(ledger, md)
    for call in (
        ledger.stub.ListFills(pb.ListFillsRequest(page_token=token), metadata=md),
        ledger.stub.GetAuditTrail(pb.GetAuditTrailRequest(page_token=token), metadata=md),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await call
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert violations(err.value) == ["page_token"]
