"""Migrations 2 and 3 add the live orders' lease columns and gate C's index to an older database."""

from __future__ import annotations

from sqlalchemy import Connection, MetaData, Table, inspect, select

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


def test_gate_c_index_is_added_to_an_older_database(fresh_db):
    fresh_db.migrate([_v1_as_it_was])
    fresh_db.migrate(MIGRATIONS)  # 2 and 3
    with fresh_db.read() as conn:
        names = {i["name"] for i in inspect(conn).get_indexes("orders")}
    assert "orders_user_limit" in names
