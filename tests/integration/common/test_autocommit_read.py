"""Database.autocommit_read and single_write: statements without a transaction of their own on
PostgreSQL (each its own snapshot, no BEGIN/COMMIT round trips); on SQLite a read transaction
as read(), a write transaction as write()."""

from __future__ import annotations

from sqlalchemy import text

from services.common.db import Database

# Each statement's transaction start: the same within a transaction, new for each statement
# outside one (PostgreSQL's clock has microseconds; a round trip between two takes longer).
STARTED = text("SELECT CAST(transaction_timestamp() AS TEXT)")


def _migrated(db: Database) -> Database:
    db.migrate([lambda conn: conn.execute(text("CREATE TABLE t (x INTEGER)"))])
    return db


def test_each_statement_is_its_own_transaction_and_sees_the_latest_commit(fresh_db):
    db = _migrated(fresh_db)
    with db.write() as conn:
        conn.execute(text("INSERT INTO t (x) VALUES (1)"))
    with db.autocommit_read() as conn:
        assert conn.execute(text("SELECT count(*) FROM t")).scalar() == 1
        if db.dialect == "postgresql":
            first = conn.execute(STARTED).scalar()
            with db.write() as other:  # committed between two statements of this read
                other.execute(text("INSERT INTO t (x) VALUES (2)"))
            assert conn.execute(STARTED).scalar() != first
            assert conn.execute(text("SELECT count(*) FROM t")).scalar() == 2
    with db.read() as conn:  # a read transaction, for comparison: one start for all
        if db.dialect == "postgresql":
            assert conn.execute(STARTED).scalar() == conn.execute(STARTED).scalar()


def test_a_pooled_connection_goes_back_to_transactions_after_it(fresh_db):
    db = _migrated(fresh_db)
    for _ in range(3):  # the pool hands the same connections out again
        with db.autocommit_read() as conn:
            conn.execute(text("SELECT 1"))
    try:
        with db.write() as conn:
            conn.execute(text("INSERT INTO t (x) VALUES (3)"))
            raise RuntimeError("roll back")
    except RuntimeError:
        pass
    with db.read() as conn:
        assert conn.execute(text("SELECT count(*) FROM t")).scalar() == 0


def test_single_write_commits_its_statement_by_itself(fresh_db):
    db = _migrated(fresh_db)
    with db.single_write() as conn:
        conn.execute(text("INSERT INTO t (x) VALUES (7)"))
        with db.read() as other:  # already committed, before the block ends
            assert other.execute(text("SELECT count(*) FROM t WHERE x = 7")).scalar() == (
                1 if db.dialect == "postgresql" else 0
            )
    with db.read() as conn:
        assert conn.execute(text("SELECT count(*) FROM t WHERE x = 7")).scalar() == 1
