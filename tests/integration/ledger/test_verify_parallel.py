"""Verify of a large ledger on PostgreSQL: the chain in a second process, in the same snapshot.

The threshold is lowered so that a small ledger takes that path; its findings must be exactly
those of the one-process pass, for an intact ledger and for tampered ones.
"""

from __future__ import annotations

import pytest
from sqlalchemy import text

from services.ledger import verify as verify_module
from tests.integration.ledger.helpers import BUY, FUNDING, SELL, event, fill, record, record_event


@pytest.fixture
def postgres_only(dialect):
    if dialect != "postgresql":
        pytest.skip("the second process shares a PostgreSQL snapshot; SQLite verifies in one")


async def _entries(ledger, user: str) -> None:
    md = ledger.user(user)
    await record_event(ledger, md, event("dep", FUNDING, "1000"))
    await record(
        ledger,
        md,
        fill("b1", BUY, "2", "100"),
        fill("s1", SELL, "1", "110"),  # realizes (110 - 100) * 1 = 10
        fill("s2", SELL, "3", "90"),  # closes 1 at 90 (-10), opens a short of 2
        fill("b2", BUY, "2", "95"),  # covers the short at 95: (90 - 95) * 2 = -10
    )


def _both_ways(ledger, user: str, monkeypatch) -> tuple:
    monkeypatch.setattr(verify_module, "PARALLEL_FROM", 10**9)
    one = ledger.service.verify(user)
    monkeypatch.setattr(verify_module, "PARALLEL_FROM", 1)
    two = ledger.service.verify(user)
    return one, two


def _tamper(db, sql: str, **params) -> None:
    with db.engine.begin() as conn:
        conn.execute(text("DROP TRIGGER IF EXISTS entries_no_update_delete ON entries"))
        conn.execute(text(sql), params)


async def test_an_intact_ledger_verifies_the_same_in_two_processes(
    ledger, postgres_only, monkeypatch
):
    await _entries(ledger, "big")
    one, two = _both_ways(ledger, "big", monkeypatch)
    assert one == two == (5, [])


@pytest.mark.parametrize(
    ("tamper", "expect"),
    [
        # the chain's finding (made in the second process) ...
        ("UPDATE entries SET hash = :fake WHERE user_id = :u AND sequence = 3", "hash mismatch"),
        # ... and the figures' (made in this one), at the same entry
        ("UPDATE entries SET price = 120 WHERE user_id = :u AND sequence = 3", "derived PnL"),
        ("DELETE FROM entries WHERE user_id = :u AND sequence = 2", "expected 2"),
        # an entry that can no longer be applied (and no longer hashes the same)
        ("UPDATE entries SET amount = -1 WHERE user_id = :u AND sequence = 4", "cannot be applied"),
    ],
    ids=["hash", "price", "delete", "negative-amount"],
)
async def test_tampering_is_found_the_same_in_two_processes(
    ledger, postgres_only, monkeypatch, tamper, expect
):
    await _entries(ledger, "victim")
    _tamper(ledger.db, tamper, u="victim", fake="f" * 64)
    one, two = _both_ways(ledger, "victim", monkeypatch)
    assert one == two
    count, problems = two
    assert problems and any(expect in p for p in problems), problems
