"""Migrations 2 to 4 add the live orders' lease columns, gate C's index and the markets table to an
older database."""

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


def test_markets_are_filled_from_the_fills_of_an_older_database(fresh_db):
    from datetime import UTC, datetime
    from decimal import Decimal

    from services.orders import store
    from services.orders.schema import fills, markets

    def before_v4(conn: Connection) -> None:
        old = MetaData()
        for t in (orders, fills):
            Table(t.name, old, *[c._copy() for c in t.columns])
        old.create_all(conn)

    fresh_db.migrate([before_v4, MIGRATIONS[1], MIGRATIONS[2]])
    now = datetime(2026, 3, 10, tzinfo=UTC)
    row = {"order_id": "o", "bot_id": "b", "side": "BUY", "amount": Decimal(1),
           "price": Decimal(1), "fee": Decimal(0), "fee_currency": "USDT", "trade_id": "",
           "source": "PAPER", "executed_at": now}  # fmt: skip
    with fresh_db.write() as conn:
        conn.execute(
            fills.insert(),
            [
                {
                    **row,
                    "fill_id": "1",
                    "user_id": "u",
                    "exchange": "binance",
                    "symbol": "BTC/USDT",
                },
                {
                    **row,
                    "fill_id": "2",
                    "user_id": "u",
                    "exchange": "binance",
                    "symbol": "BTC/USDT",
                },
                {**row, "fill_id": "3", "user_id": "u", "exchange": "kraken", "symbol": "ETH/EUR"},
                {
                    **row,
                    "fill_id": "4",
                    "user_id": "v",
                    "exchange": "binance",
                    "symbol": "ETH/USDT",
                },
            ],
        )
    fresh_db.migrate(MIGRATIONS)  # 4: the markets table, from the fills
    with fresh_db.read() as conn:
        assert len(conn.execute(select(markets)).all()) == 3
        assert [tuple(r) for r in store.traded_markets(conn, "u", "USDT")] == [
            ("binance", "BTC/USDT")
        ]
        assert store.traded_quotes(conn, "u") == ["EUR", "USDT"]
        assert [tuple(r) for r in store.traded_markets(conn, "v", "USDT")] == [
            ("binance", "ETH/USDT")
        ]
