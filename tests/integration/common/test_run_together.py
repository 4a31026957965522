"""db.run_together: statements run one after the other in the caller's transaction (sent
together in psycopg's pipeline mode on PostgreSQL, one by one on SQLite), with the columns'
types applied to their values, and failures raised as SQLAlchemy's errors."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import Column, MetaData, String, Table, bindparam, func, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError, StatementError

from services.common.db import Database, Money, UtcDateTime, run_together

meta = MetaData()
t = Table(
    "t",
    meta,
    Column("k", String(20), primary_key=True),
    Column("amount", Money),
    Column("at", UtcDateTime),
)
INSERT = t.insert()
COUNT = select(func.count()).select_from(t).where(t.c.k.like(bindparam("prefix")))
SUM_OF = select(t.c.amount, t.c.at).where(t.c.k == bindparam("k"))


def _migrated(db: Database) -> Database:
    db.migrate([meta.create_all])
    return db


def _count(db: Database) -> int:
    with db.read() as conn:
        return conn.execute(select(func.count()).select_from(t)).scalar_one()


def test_each_statement_sees_the_ones_before_and_commit_keeps_them(fresh_db):
    db = _migrated(fresh_db)
    at = datetime(2026, 12, 1, 9, 30, tzinfo=timezone(timedelta(hours=2)))  # 07:30 UTC
    with db.write() as conn:
        out = run_together(
            conn,
            [
                (INSERT, {"k": "a1", "amount": Decimal("0.10"), "at": at}),
                (INSERT, {"k": "a2", "amount": Decimal("2.5"), "at": at}),
                (COUNT, {"prefix": "a%"}),
            ],
            commit=True,
        )
    assert out == [[], [], [(2,)]]  # the count ran after both inserts
    assert out[2][0][0] == 2
    assert _count(db) == 2
    with db.read() as conn:  # the values went through Money and UtcDateTime
        amount, stored_at = conn.execute(SUM_OF, {"k": "a1"}).one()
    assert amount == Decimal("0.10")
    assert stored_at == datetime(2026, 12, 1, 7, 30, tzinfo=UTC)


def test_without_commit_they_belong_to_the_callers_transaction(fresh_db):
    db = _migrated(fresh_db)
    with pytest.raises(RuntimeError), db.write() as conn:
        run_together(conn, [(INSERT, {"k": "b1", "amount": Decimal(1), "at": None})])
        assert conn.execute(COUNT, {"prefix": "b%"}).scalar_one() == 1  # same transaction
        raise RuntimeError("the caller fails: everything is rolled back")
    assert _count(db) == 0


def test_a_failing_statement_raises_sqlalchemys_error_and_keeps_nothing(fresh_db):
    db = _migrated(fresh_db)
    with db.write() as conn:
        conn.execute(INSERT, {"k": "c1", "amount": Decimal(1), "at": None})
    with pytest.raises(IntegrityError), db.write() as conn:
        run_together(
            conn,
            [
                (INSERT, {"k": "c2", "amount": Decimal(2), "at": None}),
                (INSERT, {"k": "c1", "amount": Decimal(3), "at": None}),  # the key is taken
            ],
            commit=True,
        )
    with db.read() as conn:
        assert [r.k for r in conn.execute(select(t.c.k))] == ["c1"]
    with db.write() as conn:  # the pool's connections still work
        run_together(conn, [(INSERT, {"k": "c3", "amount": Decimal(4), "at": None})])
    assert _count(db) == 2


def test_bad_values_are_refused_before_anything_is_sent(fresh_db):
    db = _migrated(fresh_db)
    with pytest.raises(StatementError, match="Money takes Decimal"), db.write() as conn:
        run_together(conn, [(INSERT, {"k": "d1", "amount": 0.1, "at": None})])
    with pytest.raises(StatementError, match="naive datetime"), db.write() as conn:
        run_together(conn, [(INSERT, {"k": "d2", "amount": None, "at": datetime(2026, 1, 1)})])
    assert _count(db) == 0


def test_a_missing_value_is_refused(fresh_db):
    db = _migrated(fresh_db)
    with pytest.raises(StatementError, match="prefix"), db.write() as conn:
        run_together(conn, [(COUNT, {})])
    with db.write() as conn:
        assert run_together(conn, [(text("SELECT 1"), {})]) == [[(1,)]]


IN_KEYS = select(t.c.k, t.c.amount, t.c.at).where(t.c.k.in_(bindparam("ks", expanding=True)))


def test_rows_by_name_with_the_columns_types_and_in_lists_of_any_length(fresh_db):
    db = _migrated(fresh_db)
    at = datetime(2026, 12, 1, 23, 0, tzinfo=timezone(timedelta(hours=-5)))  # 04:00 UTC
    with db.write() as conn:
        run_together(
            conn,
            [(INSERT, {"k": f"f{i}", "amount": Decimal(i) / 4, "at": at}) for i in range(3)],
        )
        one, two = run_together(
            conn, [(IN_KEYS.order_by(t.c.k), {"ks": ["f1"]}), (IN_KEYS, {"ks": ["f0", "f2", "x"]})]
        )
    assert [(r.k, r.amount) for r in one] == [("f1", Decimal("0.25"))]
    assert one[0].at == datetime(2026, 12, 2, 4, 0, tzinfo=UTC) and one[0].at.tzinfo == UTC
    assert sorted((r.k, r.amount) for r in two) == [("f0", Decimal(0)), ("f2", Decimal("0.5"))]


def test_read_together_reads_one_snapshot(fresh_db):
    db = _migrated(fresh_db)
    with db.write() as conn:
        conn.execute(INSERT, {"k": "g1", "amount": Decimal(1), "at": None})
    counts = [(COUNT, {"prefix": "g%"}), (select(func.pg_sleep(0.3)) if db.dialect ==
              "postgresql" else text("SELECT 1"), {}), (COUNT, {"prefix": "g%"})]  # fmt: skip

    import threading

    def write_meanwhile():
        time.sleep(0.1)
        with db.write() as conn:
            conn.execute(INSERT, {"k": "g2", "amount": Decimal(2), "at": None})

    writer = threading.Thread(target=write_meanwhile)
    writer.start()
    first, _, last = db.read_together(counts)
    writer.join()
    assert first[0][0] == last[0][0]  # the insert committed between them is not seen
    assert db.read_together([(COUNT, {"prefix": "g%"})])[0][0][0] == 2
    with pytest.raises(DBAPIError):  # a failing read leaves the pool's connections working
        db.read_together([(text("SELECT * FROM no_such_table"), {})])
    assert db.read_together([(text("SELECT 5"), {})]) == [[(5,)]]


def test_a_lost_connection_is_reported_and_replaced(fresh_db):
    db = _migrated(fresh_db)
    if db.dialect != "postgresql":
        pytest.skip("SQLite has no connection to lose")
    with pytest.raises(DBAPIError) as caught, db.write() as conn:
        pid = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
        with db.engine.connect() as other:
            other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        run_together(conn, [(INSERT, {"k": "e1", "amount": Decimal(1), "at": None})])
    assert caught.value.connection_invalidated  # so the services answer UNAVAILABLE
    with db.write() as conn:  # the pool gives a new connection
        run_together(conn, [(INSERT, {"k": "e2", "amount": Decimal(1), "at": None})])
    assert _count(db) == 1


def test_write_starting_is_one_transaction_from_its_first_statements_to_the_end(fresh_db):
    db = _migrated(fresh_db)
    first = [(INSERT, {"k": "h1", "amount": Decimal(1), "at": None}), (COUNT, {"prefix": "h%"})]
    with pytest.raises(RuntimeError), db.write_starting(first) as (conn, results):
        assert results[1][0][0] == 1
        conn.execute(INSERT, {"k": "h2", "amount": Decimal(2), "at": None})
        with db.read() as other:  # nothing is visible before the block ends
            assert other.execute(COUNT, {"prefix": "h%"}).scalar_one() == 0
        raise RuntimeError("rolls back the steps and the rest")
    assert _count(db) == 0
    with db.write_starting(first) as (conn, results):
        conn.execute(INSERT, {"k": "h2", "amount": Decimal(2), "at": None})
    assert _count(db) == 2
    for _ in range(3):  # the pool's connections are back to ordinary transactions
        with pytest.raises(RuntimeError), db.write() as conn:
            conn.execute(INSERT, {"k": "h3", "amount": Decimal(3), "at": None})
            raise RuntimeError("rolled back")
    assert _count(db) == 2


def test_no_statements_send_nothing(fresh_db, monkeypatch):
    db = _migrated(fresh_db)
    with db.write() as conn:
        if db.dialect == "postgresql":  # a batch, even an empty one, goes by a pipeline
            raw = conn.connection.driver_connection

            def no_pipeline():
                raise AssertionError("an empty batch opened a pipeline (a round trip)")

            monkeypatch.setattr(raw, "pipeline", no_pipeline)
        assert run_together(conn, []) == []


@pytest.mark.parametrize("dialect", ["postgresql"])
def test_a_statement_marked_prepare_false_is_never_prepared(fresh_db):
    """The driver prepares a statement once it has run it a few times (a generic plan made
    then is kept); one marked prepare=False is planned afresh on every run, with its values."""
    db = _migrated(fresh_db)
    never = COUNT.execution_options(prepare=False)
    twin = select(func.count()).select_from(t).where(t.c.k.like(bindparam("prefix")), t.c.k != "")
    with db.write() as conn:
        for _ in range(10):
            run_together(conn, [(never, {"prefix": "a%"}), (twin, {"prefix": "a%"})])
        prepared = conn.exec_driver_sql("SELECT statement FROM pg_prepared_statements").all()
    statements = [s for (s,) in prepared]
    assert any("!=" in s for s in statements), statements  # the unmarked one: prepared
    assert not any("LIKE" in s and "!=" not in s for s in statements), statements
