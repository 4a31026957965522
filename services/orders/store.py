"""Queries of the orders tables. Every function takes the connection of a unit of work."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal, localcontext

from sqlalchemy import (
    Column,
    Connection,
    Row,
    Table,
    TextClause,
    and_,
    bindparam,
    func,
    literal,
    or_,
    select,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite

from services.common.db import RowsInsert
from services.orders.domain.limiter import Limits, Usage, day_start, window_start
from services.orders.schema import (
    fills,
    idempotency_claims,
    limiter_days,
    limiter_locks,
    markets,
    orders,
)

BURST_TIMES = 50  # how many of the window's oldest times gate C reads for its retry time


def insert(conn: Connection, table):
    return (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(table)


def for_update(conn: Connection, q):
    """Row locks on PostgreSQL; SQLite's BEGIN IMMEDIATE already serialises writers."""
    return q.with_for_update() if conn.dialect.name == "postgresql" else q


def insert_on_conflict(
    table: Table,
    conflict: Sequence[str],
    update: str = "",
    returning: Sequence[Column] = (),
    columns: Sequence[str] | None = None,
) -> TextClause:
    """INSERT ... ON CONFLICT as a statement made once. SQLAlchemy 2.0 keeps no compiled form
    of its dialect-specific ``on_conflict_*`` inserts (they have no cache key), so each one was
    compiled again on every execution; this SQL is the same on PostgreSQL and SQLite (3.35 and
    later), and the columns' types still convert the values both ways."""
    names = list(columns or [c.name for c in table.columns])
    sql = (
        f"INSERT INTO {table.name} ({', '.join(names)}) "
        f"VALUES ({', '.join(':' + n for n in names)}) "
        f"ON CONFLICT ({', '.join(conflict)}) "
        + (f"DO UPDATE SET {update}" if update else "DO NOTHING")
    )
    if returning:
        sql += " RETURNING " + ", ".join(c.name for c in returning)
    q = text(sql).bindparams(*(bindparam(n, type_=table.c[n].type) for n in names))
    return q.columns(*returning) if returning else q


_INSERT_FILL = insert_on_conflict(fills, ["fill_id"], returning=list(fills.c))
_ADD_MARKET = insert_on_conflict(markets, ["user_id", "quote", "exchange", "symbol"])
_GET_ORDER = select(orders).where(orders.c.id == bindparam("w_id"))
_GET_USER_ORDER = _GET_ORDER.where(orders.c.user_id == bindparam("w_user_id"))
_UPDATE_RETURNING = orders.update().where(orders.c.id == bindparam("w_id")).returning(*orders.c)
_FILLED = _UPDATE_RETURNING.values(
    {c: bindparam(c, type_=orders.c[c].type)
     for c in ("filled_amount", "average_price", "state", "done", "updated_at")}
)  # fmt: skip


# --- gate A: idempotency claims -----------------------------------------------------------


def find_claim(conn: Connection, user_id: str, key: str, now: datetime) -> Row | None:
    q = select(idempotency_claims).where(
        idempotency_claims.c.user_id == user_id,
        idempotency_claims.c.idempotency_key == key,
        idempotency_claims.c.expires_at > now,
    )
    return conn.execute(q).first()


def take_expired_claim(conn: Connection, user_id: str, key: str, values: dict, now) -> bool:
    """Take over the claim of a key that has expired (under the user's lock): True if taken."""
    expired = conn.execute(
        idempotency_claims.update()
        .where(
            idempotency_claims.c.user_id == user_id,
            idempotency_claims.c.idempotency_key == key,
            idempotency_claims.c.expires_at <= now,
        )
        .values(**values)
    )
    return expired.rowcount == 1


def unclaim_step(user_id: str, key: str, order_id: str) -> tuple:
    """Give back a claim this order took in this transaction (its precondition failed)."""
    return _UNCLAIM, {"user_id": user_id, "key": key, "order_id": order_id}


def usage_step(user_id: str, bot_id: str, exchange: str, now: datetime, limits: Limits) -> tuple:
    """The limiter's counts for an order (see limiter_usage), for run_together."""
    return _USAGE, _usage_params(user_id, bot_id, exchange, now, limits)


