"""Queries of the ledger's tables. Every function takes the connection of a unit of work."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import fields
from datetime import UTC, datetime
from decimal import Decimal

import psycopg
from sqlalchemy import (
    ARRAY,
    Connection,
    Row,
    String,
    TextClause,
    and_,
    bindparam,
    func,
    select,
    text,
    true,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from services.common.db import run_together
from services.ledger.accounting import Book, BucketKey, FiguresKey, Loader, PositionKey
from services.ledger.domain import GENESIS, Bucket, Figures, Position
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

# --- statements of the recording and risk paths, built once ---------------------------------
# A statement built per call costs its construction and its cache key every time (and an
# on-conflict insert is compiled afresh on every execution: SQLAlchemy 2.0 gives it no cache
# key); these run for every fill and every risk read.


def _p(name: str, **kw):
    return bindparam(name, **kw)


UPSERT_ROWS = 100  # rows per multi-row upsert statement


def _upsert_sql(table, keys: Sequence[str], n: int) -> TextClause:
    """INSERT of n rows ... ON CONFLICT (keys) DO UPDATE of every other column, as one text
    statement (the same SQL on PostgreSQL and SQLite) whose parameters (``column_i``) keep
    the columns' types: one statement for all the rows a recording touched, not one each."""
    cols = [c.name for c in table.c]
    names = ", ".join(f'"{c}"' for c in cols)
    values = ", ".join("(" + ", ".join(f":{c}_{i}" for c in cols) + ")" for i in range(n))
    update = ", ".join(f'"{c}" = excluded."{c}"' for c in cols if c not in keys)
    conflict = ", ".join(f'"{k}"' for k in keys)
    sql = f'INSERT INTO "{table.name}" ({names}) VALUES {values} '
    sql += f"ON CONFLICT ({conflict}) DO UPDATE SET {update}"
    binds = (bindparam(f"{c.name}_{i}", type_=c.type) for i in range(n) for c in table.c)
    return text(sql).bindparams(*binds)


class _Upsert:
    """The upsert of a table, its statement made once for each number of rows."""

    def __init__(self, table, keys: Sequence[str]) -> None:
        self.table, self.keys = table, list(keys)
        self.statements: dict[int, TextClause] = {}

    def steps(self, rows: list[dict]) -> list[tuple[TextClause, dict]]:
        """The statements writing the rows (none: none), for run_together."""
        out = []
        for start in range(0, len(rows), UPSERT_ROWS):
            chunk = rows[start : start + UPSERT_ROWS]
            n = len(chunk)
            statement = self.statements.get(n)
            if statement is None:
                statement = self.statements[n] = _upsert_sql(self.table, self.keys, n)
            out.append(
                (statement, {f"{c}_{i}": v for i, row in enumerate(chunk) for c, v in row.items()})
            )
        return out


_HEAD = select(heads.c.last_sequence, heads.c.last_hash).where(heads.c.user_id == _p("user_id"))
_HEAD_LOCKED = _HEAD.with_for_update()
_NEW_HEAD = text(
    "INSERT INTO heads (user_id, last_sequence, last_hash) VALUES (:user_id, 0, :genesis) "
    "ON CONFLICT (user_id) DO NOTHING"
)
_SAVE_HEAD = (
    heads.update()
    .where(heads.c.user_id == _p("head_user"))
    .values(last_sequence=_p("head_sequence"), last_hash=_p("head_hash"))
)
_IDS = select(func.unnest(_p("ids", type_=ARRAY(String))).column_valued("id")).subquery("wanted")
_ONE_ENTRY = (
    select(entries)
    .where(entries.c.user_id == _p("user_id"), entries.c.entry_id == _IDS.c.id)
    .limit(1)
    .lateral("e")
)
# never prepared (where run_together sends it): a generic plan made while the table was small
# would keep scanning it whole inside the lateral as it grew (see batch_store's find)
_FIND_PG = (
    select(_ONE_ENTRY).select_from(_IDS.join(_ONE_ENTRY, true())).execution_options(prepare=False)
)
_FIND = select(entries).where(
    entries.c.user_id == _p("user_id"), entries.c.entry_id.in_(_p("ids", expanding=True))
)
_POSITIONS_OF = select(positions.c.bot_id, positions.c.symbol, positions.c.lots).where(
    positions.c.user_id == _p("user_id"),
    positions.c.bot_id.in_(_p("bots", expanding=True)),
    positions.c.symbol.in_(_p("symbols", expanding=True)),
)
_FIGURES_OF = select(figures.c.scope, figures.c.currency, figures.c.data).where(
    figures.c.user_id == _p("user_id"),
    figures.c.scope.in_(_p("scopes", expanding=True)),
    figures.c.currency.in_(_p("currencies", expanding=True)),
)
_BUCKETS_OF = select(buckets).where(
    buckets.c.user_id == _p("user_id"),
    buckets.c.scope.in_(_p("scopes", expanding=True)),
    buckets.c.currency.in_(_p("currencies", expanding=True)),
    buckets.c.period_start.in_(_p("starts", expanding=True)),
)
_POSITIONS_IN = (
    select(positions)
    .where(positions.c.user_id == _p("user_id"), positions.c.currency == _p("currency"))
    .order_by(positions.c.bot_id, positions.c.symbol)
)
_BASELINES_OF = (
    select(risk_baselines)
    .where(
        risk_baselines.c.user_id == _p("user_id"),
        risk_baselines.c.scope.in_(_p("scopes", expanding=True)),
    )
    .order_by(risk_baselines.c.id.desc())
)
_UPSERT_POSITIONS = _Upsert(positions, ["user_id", "bot_id", "symbol"])
_UPSERT_FIGURES = _Upsert(figures, ["user_id", "scope", "currency"])
_UPSERT_BUCKETS = _Upsert(buckets, ["user_id", "scope", "currency", "period", "period_start"])
_UPSERT_DAYS = _Upsert(equity_days, ["user_id", "currency", "day"])


