"""Queries of the ledger's tables. Every function takes the connection of a unit of work."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from decimal import Decimal, localcontext

from sqlalchemy import ARRAY, Connection, Row, String, and_, any_, bindparam, select
from sqlalchemy.dialects import postgresql, sqlite

from services.ledger.accounting import Book, BucketKey, FiguresKey, Loader, PositionKey
from services.ledger.domain import CTX, GENESIS, Bucket, Figures, Position
from services.ledger.model import FILL, Derived, Entry, Recorded
from services.ledger.schema import (
    buckets,
    entries,
    equity_days,
    figures,
    heads,
    positions,
    risk_baselines,
)


def _insert(conn: Connection, table):
    return (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(table)


def lock_head(conn: Connection, user_id: str) -> tuple[int, str]:
    """The user's last sequence and hash, with the row locked until the transaction ends."""
    conn.execute(
        _insert(conn, heads)
        .values(user_id=user_id, last_sequence=0, last_hash=GENESIS)
        .on_conflict_do_nothing(index_elements=["user_id"])
    )
    q = select(heads.c.last_sequence, heads.c.last_hash).where(heads.c.user_id == user_id)
    if conn.dialect.name == "postgresql":
        q = q.with_for_update()
    row = conn.execute(q).one()
    return row.last_sequence, row.last_hash


def save_head(conn: Connection, user_id: str, sequence: int, hash_: str) -> None:
    conn.execute(
        heads.update()
        .where(heads.c.user_id == user_id)
        .values(last_sequence=sequence, last_hash=hash_)
    )


def find_by_ids(conn: Connection, user_id: str, entry_ids: Sequence[str]) -> dict[str, Row]:
    found: dict[str, Row] = {}
    ids = list(dict.fromkeys(entry_ids))
    if conn.dialect.name == "postgresql":
        # one array parameter: cheaper to send and plan than a long IN list
        q = select(entries).where(
            entries.c.user_id == user_id,
            entries.c.entry_id == any_(bindparam("ids", ids, type_=ARRAY(String))),
        )
        return {row.entry_id: row for row in conn.execute(q)}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        q = select(entries).where(entries.c.user_id == user_id, entries.c.entry_id.in_(chunk))
        for row in conn.execute(q):
            found[row.entry_id] = row
    return found


def row_to_entry(row: Row) -> Entry:
    return Entry(
        kind=row.kind,
        entry_id=row.entry_id,
        user_id=row.user_id,
        bot_id=row.bot_id,
        at=row.at,
        amount=row.amount,
        currency=row.currency,
        exchange=row.exchange or "",
        symbol=row.symbol or "",
        side=row.side or "",
        price=row.price,
        fee=row.fee,
        fee_currency=row.fee_currency or "",
        fee_quote=row.fee_quote,
        order_id=row.order_id or "",
        source=row.source or "",
        event_type=row.event_type or "",
        description=row.description or "",
        corrects=row.corrects or "",
    )


def row_to_recorded(row: Row, replayed: bool = False) -> Recorded:
    return Recorded(
        entry=row_to_entry(row),
        sequence=row.sequence,
        prev_hash=row.prev_hash,
        hash=row.hash,
        canonical=row.canonical,
        recorded_at=row.recorded_at,
        derived=Derived(row.realized_pnl, row.net_pnl, row.fee_value),
        replayed=replayed,
    )


def insert_entries(conn: Connection, recorded: Iterable[Recorded]) -> None:
    rows = []
    for r in recorded:
        e = r.entry
        rows.append(
            {
                "user_id": e.user_id,
                "sequence": r.sequence,
                "entry_id": e.entry_id,
                "kind": e.kind,
                "bot_id": e.bot_id,
                "at": e.at,
                "recorded_at": r.recorded_at,
                "exchange": e.exchange or None,
                "symbol": e.symbol or None,
                "side": e.side or None,
                "price": e.price,
                "fee": e.fee,
                "fee_currency": e.fee_currency or None,
                "fee_quote": e.fee_quote,
                "order_id": e.order_id or None,
                "source": e.source or None,
                "event_type": e.event_type or None,
                "description": e.description or None,
                "corrects": e.corrects or None,
                "amount": e.amount,
                "currency": e.currency,
                "realized_pnl": r.derived.realized_pnl,
                "net_pnl": r.derived.net_pnl,
                "fee_value": r.derived.fee_value,
                "canonical": r.canonical,
                "prev_hash": r.prev_hash,
                "hash": r.hash,
            }
        )
    if rows:
        conn.execute(entries.insert(), rows)