_UNCLAIM = idempotency_claims.delete().where(
    idempotency_claims.c.user_id == bindparam("user_id"),
    idempotency_claims.c.idempotency_key == bindparam("key"),
    idempotency_claims.c.order_id == bindparam("order_id"),
)


# --- orders ----------------------------------------------------------------------------------


def get_order(conn: Connection, order_id: str, user_id: str | None = None) -> Row | None:
    if user_id is None:
        return conn.execute(_GET_ORDER, {"w_id": order_id}).first()
    return conn.execute(_GET_USER_ORDER, {"w_id": order_id, "w_user_id": user_id}).first()


def lock_order(conn: Connection, order_id: str) -> Row | None:
    return conn.execute(for_update(conn, select(orders).where(orders.c.id == order_id))).first()


def update_order(
    conn: Connection, order_id: str, from_states: Sequence[str] | None = None, **values
) -> bool:
    """Update one order, only while it is in one of ``from_states`` (when given)."""
    q = orders.update().where(orders.c.id == order_id)
    if from_states is not None:
        q = q.where(orders.c.state.in_(list(from_states)))
    return conn.execute(q.values(**values)).rowcount == 1


def list_orders(
    conn: Connection,
    user_id: str,
    *,
    bot_id: str = "",
    states: Sequence[str] = (),
    before: tuple[datetime, str] | None = None,
    limit: int = 100,
) -> list[Row]:
    """Newest first; ``before`` is the (created_at, id) of the last row of the previous page."""
    q = select(orders).where(orders.c.user_id == user_id)
    if bot_id:
        q = q.where(orders.c.bot_id == bot_id)
    if states:
        q = q.where(orders.c.state.in_(list(states)))
    if before is not None:
        t, i = before
        q = q.where(or_(orders.c.created_at < t, and_(orders.c.created_at == t, orders.c.id < i)))
    q = q.order_by(orders.c.created_at.desc(), orders.c.id.desc()).limit(limit)
    return list(conn.execute(q))


def resting_paper_orders(conn: Connection, limit: int = 500) -> list[Row]:
    q = (
        select(orders)
        .where(orders.c.state == "ACCEPTED", orders.c.mode == "PAPER")
        .order_by(orders.c.created_at)
        .limit(limit)
    )
    return list(conn.execute(q))


def stale_received(conn: Connection, before: datetime, limit: int = 100) -> list[Row]:
    q = (
        select(orders)
        .where(orders.c.state == "RECEIVED", orders.c.updated_at < before)
        .limit(limit)
    )
    return list(conn.execute(q))


# --- gate C: the limiter -------------------------------------------------------------------


def limiter_usage(
    conn: Connection, user_id: str, bot_id: str, exchange: str, now: datetime, limits: Limits
) -> Usage:
    """The bot's and the user's day counts (one row each) and the burst window's count (a
    small indexed range of the user's orders on the exchange), in one statement; the window's
    oldest times only when it is full."""
    params = _usage_params(user_id, bot_id, exchange, now, limits)
    return usage_of(conn, [conn.execute(_USAGE, params).one()], user_id, exchange, now, limits)


def _usage_params(user_id: str, bot_id: str, exchange: str, now: datetime, limits: Limits):
    return {"user_id": user_id, "bot_id": bot_id, "exchange": exchange, "day": day_start(now),
            "window": window_start(now, limits)}  # fmt: skip


def usage_of(
    conn: Connection,
    rows: list,
    user_id: str,
    exchange: str,
    now: datetime,
    limits: Limits,
    extra: tuple[int, int, int] = (0, 0, 0),
) -> Usage:
    """The Usage from usage_step's rows, plus ``extra`` slots taken in this transaction since
    (the bot's, the user's, the user's on the exchange, all at ``now``): the burst window's
    oldest times are read when the window is full."""
    ((bot_today, user_today, burst),) = rows
    bot_today, user_today = int(bot_today) + extra[0], int(user_today) + extra[1]
    burst = int(burst) + extra[2]
    times: tuple[datetime, ...] = ()
    if burst >= limits.burst_orders:  # the retry time is read from them only then
        params = {"user_id": user_id, "exchange": exchange, "window": window_start(now, limits),
                  "limit": BURST_TIMES}  # fmt: skip
        times = (*conn.execute(_BURST_TIMES, params).scalars(), *(now,) * extra[2])
    return Usage(bot_today, user_today, burst, times[:BURST_TIMES])


