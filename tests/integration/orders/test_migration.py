"""Migration 2 adds the live orders' lease columns to a database made before them."""

from __future__ import annotations

from sqlalchemy import Connection, MetaData, Table, select

from services.orders.schema import _V2_COLUMNS, MIGRATIONS, orders


def _v1_as_it_was(conn: Connection) -> None:
    old = MetaData()
    Table("orders", old, *[c._copy() for c in orders.columns if c.name not in _V2_COLUMNS])
    old.create_all(conn)


def test_the_lease_columns_are_added_to_an_older_database(fresh_db):
    fresh_db.migrate([_v1_as_it_was])
    fresh_db.migrate(MIGRATIONS)  # applies 2 only: 1 is recorded as done
    with fresh_db.read() as conn:
        conn.execute(select(orders.c.lease_owner, orders.c.last_attempt_at)).all()
    fresh_db.migrate(MIGRATIONS)  # nothing left to do
