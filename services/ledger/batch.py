"""The batch use cases for the orders service: the fills of many users recorded in one
transaction (RecordFillBatch), the breaker's figures of many users read from one snapshot
(GetRiskMetricsBatch). Each item is answered as its own RecordFill (GetRiskMetrics) call
would be, or with its own error, which changes nothing for the other items.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, localcontext

from services.common.db import run_together
from services.common.errors import AppError, invalid
from services.ledger import batch_store, store
from services.ledger.accounting import ACCOUNT, Book, touched_keys
from services.ledger.domain import (
    CTX,
    DomainError,
    Figures,
    as_utc,
    bucket_start,
    canonical,
    entry_hash,
)
from services.ledger.domain.fifo import effective
from services.ledger.model import Entry, Recorded
from services.ledger.service import LedgerService, NewEntry, RiskMetrics, risk_from


@dataclass(frozen=True)
class BatchFill:
    """One item of RecordFillBatch, validated: the fill of the user its token names."""

    user_id: str
    item: NewEntry
    marks: dict[str, Decimal] | None = None  # include_risk: the marks of the figures


@dataclass(frozen=True)
class FillOutcome:
    """One item's answer: the fill recorded (or replayed) and with include_risk the figures
    it leaves (its bot's, the account's), or its error."""

    recorded: Recorded | None = None
    risk: tuple[RiskMetrics, RiskMetrics] | None = None
    error: AppError | None = None


@dataclass(frozen=True)
class RiskQuery:
    """One item of GetRiskMetricsBatch: the scopes ("" the account) of one user."""

    user_id: str
    scopes: tuple[str, ...]
    currency: str
    marks: dict[str, Decimal]


PositionRow = namedtuple("PositionRow", "bot_id symbol amount cost")  # what risk_from reads


def record_fill_batch(ledger: LedgerService, fills: Sequence[BatchFill]) -> list[FillOutcome]:
    """Record the fills of several users in one transaction, each user's in the given order.

    Reads in one round trip with the BEGIN: every user's head (made if missing, then locked,
    in user order: see batch_store.record_reads), the stored entries of the fills' ids, and
    the positions, figures, buckets (and for include_risk the open positions and baselines)
    the fills touch. Then each user's fills are applied to a Book of their own, the figures
    asked for worked out from it right after each fill, and the writes of all users go in a
    second round trip with the COMMIT."""
    if not fills:
        return []
    ids: dict[str, list[str]] = {}
    by_user: dict[str, list[int]] = {}
    risk: dict[str, set[str]] = {}
    for n, f in enumerate(fills):
        by_user.setdefault(f.user_id, []).append(n)
        ids.setdefault(f.user_id, []).append(f.item.entry.entry_id)
        if f.marks is not None:
            risk.setdefault(f.user_id, set()).add(f.item.entry.currency)
    keys = {u: touched_keys(fills[n].item.entry for n in indices) for u, indices in by_user.items()}
    out: list[FillOutcome] = [FillOutcome()] * len(fills)
    steps = batch_store.record_reads(ledger.db.dialect, ids, keys, risk)
    with ledger.db.write_starting(steps) as (conn, results):
        now = ledger.clock()
        states = batch_store.read_back(conn, results, ids, keys, risk)
        new: list[Recorded] = []
        books, heads = [], []
        for user, state in states.items():
            recorded, book, (seq, last) = _record_user(fills, by_user[user], state, now, out)
            if recorded:
                new += recorded
                books.append(store.book_rows(user, book, seq))
                heads.append((user, seq, last))
        writes = batch_store.write_steps(ledger.db.dialect, new, books, heads)
        run_together(conn, writes, commit=True)
    return out


def _record_user(
    fills: Sequence[BatchFill],
    indices: list[int],
    state: batch_store.UserState,
    now: datetime,
    out: list[FillOutcome],
) -> tuple[list[Recorded], Book, tuple[int, str]]:
    """One user's fills (``indices``, in order) applied and chained, each one's outcome put
    in ``out``: the new entries, the book and the new head. An item in error is not applied
    (a replay with other fields, a fill the arithmetic refuses: nothing of it is in the book,
    see _check), so the others are recorded as if it had not been sent."""
    seq, prev = state.head
    book = Book(loader=state.loader)
    today = bucket_start(now, "daily")
    recorded: dict[str, Recorded] = {}  # this batch's, by id
    new: list[Recorded] = []
    for n in indices:
        f = fills[n]
        e = f.item.entry
        old = state.known.get(e.entry_id) or recorded.get(e.entry_id)
        try:
            if old is not None:
                rec = LedgerService.replay(old, f.item)
            else:
                _check(e, f.item.path)
                derived = book.apply(e, now)
                seq += 1
                text = canonical(e.canonical_fields())
                h = entry_hash(prev, seq, text)
                rec = recorded[e.entry_id] = Recorded(e, seq, prev, h, text, now, derived)
                prev = h
                new.append(rec)
        except AppError as exc:
            out[n] = FillOutcome(error=exc)
            continue
        risk = None if f.marks is None else _risk_now(book, state, rec.entry, f.marks, today)
        out[n] = FillOutcome(recorded=rec, risk=risk)
    return new, book, (seq, prev)


def _check(e: Entry, path: str) -> None:
    """What Book.apply refuses of a fill, checked before it is applied: the same checks, in
    the same order, that Book._apply_fill makes before it changes anything (so a fill that
    passes them is applied whole; a refusal there would be of stored state, and fails the
    call)."""
    try:
        with localcontext(CTX):
            effective(e.side, e.amount, e.price, e.fee, e.fee_currency, e.fee_quote, e.base,
                      e.currency)  # fmt: skip
        as_utc(e.at, "executed_at")
    except DomainError as exc:
        raise invalid(f"{path}{exc.field}", exc.message) from None


def _risk_now(
    book: Book, state: batch_store.UserState, e: Entry, marks: dict, today: datetime
) -> tuple[RiskMetrics, RiskMetrics]:
    """The breaker's figures of the fill's bot and of the account as the user's state stands
    now, from the book: what GetRiskMetrics would read were the transaction committed here
    (the figures the book holds, else the stored ones; the open positions as stored, those
    the book touched as they stand; the newest baselines, which only a reset, under the head
    lock, changes), through the same risk_from."""
    currency = e.currency
    held = dict(state.positions.get(currency, {}))
    held.update(book.positions_held(currency))
    rows = [PositionRow(b, s, amount, cost) for (b, s), (amount, cost) in sorted(held.items())]

    def scope_figures(scope: str) -> RiskMetrics:
        key = (scope, currency)
        figs = book.figures_held(key)
        if figs is None:
            figs = state.loader.figures(key) or Figures()  # read up front (touched_keys)
        mine = rows if scope == ACCOUNT else [r for r in rows if r.bot_id == scope]
        return risk_from(figs, mine, state.baselines.get(scope), marks, today)

    return scope_figures(e.bot_id or ACCOUNT), scope_figures(ACCOUNT)


def risk_metrics_batch(ledger: LedgerService, queries: Sequence[RiskQuery]) -> list[list]:
    """The figures of each query's scopes (as LedgerService.risk_metrics_of), all read from
    one snapshot in one round trip (Database.read_together)."""
    if not queries:
        return []
    wanted: dict[str, set[str]] = {}  # user -> currencies
    for q in queries:
        wanted.setdefault(q.user_id, set()).add(q.currency)
    scopes = {s for q in queries for s in q.scopes}
    dialect = ledger.db.dialect
    steps = [
        batch_store.figures_reads(dialect, wanted, scopes, {q.currency for q in queries}),
        *batch_store.risk_reads(dialect, wanted, scopes),
    ]
    figure_rows, *risk_rows = ledger.db.read_together(steps)
    stored = batch_store.figures_by_user(figure_rows)
    held, baselines = batch_store.risk_from_rows(risk_rows)
    today = bucket_start(ledger.clock(), "daily")
    out = []
    for q in queries:
        mine = stored.get(q.user_id, {})
        rows = [
            PositionRow(b, s, amount, cost)
            for (b, s), (amount, cost) in held.get(q.user_id, {}).get(q.currency, {}).items()
        ]
        newest = baselines.get(q.user_id, {})
        answers = []
        for scope in q.scopes:
            data = mine.get((scope, q.currency))
            figs = Figures() if data is None else Figures.from_json(data)
            scoped = rows if scope == ACCOUNT else [r for r in rows if r.bot_id == scope]
            answers.append(risk_from(figs, scoped, newest.get(scope), q.marks, today))
        out.append(answers)
    return out