def orders_steps(conn: Connection, rows: list[dict], taken: list[dict]) -> list:
    """The inserts of orders (``rows``: their columns; their stored rows come back, in no
    promised order) and of the limiter slots the ``taken`` ones hold, each counted in its
    user's and its bot's day (under the users' locks), for run_together."""
    batched = BATCHED[conn.dialect.name]
    return [*batched.orders.steps([full_order_row(r) for r in rows]), *batched.slot_steps(taken)]


def day_counts(conn: Connection, user_id: str, day: datetime) -> dict[str, int]:
    """The user's slots of a UTC day: ``""`` the user's count, else per bot."""
    rows = conn.execute(_DAY_COUNTS, {"user_id": user_id, "day": day_start(day)})
    return {bot_id: used for bot_id, used in rows}


def window_slots(conn: Connection, user_id: str, after: datetime) -> list[Row]:
    """(exchange, limit_at) of the user's counted orders after a time (the burst window)."""
    q = select(orders.c.exchange, orders.c.limit_at).where(
        orders.c.user_id == user_id, orders.c.limit_at > after
    )
    return list(conn.execute(q.order_by(orders.c.limit_at)))


def _p(name: str):
    return bindparam(name, type_=orders.c.limit_at.type)


def _day_used(bot_id):
    ld = limiter_days
    used = select(ld.c.used).where(
        ld.c.user_id == bindparam("user_id"), ld.c.day == _p("day"), ld.c.bot_id == bot_id
    )
    return func.coalesce(used.scalar_subquery(), 0)


_IN_WINDOW = and_(
    orders.c.user_id == bindparam("user_id"),
    orders.c.exchange == bindparam("exchange"),
    orders.c.limit_at > _p("window"),
)
_USAGE = select(
    _day_used(bindparam("bot_id")),
    _day_used(literal("")),
    select(func.count()).select_from(orders).where(_IN_WINDOW).scalar_subquery(),
)
_BURST_TIMES = (
    select(orders.c.limit_at)
    .where(_IN_WINDOW)
    .order_by(orders.c.limit_at)
    .limit(bindparam("limit"))
)
_ORDER_COLUMNS = [c.name for c in orders.columns]
_DAY_COUNTS = select(limiter_days.c.bot_id, limiter_days.c.used).where(
    limiter_days.c.user_id == bindparam("user_id"),
    limiter_days.c.day == _p("day"),
    limiter_days.c.used > 0,
)


# --- fills -----------------------------------------------------------------------------------


def fills_of(conn: Connection, order_ids: Sequence[str]) -> dict[str, list[Row]]:
    out: dict[str, list[Row]] = {i: [] for i in order_ids}
    ids = list(order_ids)
    for start in range(0, len(ids), 500):
        q = (
            select(fills)
            .where(fills.c.order_id.in_(ids[start : start + 500]))
            .order_by(fills.c.executed_at, fills.c.fill_id)
        )
        for row in conn.execute(q):
            out[row.order_id].append(row)
    return out


def fill_step(values: dict) -> tuple:
    """The insert of a fill, once by its id (its market not noted: market_step), for
    run_together: no rows when the fill was there already, else the stored row."""
    return _INSERT_FILL, values


def market_step(fill: dict) -> tuple:
    """The note of a new fill's market, for run_together."""
    symbol = fill["symbol"]
    return _ADD_MARKET, {"user_id": fill["user_id"], "quote": symbol.split("/", 1)[1],
                         "exchange": fill["exchange"], "symbol": symbol}  # fmt: skip