def db_loader(conn: Connection, user_id: str) -> Loader:
    def position(key: PositionKey) -> Position | None:
        q = select(positions.c.lots).where(
            positions.c.user_id == user_id,
            positions.c.bot_id == key[0],
            positions.c.symbol == key[1],
        )
        lots = conn.execute(q).scalar_one_or_none()
        return None if lots is None else Position.from_json(lots)

    def figs(key: FiguresKey) -> Figures | None:
        return load_figures(conn, user_id, key[0], key[1])

    def bucket(key: BucketKey) -> Bucket | None:
        q = select(buckets).where(
            buckets.c.user_id == user_id,
            buckets.c.scope == key[0],
            buckets.c.currency == key[1],
            buckets.c.period == key[2],
            buckets.c.period_start == key[3],
        )
        row = conn.execute(q).one_or_none()
        return None if row is None else _row_to_bucket(row)

    return Loader(position=position, figures=figs, bucket=bucket)


def _row_to_bucket(row: Row) -> Bucket:
    return Bucket(
        period_start=row.period_start,
        realized_pnl=row.realized_pnl,
        fees=row.fees,
        trades=row.trades,
        winning_trades=row.winning_trades,
    )


def load_figures(conn: Connection, user_id: str, scope: str, currency: str) -> Figures | None:
    q = select(figures.c.data).where(
        figures.c.user_id == user_id, figures.c.scope == scope, figures.c.currency == currency
    )
    data = conn.execute(q).scalar_one_or_none()
    return None if data is None else Figures.from_json(data)


def _upsert(conn: Connection, table, rows: list[dict], keys: list[str]) -> None:
    if not rows:
        return
    stmt = _insert(conn, table)
    update = {c: stmt.excluded[c] for c in rows[0] if c not in keys}
    conn.execute(stmt.on_conflict_do_update(index_elements=keys, set_=update), rows)


def position_cost(p: Position) -> Decimal:
    """Sum of qty * price over the open lots (unsigned)."""
    with localcontext(CTX):
        return sum((lot.qty * lot.price for lot in p.lots), Decimal(0))


def save_book(conn: Connection, user_id: str, book: Book, sequence: int) -> None:
    """Write back every position, figure, bucket and day the book touched."""
    _upsert(
        conn,
        positions,
        [
            {
                "user_id": user_id,
                "bot_id": bot,
                "symbol": sym,
                "currency": book.position_currency.get((bot, sym), sym.split("/")[-1]),
                "lots": p.to_json(),
                "amount": p.amount,
                "cost": position_cost(p),
                "updated_sequence": sequence,
            }
            for (bot, sym), p in book.positions.items()
        ],
        ["user_id", "bot_id", "symbol"],
    )
    _upsert(
        conn,
        figures,
        [
            {
                "user_id": user_id,
                "scope": scope,
                "currency": cur,
                "data": f.to_json(),
                "updated_sequence": sequence,
            }
            for (scope, cur), f in book.figures.items()
        ],
        ["user_id", "scope", "currency"],
    )
    _upsert(
        conn,
        buckets,
        [
            {
                "user_id": user_id,
                "scope": scope,
                "currency": cur,
                "period": period,
                "period_start": start,
                "realized_pnl": b.realized_pnl,
                "fees": b.fees,
                "trades": b.trades,
                "winning_trades": b.winning_trades,
            }
            for (scope, cur, period, start), b in book.buckets.items()
        ],
        ["user_id", "scope", "currency", "period", "period_start"],
    )
    _upsert(
        conn,
        equity_days,
        [
            {"user_id": user_id, "currency": cur, "day": day, "at": at, "equity": eq}
            for (cur, day), (at, eq) in book.days.items()
        ],
        ["user_id", "currency", "day"],
    )


def list_positions(conn: Connection, user_id: str, currency: str, bot_id: str) -> list[Row]:
    q = select(positions).where(positions.c.user_id == user_id, positions.c.currency == currency)
    if bot_id:
        q = q.where(positions.c.bot_id == bot_id)
    return list(conn.execute(q.order_by(positions.c.bot_id, positions.c.symbol)))


def list_buckets(conn: Connection, user_id: str, scope: str, currency: str, period: str):
    q = (
        select(buckets)
        .where(
            buckets.c.user_id == user_id,
            buckets.c.scope == scope,
            buckets.c.currency == currency,
            buckets.c.period == period,
        )
        .order_by(buckets.c.period_start)
    )
    return [_row_to_bucket(r) for r in conn.execute(q)]


