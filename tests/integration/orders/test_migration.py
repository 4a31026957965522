"""Migrations 2 to 5 add the live orders' lease columns, gate C's index, the markets table and
the limiter's day counts to an older database; 6 drops the per-bot slot index."""

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


def test_the_per_bot_slot_index_is_dropped_from_an_older_database(fresh_db):
    def with_the_index(conn: Connection) -> None:
        _v1_as_it_was(conn)
        conn.exec_driver_sql(
            "CREATE INDEX orders_user_bot_limit ON orders (user_id, bot_id, limit_at)"
        )

    fresh_db.migrate([with_the_index])
    with fresh_db.read() as conn:
        assert "orders_user_bot_limit" in {i["name"] for i in inspect(conn).get_indexes("orders")}
    fresh_db.migrate(MIGRATIONS)
    with fresh_db.read() as conn:
        names = {i["name"] for i in inspect(conn).get_indexes("orders")}
    assert "orders_user_bot_limit" not in names
    assert "orders_user_exchange_limit" not in names  # (_v1_as_it_was made none; nor did 2-6)


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


def test_the_limiter_day_counts_are_counted_from_the_orders_of_an_older_database(fresh_db):
    from datetime import UTC, datetime, timedelta
    from decimal import Decimal

    from services.orders import store
    from services.orders.domain.limiter import Limits
    from services.orders.schema import limiter_days

    def before_v5(conn: Connection) -> None:
        old = MetaData()
        Table(orders.name, old, *[c._copy() for c in orders.columns])
        old.create_all(conn)

    fresh_db.migrate([before_v5, *MIGRATIONS[1:4]])
    day = datetime(2026, 3, 10, tzinfo=UTC)
    base = {"idempotency_key": "k", "fingerprint": "f", "exchange": "binance",
            "symbol": "BTC/USDT", "side": "BUY", "type": "LIMIT", "amount": Decimal(1),
            "price": Decimal(1), "expected_edge_bps": Decimal(0), "reduce_only": False,
            "mode": "PAPER", "state": "ACCEPTED", "filled_amount": Decimal(0), "done": True,
            "created_at": day, "updated_at": day}  # fmt: skip
    slots = [  # (user, bot, limit_at): None is an order that holds no slot (refused, given back)
        ("u", "a", day + timedelta(hours=23, minutes=59, seconds=59)),  # the 10th, late
        ("u", "a", day + timedelta(days=1)),  # midnight: the 11th
        ("u", "a", day + timedelta(hours=9)),
        ("u", "b", day + timedelta(hours=10)),
        ("u", "b", None),
        ("v", "c", day + timedelta(hours=11)),
        ("v", "c", day - timedelta(seconds=1)),  # the 9th
    ]
    with fresh_db.write() as conn:
        conn.execute(
            orders.insert(),
            [{**base, "id": f"o{i}", "user_id": u, "bot_id": b, "limit_at": at}
             for i, (u, b, at) in enumerate(slots)],
        )  # fmt: skip
    fresh_db.migrate(MIGRATIONS)  # 5: the day counts, from the orders' slots
    nine, ten, eleven = day - timedelta(days=1), day, day + timedelta(days=1)
    with fresh_db.read() as conn:
        rows = {(r.user_id, r.day, r.bot_id): r.used for r in conn.execute(select(limiter_days))}
        assert rows == {
            ("u", ten, ""): 3, ("u", ten, "a"): 2, ("u", ten, "b"): 1,
            ("u", eleven, ""): 1, ("u", eleven, "a"): 1,
            ("v", ten, ""): 1, ("v", ten, "c"): 1,
            ("v", nine, ""): 1, ("v", nine, "c"): 1,
        }  # fmt: skip
        assert store.day_counts(conn, "u", ten + timedelta(hours=15)) == {"": 3, "a": 2, "b": 1}
        limits = Limits(per_bot_daily=50, per_user_daily=500, burst_orders=10,
                        burst_window_seconds=10)  # fmt: skip
        # at 00:00:05 on the 11th: one slot that day; the window (10 s) holds 23:59:59 and 00:00
        usage = store.limiter_usage(
            conn, "u", "a", "binance", eleven + timedelta(seconds=5), limits
        )
        assert (usage.bot_today, usage.user_today, usage.burst_in_window) == (1, 1, 2)
    fresh_db.migrate(MIGRATIONS)  # nothing left to do