def filled_step(order_id: str, **values) -> tuple:
    """The update of an order's fill figures (filled_amount, average_price,
    state, done, updated_at), for run_together."""
    return _FILLED, {"w_id": order_id, **values}


def position(conn: Connection, user_id: str, bot_id: str, symbol: str) -> Decimal:
    """The bot's signed position in a symbol from this service's fills (base fees deducted)."""
    base = symbol.split("/", 1)[0]
    q = select(fills.c.side, fills.c.amount, fills.c.fee, fills.c.fee_currency).where(
        fills.c.user_id == user_id, fills.c.bot_id == bot_id, fills.c.symbol == symbol
    )
    total = Decimal(0)
    with localcontext() as ctx:
        ctx.prec = 40
        for side, amount, fee, fee_currency in conn.execute(q):
            fee_base = fee if fee_currency == base else Decimal(0)
            total += (amount - fee_base) if side == "BUY" else -(amount + fee_base)
    return total


MARKETS_MARKED = 20  # at most this many markets are marked for the breaker's figures
MARKETS = (
    select(markets.c.exchange, markets.c.symbol)
    .where(markets.c.user_id == bindparam("user_id"), markets.c.quote == bindparam("quote"))
    .order_by(markets.c.exchange, markets.c.symbol)
    .limit(bindparam("limit"))
)


def traded_markets(
    conn: Connection, user_id: str, quote: str, limit: int = MARKETS_MARKED
) -> list[Row]:
    """(exchange, symbol) pairs the user has fills in, for one quote currency."""
    return list(conn.execute(MARKETS, {"user_id": user_id, "quote": quote, "limit": limit}))


def traded_quotes(conn: Connection, user_id: str) -> list[str]:
    q = select(markets.c.quote).where(markets.c.user_id == user_id).distinct()
    return sorted(conn.execute(q).scalars())


# --- several orders at once (front.py): one statement per table for all of them ---------------


class Batched:
    """The statements that store the gates' work of several orders at once, for PostgreSQL
    (``pg``) or SQLite, made once (RowsInsert: their rows come back in no promised order,
    matched by key)."""

    def __init__(self, pg: bool) -> None:
        c = idempotency_claims.c
        self.claims = RowsInsert(
            pg, idempotency_claims, [x.name for x in idempotency_claims.c],
            "ON CONFLICT (user_id, idempotency_key) DO NOTHING",
            returning=[c.user_id, c.idempotency_key, c.order_id],
        )  # fmt: skip
        self.locks = RowsInsert(
            pg, limiter_locks, ["user_id", "taken"], "ON CONFLICT (user_id) DO UPDATE SET taken = 0"
        )
        self.orders = RowsInsert(pg, orders, _ORDER_COLUMNS, returning=list(orders.c))
        self.slots = RowsInsert(
            pg, limiter_days, ["user_id", "day", "bot_id", "used"],
            "ON CONFLICT (user_id, day, bot_id) DO UPDATE SET used = limiter_days.used + "
            "excluded.used",
        )  # fmt: skip
        # a new order's fills: a fill id taken already fails the transaction
        self.new_fills = RowsInsert(pg, fills, [x.name for x in fills.c], returning=list(fills.c))

    def slot_steps(self, taken: list[dict]) -> list:
        """The limiter slots of accepted orders (order rows): each user's and each bot's day
        count up by how many of them it has (the user's row first, as every taker's)."""
        counts: dict[tuple, int] = {}
        for row in taken:
            day = day_start(row["limit_at"])
            for key in ((row["user_id"], day, ""), (row["user_id"], day, row["bot_id"])):
                counts[key] = counts.get(key, 0) + 1
        rows = [{"user_id": u, "day": d, "bot_id": b, "used": n}
                for (u, d, b), n in sorted(counts.items())]  # fmt: skip
        return self.slots.steps(rows)


BATCHED = {"postgresql": Batched(True), "sqlite": Batched(False)}


def full_order_row(values: dict) -> dict:
    """An order's row with every column given (None for those not in ``values``)."""
    return {**dict.fromkeys(_ORDER_COLUMNS), **values}