def list_days(conn: Connection, user_id: str, currency: str) -> list[tuple[datetime, Decimal]]:
    q = (
        select(equity_days.c.at, equity_days.c.equity)
        .where(equity_days.c.user_id == user_id, equity_days.c.currency == currency)
        .order_by(equity_days.c.day)
    )
    return [(r.at, r.equity) for r in conn.execute(q)]


def page_entries(
    conn: Connection,
    user_id: str,
    *,
    kind: str | None,
    after: int | None,
    before: int | None,
    limit: int,
    bot_id: str = "",
    symbol: str = "",
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[Row]:
    """Entries in sequence order (ascending with ``after``, newest first with ``before``)."""
    cond = [entries.c.user_id == user_id]
    if kind:
        cond.append(entries.c.kind == kind)
    if bot_id:
        cond.append(entries.c.bot_id == bot_id)
    if symbol:
        cond.append(entries.c.symbol == symbol)
    if since is not None:
        cond.append(entries.c.at >= since)
    if until is not None:
        cond.append(entries.c.at < until)
    if before is not None:
        cond.append(entries.c.sequence < before)
        order = entries.c.sequence.desc()
    else:
        cond.append(entries.c.sequence > (after or 0))
        order = entries.c.sequence
    q = select(entries).where(and_(*cond)).order_by(order).limit(limit)
    return list(conn.execute(q))


def iter_all_entries(conn: Connection, user_id: str, batch: int = 5000) -> Iterator[Row]:
    after = 0
    while True:
        rows = page_entries(conn, user_id, kind=None, after=after, before=None, limit=batch)
        yield from rows
        if len(rows) < batch:
            return
        after = rows[-1].sequence


def all_state(conn: Connection, user_id: str) -> dict[str, dict]:
    """Every stored figure of a user, for comparison with a recomputation."""
    out: dict[str, dict] = {"positions": {}, "figures": {}, "buckets": {}, "days": {}}
    for r in conn.execute(select(positions).where(positions.c.user_id == user_id)):
        out["positions"][(r.bot_id, r.symbol)] = Position.from_json(r.lots)
    for r in conn.execute(select(figures).where(figures.c.user_id == user_id)):
        out["figures"][(r.scope, r.currency)] = Figures.from_json(r.data)
    for r in conn.execute(select(buckets).where(buckets.c.user_id == user_id)):
        out["buckets"][(r.scope, r.currency, r.period, r.period_start)] = _row_to_bucket(r)
    for r in conn.execute(select(equity_days).where(equity_days.c.user_id == user_id)):
        out["days"][(r.currency, r.day)] = (r.at, r.equity)
    return out


def is_fill(row: Row) -> bool:
    return row.kind == FILL


def head_row(conn: Connection, user_id: str) -> tuple[int, str] | None:
    q = select(heads.c.last_sequence, heads.c.last_hash).where(heads.c.user_id == user_id)
    row = conn.execute(q).one_or_none()
    return None if row is None else (row.last_sequence, row.last_hash)


def head(conn: Connection, user_id: str) -> int:
    row = head_row(conn, user_id)
    return 0 if row is None else row[0]


def figures_keys(conn: Connection, user_id: str, scope: str | None, currency: str) -> list:
    """(scope, currency) of the user's stored figures: one scope, or all when scope is None."""
    q = select(figures.c.scope, figures.c.currency).where(
        figures.c.user_id == user_id, figures.c.currency == currency
    )
    if scope is not None:
        q = q.where(figures.c.scope == scope)
    return [(r.scope, r.currency) for r in conn.execute(q)]


def insert_baselines(conn: Connection, rows: list[dict]) -> None:
    if rows:
        conn.execute(risk_baselines.insert(), rows)


def last_baseline(conn: Connection, user_id: str, scope: str) -> Row | None:
    q = (
        select(risk_baselines)
        .where(risk_baselines.c.user_id == user_id, risk_baselines.c.scope == scope)
        .order_by(risk_baselines.c.id.desc())
        .limit(1)
    )
    return conn.execute(q).one_or_none()


def all_baselines(conn: Connection, user_id: str) -> list[Row]:
    q = (
        select(risk_baselines)
        .where(risk_baselines.c.user_id == user_id)
        .order_by(risk_baselines.c.id)
    )
    return list(conn.execute(q))
