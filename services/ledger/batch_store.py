"""Queries of several users' ledger state at once, for the batch calls (RecordFillBatch,
GetRiskMetricsBatch): one statement per table for all the users of a batch, not one each, so
a batch of fills of many users costs about what one fill costs in statements.

Rows are read for every combination of the users, scopes, symbols... asked and sorted out
here by user and by the exact keys wanted, as store.loader_from does for one user.

PostgreSQL: every list of values is one array parameter (``= ANY(:list)``) and the rows
written one JSON parameter, so a statement's text and its number of parameters are the same
whatever the size of the batch: psycopg parses a query's text once and caches it only while
it is short (4 kB) and has at most 50 parameters; a multi-row VALUES list would be parsed
again on every call. SQLite (in process, no parsing of ours to save): IN lists
and VALUES rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import (
    ARRAY,
    Connection,
    Row,
    String,
    any_,
    bindparam,
    func,
    select,
)
from sqlalchemy import true as sql_true

from services.common.db import RowsInsert
from services.ledger import store
from services.ledger.accounting import Loader
from services.ledger.domain import GENESIS
from services.ledger.model import Recorded
from services.ledger.schema import (
    buckets,
    entries,
    equity_days,
    figures,
    heads,
    positions,
    risk_baselines,
)


def _upsert(pg: bool, table, keys: Sequence[str]) -> RowsInsert:
    """Rows written whether or not they exist (as store's upserts): every other column set."""
    cols = [c.name for c in table.c]
    update = ", ".join(f'"{c}" = excluded."{c}"' for c in cols if c not in keys)
    conflict = ", ".join(f'"{k}"' for k in keys)
    return RowsInsert(pg, table, cols, f"ON CONFLICT ({conflict}) DO UPDATE SET {update}")


class _Statements:
    """The batch calls' statements for PostgreSQL (``pg``) or SQLite, built once."""

    def __init__(self, pg: bool) -> None:
        def among(column, name: str):
            """The column's value is one of the list ``name``."""
            if pg:  # text unbounded: a cast to VARCHAR(n)[] would cut longer values short
                item = String() if isinstance(column.type, String) else column.type
                return column == any_(bindparam(name, type_=ARRAY(item)))
            return column.in_(bindparam(name, expanding=True))

        # a head for each user that has none (its first entry): see record_reads
        self.new_heads = RowsInsert(
            pg, heads, ["user_id", "last_sequence", "last_hash"], "ON CONFLICT DO NOTHING"
        )
        self.heads = (
            select(heads.c.user_id, heads.c.last_sequence, heads.c.last_hash)
            .where(among(heads.c.user_id, "users"))
            .order_by(heads.c.user_id)
        )
        if pg:
            self.heads = self.heads.with_for_update()
            # one probe of the (user_id, entry_id) index per pair (see store.find_by_ids)
            pairs = (
                func.unnest(
                    bindparam("users", type_=ARRAY(String)), bindparam("ids", type_=ARRAY(String))
                )
                .table_valued("user_id", "entry_id")
                .render_derived(name="wanted")
            )
            one = (
                select(entries)
                .where(entries.c.user_id == pairs.c.user_id, entries.c.entry_id == pairs.c.entry_id)
                .limit(1)
                .lateral("e")
            )
            # never a prepared statement: a plan made generic while the table was small (the
            # lateral scanning it whole) was kept as it grew, each batch then reading every
            # entry per id (measured: 20-50 ms a batch after 30,000 fills)
            self.find = (
                select(one)
                .select_from(pairs.join(one, sql_true()))
                .execution_options(prepare=False)
            )
        else:  # every id of every user, the pairs sorted out in read_back
            self.find = select(entries).where(
                among(entries.c.user_id, "users"), among(entries.c.entry_id, "ids")
            )
        p, f, b, rb = positions.c, figures.c, buckets.c, risk_baselines.c
        self.positions_of = select(p.user_id, p.bot_id, p.symbol, p.lots).where(
            among(p.user_id, "users"), among(p.bot_id, "bots"), among(p.symbol, "symbols")
        )
        self.figures_of = select(f.user_id, f.scope, f.currency, f.data).where(
            among(f.user_id, "users"), among(f.scope, "scopes"), among(f.currency, "currencies")
        )
        self.buckets_of = select(buckets).where(
            among(b.user_id, "users"),
            among(b.scope, "scopes"),
            among(b.currency, "currencies"),
            among(b.period_start, "starts"),
        )
        # the breaker's reads (as store.risk_steps): open positions in the currencies (in
        # store's order), the baselines of the scopes newest first
        self.positions_in = (
            select(p.user_id, p.currency, p.bot_id, p.symbol, p.amount, p.cost)
            .where(among(p.user_id, "users"), among(p.currency, "currencies"))
            .order_by(p.user_id, p.bot_id, p.symbol)
        )
        self.baselines_of = (
            select(rb.user_id, rb.scope, rb.after_sequence, rb.at)
            .where(among(rb.user_id, "users"), among(rb.scope, "scopes"))
            .order_by(rb.id.desc())
        )
        self.entries = RowsInsert(pg, entries, store.ENTRY_COLUMNS)
        self.books = [
            _upsert(pg, positions, ["user_id", "bot_id", "symbol"]),
            _upsert(pg, figures, ["user_id", "scope", "currency"]),
            _upsert(pg, buckets, ["user_id", "scope", "currency", "period", "period_start"]),
            _upsert(pg, equity_days, ["user_id", "currency", "day"]),
        ]
        self.save_heads = _upsert(pg, heads, ["user_id"])


_STATEMENTS = {"postgresql": _Statements(True), "sqlite": _Statements(False)}


Keys = tuple[Sequence, Sequence, Sequence]  # positions, figures, buckets (touched_keys)


@dataclass
class UserState:
    """What recording a user's fills of a batch starts from, read with the head locked."""

    head: tuple[int, str]
    known: dict[str, Recorded]  # the stored entries of the batch's ids
    loader: Loader
    # for the breaker: open positions by currency ((bot, symbol) -> (amount, cost)) and the
    # newest baseline of each scope
    positions: dict[str, dict[tuple[str, str], tuple[Decimal, Decimal]]]
    baselines: dict[str, Row]


def record_reads(
    dialect: str, ids: dict[str, list[str]], keys: dict[str, Keys], risk: dict[str, set[str]]
) -> list:
    """What recording the fills of several users reads (store.record_reads for all of them):
    each user's head, made if missing and locked, the stored entries of ``ids`` (user -> entry
    ids), the positions, figures and buckets of ``keys`` (user -> touched_keys) and, for the
    users in ``risk`` (user -> currencies), the breaker's reads.

    The heads are made and locked in one order, the users' (the same in every process), so
    two batches with users in common take their locks in the same order and cannot deadlock:
    the insert waits only for a head another transaction is making (in the same order), and
    ``FOR UPDATE`` after an ``ORDER BY`` locks the rows in that order. See read_back."""
    st = _STATEMENTS[dialect]
    users = sorted(ids)
    pairs = [(u, i) for u in users for i in dict.fromkeys(ids[u])]
    if dialect == "postgresql":
        find = {"users": [u for u, _ in pairs], "ids": [i for _, i in pairs]}
    else:
        find = {"users": users, "ids": sorted({i for _, i in pairs})}
    pos, figs, bks = (_union(keys.values(), n) for n in range(3))
    scopes = {s for k in keys.values() for s, _ in k[1]}
    return [
        *st.new_heads.steps(
            [{"user_id": u, "last_sequence": 0, "last_hash": GENESIS} for u in users]
        ),
        (st.heads, {"users": users}),
        (st.find, find),
        (st.positions_of, {"users": users, "bots": _part(pos, 0), "symbols": _part(pos, 1)}),
        (st.figures_of, {"users": users, "scopes": _part(figs, 0),
                         "currencies": _part(figs, 1)}),
        (st.buckets_of, {"users": users, "scopes": _part(bks, 0), "currencies": _part(bks, 1),
                         "starts": _part(bks, 3)}),
        *(risk_reads(dialect, risk, scopes) if risk else ()),
    ]  # fmt: skip


def read_back(
    conn: Connection,
    results: list,
    ids: dict[str, list[str]],
    keys: dict[str, Keys],
    risk: dict[str, set[str]],
) -> dict[str, UserState]:
    """The rows of record_reads (given the same arguments) as each user's UserState."""
    results = results[-(5 + (2 if risk else 0)) :]  # after the heads' inserts
    head_rows, found, pos_rows, fig_rows, bucket_rows = results[:5]
    held, baselines = risk_from_rows(results[5:]) if risk else ({}, {})
    heads_ = {r.user_id: (r.last_sequence, r.last_hash) for r in head_rows}
    found_by = _by_user(found)
    loaded = [_by_user(pos_rows), _by_user(fig_rows), _by_user(bucket_rows)]
    out = {}
    for user in sorted(ids):
        wanted = set(ids[user])
        known = {
            r.entry_id: store.row_to_recorded(r)
            for r in found_by.get(user, ())
            if r.entry_id in wanted
        }
        rows = [part.get(user, []) for part in loaded]
        out[user] = UserState(
            head=heads_[user],
            known=known,
            loader=store.loader_from(conn, user, rows, *keys[user]),
            positions=held.get(user, {}),
            baselines=baselines.get(user, {}),
        )
    return out


def risk_reads(dialect: str, users_currencies: dict[str, set[str]], scopes: Iterable[str]) -> list:
    """The breaker's reads of several users (store.risk_steps but the figures): their open
    positions in the currencies and their baselines of the scopes, newest first."""
    st = _STATEMENTS[dialect]
    users = sorted(users_currencies)
    currencies = sorted({c for cs in users_currencies.values() for c in cs})
    return [
        (st.positions_in, {"users": users, "currencies": currencies}),
        (st.baselines_of, {"users": users, "scopes": sorted(set(scopes))}),
    ]


def figures_reads(
    dialect: str, users: Iterable[str], scopes: Iterable[str], currencies: Iterable[str]
) -> tuple:
    """The figures of these users, scopes and currencies (every combination)."""
    return (
        _STATEMENTS[dialect].figures_of,
        {"users": sorted(set(users)), "scopes": sorted(set(scopes)),
         "currencies": sorted(set(currencies))},
    )  # fmt: skip


Held = dict[str, dict[str, dict[tuple[str, str], tuple[Decimal, Decimal]]]]


def risk_from_rows(results: list) -> tuple[Held, dict[str, dict[str, Row]]]:
    """The rows of risk_reads: each user's open positions by currency, in (bot, symbol)
    order as stored, and each user's newest baseline of each scope."""
    position_rows, baseline_rows = results
    held: Held = {}
    for r in position_rows:
        held.setdefault(r.user_id, {}).setdefault(r.currency, {})[(r.bot_id, r.symbol)] = (
            r.amount,
            r.cost,
        )
    newest: dict[str, dict[str, Row]] = {}
    for b in baseline_rows:
        newest.setdefault(b.user_id, {}).setdefault(b.scope, b)
    return held, newest


def write_steps(
    dialect: str,
    new: Sequence[Recorded],
    books: Sequence[tuple[list, list, list, list]],
    heads_: Sequence[tuple[str, int, str]],
) -> list:
    """The writes of a batch: its new entries, the rows of the users' books (store.book_rows
    of each) and the users' new heads (user, sequence, hash)."""
    st = _STATEMENTS[dialect]
    entry_rows = [dict(zip(store.ENTRY_COLUMNS, store.entry_row(r), strict=True)) for r in new]
    head_rows = [{"user_id": u, "last_sequence": s, "last_hash": h} for u, s, h in heads_]
    return [
        *st.entries.steps(entry_rows),
        *(
            step
            for n, table in enumerate(st.books)
            for step in table.steps([row for rows in books for row in rows[n]])
        ),
        *st.save_heads.steps(head_rows),
    ]


def figures_by_user(rows: Iterable[Row]) -> dict[str, dict[tuple[str, str], str]]:
    """Figure rows as user -> (scope, currency) -> stored JSON."""
    out: dict[str, dict[tuple[str, str], str]] = {}
    for r in rows:
        out.setdefault(r.user_id, {})[(r.scope, r.currency)] = r.data
    return out


def _by_user(rows: Iterable[Row]) -> dict[str, list[Row]]:
    out: dict[str, list[Row]] = {}
    for r in rows:
        out.setdefault(r.user_id, []).append(r)
    return out


def _union(per_user: Iterable[Keys], n: int) -> list:
    return [k for keys in per_user for k in keys[n]]


def _part(keys: Iterable[tuple], n: int) -> list:
    return sorted({k[n] for k in keys})
