"""The database refuses changes to entries; Verify finds changes made behind its back."""

from __future__ import annotations

import pytest
import sqlalchemy
from sqlalchemy import text

from tests.integration.ledger.helpers import (
    BUY,
    FUNDING,
    SELL,
    event,
    fill,
    record,
    record_event,
    summary,
    verify,
)


def _rows(db) -> list[tuple]:
    with db.engine.connect() as conn:
        q = text("SELECT sequence, entry_id, amount, price, hash FROM entries ORDER BY sequence")
        return [tuple(str(v) for v in r) for r in conn.execute(q)]


def _execute(db, sql: str, **params) -> None:
    with db.engine.begin() as conn:
        conn.execute(text(sql), params)


async def _three_entries(ledger, user: str):
    md = ledger.user(user)
    await record_event(ledger, md, event("dep", FUNDING, "1000"))  # sequence 1
    await record(
        ledger,
        md,
        fill("buy", BUY, "2", "100"),  # sequence 2
        fill("sell", SELL, "2", "110"),  # sequence 3: realizes 2 * 10 = 20
    )
    return md


async def test_raw_sql_cannot_update_delete_or_truncate(ledger, dialect):
    md = await _three_entries(ledger, "immutable")
    before = _rows(ledger.db)
    assert [r[1] for r in before] == ["dep", "buy", "sell"]
    statements = [
        "UPDATE entries SET amount = 999",
        "UPDATE entries SET amount = 3 WHERE sequence = 2",
        "UPDATE entries SET hash = 'x' WHERE sequence = 3",
        "DELETE FROM entries",
        "DELETE FROM entries WHERE sequence = 3",
    ]
    if dialect == "postgresql":
        statements.append("TRUNCATE entries")
    for sql in statements:
        with pytest.raises(sqlalchemy.exc.DBAPIError, match="append-only"):
            _execute(ledger.db, sql)
    assert _rows(ledger.db) == before
    assert (await verify(ledger, md)).ok
    assert (await summary(ledger, md)).equity == "1020"


def _drop_triggers(db) -> None:
    """What an intruder with table rights could do; on this test's own schema or file."""
    if db.dialect == "postgresql":
        _execute(db, "DROP TRIGGER entries_no_update_delete ON entries")
    else:
        _execute(db, "DROP TRIGGER entries_no_update")
        _execute(db, "DROP TRIGGER entries_no_delete")


@pytest.mark.parametrize(
    ("tamper", "at"),
    [
        ("UPDATE entries SET amount = '3' WHERE user_id = :u AND sequence = 2", "sequence 2"),
        ("UPDATE entries SET amount = '-2' WHERE user_id = :u AND sequence = 2", "sequence 2"),
        ("UPDATE entries SET price = '120' WHERE user_id = :u AND sequence = 3", "sequence 3"),
        ("UPDATE entries SET hash = :fake WHERE user_id = :u AND sequence = 2", "sequence 2"),
        ("DELETE FROM entries WHERE user_id = :u AND sequence = 2", "sequence 3"),
    ],
    ids=["amount", "negative-amount", "price", "hash", "delete"],
)
async def test_verify_detects_tampering(ledger, tamper, at):
    md = await _three_entries(ledger, "victim")
    other = ledger.user("bystander")
    await record_event(ledger, other, event("dep", FUNDING, "5"))
    assert (await verify(ledger, md)).ok

    _drop_triggers(ledger.db)
    _execute(ledger.db, tamper, u="victim", fake="f" * 64)

    v = await verify(ledger, md)
    assert not v.ok
    assert any(p.startswith(f"{at}:") or f" {at}" in p for p in v.problems), v.problems
    # the other user's chain is untouched
    assert (await verify(ledger, other)).ok