def _insert(conn: Connection, table):
    return (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(table)


def lock_head(conn: Connection, user_id: str) -> tuple[int, str]:
    """The user's last sequence and hash, with the row locked until the transaction ends.

    One statement once the user has a head (every entry after the first); the first entry
    creates it (two writers of a first entry meet on the primary key and both go on locked).
    """
    q = _HEAD_LOCKED if conn.dialect.name == "postgresql" else _HEAD
    row = conn.execute(q, {"user_id": user_id}).one_or_none()
    if row is None:
        conn.execute(_NEW_HEAD, {"user_id": user_id, "genesis": GENESIS})
        row = conn.execute(q, {"user_id": user_id}).one()
    return row.last_sequence, row.last_hash


def save_head(conn: Connection, user_id: str, sequence: int, hash_: str) -> None:
    conn.execute(*head_step(user_id, sequence, hash_))


def head_step(user_id: str, sequence: int, hash_: str) -> tuple:
    return _SAVE_HEAD, {"head_user": user_id, "head_sequence": sequence, "head_hash": hash_}


# --- a recording's reads and writes as statements sent together (run_together) -----------

FEW = 50  # batches up to this many entries are recorded in two round trips (PostgreSQL)


def record_reads(
    dialect: str, user_id: str, ids: Sequence[str], keys: tuple[Sequence, Sequence, Sequence]
) -> list:
    """What recording a small batch reads, locked head first: the head (made if the user
    has none: the insert does nothing otherwise, and both writers of a first entry go on
    locked), the stored entries of these ids, and the positions, figures and buckets the
    batch touches (``keys``, as accounting.touched_keys gives them). See read_back."""
    wanted = list(dict.fromkeys(ids))
    find = (_FIND_PG if dialect == "postgresql" else _FIND, {"user_id": user_id, "ids": wanted})
    return [
        (_NEW_HEAD, {"user_id": user_id, "genesis": GENESIS}),
        (_HEAD_LOCKED if dialect == "postgresql" else _HEAD, {"user_id": user_id}),
        find,
        *_loader_steps(user_id, *keys),
    ]


def read_back(
    conn: Connection, user_id: str, results: list, keys: tuple[Sequence, Sequence, Sequence]
) -> tuple[tuple[int, str], dict[str, Recorded], Loader]:
    """record_reads' rows: the locked head, the stored entries by id, a Loader."""
    _, (head,), found, *loaded = results
    known = {r.entry_id: row_to_recorded(r) for r in found}
    return (head.last_sequence, head.last_hash), known, loader_from(conn, user_id, loaded, *keys)


def find_by_ids(conn: Connection, user_id: str, entry_ids: Sequence[str]) -> dict[str, Row]:
    found: dict[str, Row] = {}
    ids = list(dict.fromkeys(entry_ids))
    if not ids:
        return found
    if conn.dialect.name == "postgresql":
        # One array parameter, and one probe of the (user_id, entry_id) index per id: the
        # LATERAL subquery with LIMIT 1 is not flattened into a join, so the plan stays a
        # nested loop of index look-ups even while the table's statistics lag behind its
        # growth (a plain "entry_id = ANY(...)" was planned as a scan of all the user's rows).
        rows = conn.execute(_FIND_PG, {"user_id": user_id, "ids": ids})
        return {row.entry_id: row for row in rows}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        for row in conn.execute(_FIND, {"user_id": user_id, "ids": chunk}):
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


ENTRY_COLUMNS = (
    "user_id",
    "sequence",
    "entry_id",
    "kind",
    "bot_id",
    "at",
    "recorded_at",
    "exchange",
    "symbol",
    "side",
    "price",
    "fee",
    "fee_currency",
    "fee_quote",
    "order_id",
    "source",
    "event_type",
    "description",
    "corrects",
    "amount",
    "currency",
    "realized_pnl",
    "net_pnl",
    "fee_value",
    "canonical",
    "prev_hash",
    "hash",
)
COPY_FROM = 50  # batches this large go to PostgreSQL by COPY; smaller ones by INSERT
_INSERT_ENTRY = entries.insert().values({c: _p(c, type_=entries.c[c].type) for c in ENTRY_COLUMNS})


def entry_row(r: Recorded) -> tuple:
    e = r.entry
    return (
        e.user_id,
        r.sequence,
        e.entry_id,
        e.kind,
        e.bot_id,
        _aware(e.at),
        _aware(r.recorded_at),
        e.exchange or None,
        e.symbol or None,
        e.side or None,
        e.price,
        e.fee,
        e.fee_currency or None,
        e.fee_quote,
        e.order_id or None,
        e.source or None,
        e.event_type or None,
        e.description or None,
        e.corrects or None,
        e.amount,
        e.currency,
        r.derived.realized_pnl,
        r.derived.net_pnl,
        r.derived.fee_value,
        r.canonical,
        r.prev_hash,
        r.hash,
    )


def _aware(ts: datetime) -> datetime:
    if ts.tzinfo is None:
        raise ValueError("naive datetime given to a UTC column")
    return ts


class EntryIdTaken(Exception):
    """A streamed batch holds an entry id that is stored already (the transaction's last
    statement failed: roll back to a savepoint taken before it)."""


def streams(conn: Connection, count: int) -> bool:
    """Whether a batch of this many entries goes to the database by COPY."""
    return conn.dialect.name == "postgresql" and count >= COPY_FROM


@contextmanager
def entry_writer(conn: Connection, count: int) -> Iterator[Callable[[Recorded], None]]:
    """Stream entries to PostgreSQL by COPY as they are made: ``write(recorded)`` for each,
    in sequence order (the server inserts while the caller makes the next rows), for a batch
    that streams (``streams``; a smaller one, or any on SQLite, goes by ``entry_steps``). On
    the unit of work's own connection and transaction, so the entries commit with the head
    and the figures or not at all; an exception inside the block aborts the COPY."""
    if not streams(conn, count):
        raise ValueError(f"a batch of {count} entries does not stream")
    names = ", ".join(ENTRY_COLUMNS)
    try:
        with conn.connection.driver_connection.cursor() as cur:
            with cur.copy(f"COPY entries ({names}) FROM STDIN") as copy:
                yield lambda r: copy.write_row(entry_row(r))
    except psycopg.errors.UniqueViolation as exc:
        if exc.diag.constraint_name == "entries_user_entry_id":
            raise EntryIdTaken(exc.diag.message_detail or "") from exc
        raise


def entry_steps(recorded: Sequence[Recorded]) -> list:
    """The INSERT of each entry, for write_together."""
    return [(_INSERT_ENTRY, dict(zip(ENTRY_COLUMNS, entry_row(r), strict=True))) for r in recorded]


def write_together(conn: Connection, steps: list, commit: bool = False) -> list:
    """run_together, an entry id stored already raising EntryIdTaken."""
    try:
        return run_together(conn, steps, commit=commit)
    except IntegrityError as exc:
        diag = getattr(exc.orig, "diag", None)
        if getattr(diag, "constraint_name", None) == "entries_user_entry_id":
            raise EntryIdTaken(diag.message_detail or "") from exc
        raise


def db_loader(
    conn: Connection,
    user_id: str,
    positions_: Sequence[PositionKey] = (),
    figures_: Sequence[FiguresKey] = (),
    buckets_: Sequence[BucketKey] = (),
) -> Loader:
    """A Loader reading the user's stored state: the keys named here in three queries up
    front (found or known to be absent), any other key with a query of its own."""
    keys = (positions_, figures_, buckets_)
    if not any(keys):
        return loader_from(conn, user_id, [[], [], []], *keys)
    return loader_from(conn, user_id, run_together(conn, _loader_steps(user_id, *keys)), *keys)


def _loader_steps(user_id: str, positions_, figures_, buckets_) -> list:
    """The three queries of db_loader (every combination of the keys' parts: IN lists)."""
    return [
        (_POSITIONS_OF, {"user_id": user_id, "bots": sorted({k[0] for k in positions_}),
                         "symbols": sorted({k[1] for k in positions_})}),
        (_FIGURES_OF, {"user_id": user_id, "scopes": sorted({k[0] for k in figures_}),
                       "currencies": sorted({k[1] for k in figures_})}),
        (_BUCKETS_OF, {"user_id": user_id, "scopes": sorted({k[0] for k in buckets_}),
                       "currencies": sorted({k[1] for k in buckets_}),
                       "starts": sorted({k[3] for k in buckets_})}),
    ]  # fmt: skip


def _known(rows: list, keys: Sequence, key_of, value_of) -> dict:
    """Each key: its stored value, or None (known to be absent); only the exact keys."""
    out = dict.fromkeys(keys)
    for r in rows:
        key = key_of(r)
        if key in out:
            out[key] = value_of(r)
    return out


def loader_from(conn: Connection, user_id: str, loaded: list, positions_, figures_, buckets_):
    """A Loader knowing the keys' rows read by _loader_steps (or the like: rows of other keys
    are ignored), reading any other key itself."""
    position_rows, figure_rows, bucket_rows = loaded
    known_positions = _known(
        position_rows, positions_, lambda r: (r.bot_id, r.symbol), lambda r: r.lots
    )
    known_figures = _known(
        figure_rows, figures_, lambda r: (r.scope, r.currency), lambda r: Figures.from_json(r.data)
    )
    known_buckets = _known(
        bucket_rows, buckets_, lambda r: (r.scope, r.currency, r.period, r.period_start),
        _row_to_bucket,
    )  # fmt: skip

    def position(key: PositionKey) -> str | None:
        if key in known_positions:
            return known_positions[key]
        q = select(positions.c.lots).where(
            positions.c.user_id == user_id,
            positions.c.bot_id == key[0],
            positions.c.symbol == key[1],
        )
        return conn.execute(q).scalar_one_or_none()

    def figs(key: FiguresKey) -> Figures | None:
        if key in known_figures:
            return known_figures[key]
        return load_figures(conn, user_id, key[0], key[1])

    def bucket(key: BucketKey) -> Bucket | None:
        if key in known_buckets:
            return known_buckets[key]
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


def save_book(conn: Connection, user_id: str, book: Book, sequence: int) -> None:
    """Write back every position, figure, bucket and day the book touched."""
    run_together(conn, book_steps(user_id, book, sequence))


def book_steps(user_id: str, book: Book, sequence: int) -> list:
    """save_book's statements, for run_together."""
    pos, figs, bks, days = book_rows(user_id, book, sequence)
    return [
        *_UPSERT_POSITIONS.steps(pos),
        *_UPSERT_FIGURES.steps(figs),
        *_UPSERT_BUCKETS.steps(bks),
        *_UPSERT_DAYS.steps(days),
    ]


def book_rows(user_id: str, book: Book, sequence: int) -> tuple[list, list, list, list]:
    """The rows of every position, figure, bucket and day the book touched, to store."""
    return (
        [
            {
                "user_id": user_id,
                "bot_id": bot,
                "symbol": sym,
                "currency": book.position_currency.get((bot, sym), sym.split("/")[-1]),
                "lots": lots,
                "amount": amount,
                "cost": cost,
                "updated_sequence": sequence,
            }
            for (bot, sym), lots, amount, cost in book.position_rows()
        ],
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
        [
            {"user_id": user_id, "currency": cur, "day": day, "at": at, "equity": eq}
            for (cur, day), (at, eq) in book.days.items()
        ],
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


# The columns of an entry in the order of Entry's fields, then what was stored with it.
ENTRY_FIELDS = tuple(f.name for f in fields(Entry))
STORED_FIELDS = (
    "sequence",
    "prev_hash",
    "hash",
    "canonical",
    "recorded_at",
    "realized_pnl",
    "net_pnl",
    "fee_value",
)
_OPTIONAL_TEXT = (
    "exchange",
    "symbol",
    "side",
    "fee_currency",
    "order_id",
    "source",
    "event_type",
    "description",
    "corrects",
)
_TEXT_OR_EMPTY = tuple(i for i, name in enumerate(ENTRY_FIELDS) if name in _OPTIONAL_TEXT)


def snapshot(conn: Connection) -> None:
    """Make the rest of this read transaction see one snapshot (PostgreSQL; SQLite's read
    transaction already does). Must come first in the transaction."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")


# What applying an entry to a book reads (verify's figures pass): no text it does not use.
_FIGURE_COLUMNS = (
    "kind",
    "bot_id",
    "at",
    "amount",
    "currency",
    "symbol",
    "side",
    "price",
    "fee",
    "fee_currency",
    "fee_quote",
    "event_type",
    "sequence",
    "recorded_at",
    "realized_pnl",
    "net_pnl",
    "fee_value",
)


def figure_rows(conn: Connection, user_id: str, batch: int = 5000) -> Iterator[tuple]:
    """entry_rows() with only what the figures need (PostgreSQL): the same layout, the other
    fields empty (ids, order, source, description, corrects; no hashes or canonical text)."""
    sql = f"SELECT {', '.join(_FIGURE_COLUMNS)} FROM entries WHERE user_id = %s ORDER BY sequence"
    with conn.connection.driver_connection.cursor(name="ledger_verify_figures") as cur:
        cur.itersize = batch
        cur.execute(sql, (user_id,))
        for r in cur:
            (kind, bot, at, amount, currency, symbol, side, price, fee, fee_currency,
             fee_quote, event_type, seq, recorded_at, realized, net, fee_value) = r  # fmt: skip
            yield (
                kind, "", "", bot, at.astimezone(UTC), amount, currency, "", symbol or "",
                side or "", price, fee, fee_currency or "", fee_quote, "", "", event_type or "",
                "", "", seq, None, None, None, recorded_at.astimezone(UTC), realized, net,
                fee_value,
            )  # fmt: skip


def entry_rows(conn: Connection, user_id: str, batch: int = 5000) -> Iterator[tuple]:
    """Every entry of the user in sequence order as a tuple: ENTRY_FIELDS (text columns that
    are NULL given as ""), then STORED_FIELDS. Money as Decimal, times as UTC datetimes.

    PostgreSQL: one server-side cursor straight from the driver (no per-row ORM work);
    SQLite: through the column types, which turn its text back into Decimal and datetime.
    """
    names = ENTRY_FIELDS + STORED_FIELDS
    if conn.dialect.name == "postgresql":
        at, recorded_at = names.index("at"), names.index("recorded_at")
        sql = f"SELECT {', '.join(names)} FROM entries WHERE user_id = %s ORDER BY sequence"
        with conn.connection.driver_connection.cursor(name="ledger_verify") as cur:
            cur.itersize = batch
            cur.execute(sql, (user_id,))
            for raw in cur:
                row = list(raw)
                for i in _TEXT_OR_EMPTY:
                    if row[i] is None:
                        row[i] = ""
                row[at] = row[at].astimezone(UTC)
                row[recorded_at] = row[recorded_at].astimezone(UTC)
                yield tuple(row)
        return
    for r in iter_all_entries(conn, user_id, batch):
        row = [getattr(r, name) for name in names]
        for i in _TEXT_OR_EMPTY:
            if row[i] is None:
                row[i] = ""
        yield tuple(row)


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


RiskReads = list[tuple[Figures | None, list[Row], Row | None]]


def risk_steps(user_id: str, scopes: Sequence[str], currency: str) -> list:
    """For each scope ("" the account): its figures, its open positions in the currency (all
    the user's for the account) and its latest risk baseline, as three queries for
    Database.read_together or run_together; risk_reads_from makes them RiskReads."""
    return [
        (
            _FIGURES_OF,
            {"user_id": user_id, "scopes": sorted(set(scopes)), "currencies": [currency]},
        ),
        (_POSITIONS_IN, {"user_id": user_id, "currency": currency}),
        (_BASELINES_OF, {"user_id": user_id, "scopes": list(scopes)}),
    ]


def risk_reads_from(results: list, scopes: Sequence[str], currency: str) -> RiskReads:
    """The RiskReads of each scope from the rows of risk_steps."""
    figure_rows, rows, baselines = results
    figs = {(r.scope, r.currency): Figures.from_json(r.data) for r in figure_rows}
    latest: dict[str, Row] = {}
    for b in baselines:
        latest.setdefault(b.scope, b)
    return [
        (
            figs.get((scope, currency)),
            [r for r in rows if r.bot_id == scope] if scope else rows,
            latest.get(scope),
        )
        for scope in scopes
    ]


def all_baselines(conn: Connection, user_id: str) -> list[Row]:
    q = (
        select(risk_baselines)
        .where(risk_baselines.c.user_id == user_id)
        .order_by(risk_baselines.c.id)
    )
    return list(conn.execute(q))
