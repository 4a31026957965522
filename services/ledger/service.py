"""The ledger's use cases, one method per operation. No gRPC here: AppError for refusals."""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, localcontext

from services.common.db import Database, run_together
from services.common.errors import already_exists, invalid, not_found
from services.ledger import store, verify
from services.ledger.accounting import ACCOUNT, Book, touched_keys
from services.ledger.domain import (
    CTX,
    Bucket,
    Countdown,
    DomainError,
    Figures,
    bucket_start,
    canonical,
    countdown,
    entry_hash,
)
from services.ledger.model import EVENT, FILL, Derived, Entry, Recorded

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class NewEntry:
    """An entry to record; ``time_given`` is False when the caller left the time to us."""

    entry: Entry
    time_given: bool = True
    path: str = ""  # where the entry sits in the request, for error messages


@dataclass(frozen=True)
class PositionView:
    bot_id: str
    symbol: str
    amount: Decimal
    average_price: Decimal
    mark: Decimal | None
    unrealized_pnl: Decimal


@dataclass(frozen=True)
class RiskMetrics:
    equity: Decimal
    peak: Decimal
    drawdown: Decimal
    day_start_equity: Decimal
    daily_loss: Decimal
    consecutive_losses: int
    baseline_sequence: int
    baseline_at: datetime | None


@dataclass(frozen=True)
class Summary:
    currency: str
    figures: Figures
    unrealized_pnl: Decimal
    equity: Decimal
    current_drawdown: Decimal
    max_drawdown: Decimal
    positions: list[PositionView]
    last_sequence: int


MAX_SEQUENCE = 2**62  # also the "before everything" bound of the newest-first listing


def encode_token(sequence: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"s": sequence}).encode()).decode()


def decode_token(token: str) -> int:
    try:
        value = json.loads(base64.urlsafe_b64decode(token.encode()))["s"]
        # a sequence the database can compare (BIGINT; SQLite's INTEGER): no bool, no bignum
        if type(value) is not int or not 0 <= value <= MAX_SEQUENCE:
            raise ValueError
        return value
    except (ValueError, KeyError, TypeError):
        raise invalid("page_token", "is not a token this service gave") from None


class LedgerService:
    def __init__(self, db: Database, clock: Clock = lambda: datetime.now(UTC)) -> None:
        self.db = db
        self.clock = clock

    # --- recording -------------------------------------------------------------------------

    def record(self, user_id: str, batch: Sequence[NewEntry]) -> list[Recorded]:
        """Record entries in order, each exactly once by its id, in one transaction.

        Two passes: the entries are applied to the book first (every stored row they need
        was read up front); then each gets its sequence, canonical text and hash and goes to
        the database as it is made, so the database takes the rows in while the rest are
        hashed. An id given twice in one batch is the same entry twice: the second is a
        replay of the first, checked once the first has its canonical text.

        The user's head row is locked first, so one user's batches are recorded one at a
        time, by any number of processes; which of a batch's ids are stored already is then
        known for certain: looked up, or (for a batch streamed by COPY) found by the unique
        index refusing the batch, which is then recorded again knowing them.
        """
        return self._record_then(user_id, batch, [])[0]

    def record_fill_with_risk(
        self, user_id: str, item: NewEntry, marks: dict[str, Decimal]
    ) -> tuple[Recorded, list[RiskMetrics]]:
        """Record one fill, then read the breaker's figures of its bot and of the account
        (``risk_metrics_of``) in the same transaction: what the fill left them at."""
        e = item.entry
        scopes = [e.bot_id or ACCOUNT, ACCOUNT]
        then = store.risk_steps(user_id, scopes, e.currency)
        [rec], rows = self._record_then(user_id, [item], then)
        return rec, self._risks(store.risk_reads_from(rows, scopes, e.currency), marks)

    def _record_then(
        self, user_id: str, batch: Sequence[NewEntry], then: list
    ) -> tuple[list[Recorded], list]:
        """record(), then the statements ``then`` in the same transaction: the recorded
        entries and their rows. A batch of up to store.FEW entries: its reads (the head
        locked first) in one round trip with the BEGIN, its writes, ``then`` and the COMMIT
        in another (PostgreSQL)."""
        if len(batch) > store.FEW:
            with self.db.write() as conn:
                out = self._record_in(conn, user_id, batch)
                return out, run_together(conn, then)
        ids = [n.entry.entry_id for n in batch] + [
            n.entry.corrects for n in batch if n.entry.corrects
        ]
        keys = touched_keys(n.entry for n in batch)
        steps = store.record_reads(self.db.dialect, user_id, ids, keys)
        with self.db.write_starting(steps) as (conn, results):
            head, known, loader = store.read_back(conn, user_id, results, keys)
            return self._record(conn, user_id, batch, self.clock(), head, known, loader, then)

    def _record_in(self, conn, user_id: str, batch: Sequence[NewEntry]) -> list[Recorded]:
        """record() in the caller's write transaction."""
        now = self.clock()
        head = store.lock_head(conn, user_id)
        corrects = [n.entry.corrects for n in batch if n.entry.corrects]
        if store.streams(conn, len(batch)):
            # A batch that goes by COPY is written without looking its ids up first:
            # the unique index on (user, entry id) refuses it if one is stored already,
            # and then it is recorded again, knowing what is stored (a retried batch).
            try:
                with conn.begin_nested():
                    known = self._known(conn, user_id, corrects)
                    return self._record(conn, user_id, batch, now, head, known)[0]
            except store.EntryIdTaken:
                pass
        known = self._known(conn, user_id, [n.entry.entry_id for n in batch] + corrects)
        return self._record(conn, user_id, batch, now, head, known)[0]

    @staticmethod
    def _known(conn, user_id: str, ids: Sequence[str]) -> dict[str, Recorded]:
        found = store.find_by_ids(conn, user_id, ids)
        return {k: store.row_to_recorded(r) for k, r in found.items()}

    def _record(
        self,
        conn,
        user_id: str,
        batch: Sequence[NewEntry],
        now: datetime,
        head: tuple[int, str],
        known: dict[str, Recorded],
        loader=None,
        then: list = (),
    ) -> tuple[list[Recorded], list]:
        """record() with the head locked and the stored entries of the batch's ids known
        (``loader``: the stored state, read already), then the statements ``then``: the
        recorded entries and their rows. A batch that does not stream is written by one
        batch of statements with ``then`` (and the COMMIT, when ``then`` is given)."""
        seq, prev = head
        fresh = [n.entry for n in batch if n.entry.entry_id not in known]
        book = Book(loader=loader or store.db_loader(conn, user_id, *touched_keys(fresh)))
        applied: list[tuple[Entry, Derived]] = []
        index: dict[str, int] = {}  # entry id -> its place in applied
        # each result: a replay of a stored entry, or (place in applied, item or None)
        slots: list[Recorded | tuple[int, NewEntry | None]] = []
        for item in batch:
            e = item.entry
            old = known.get(e.entry_id)
            if old is not None:
                slots.append(self.replay(old, item))
                continue
            if e.entry_id in index:
                slots.append((index[e.entry_id], item))
                continue
            if e.kind == EVENT and e.corrects and e.corrects not in known:
                if e.corrects not in index:
                    raise invalid(f"{item.path}corrects", f"no entry {e.corrects!r} to correct")
            try:
                derived = book.apply(e, now)
            except DomainError as exc:
                raise invalid(f"{item.path}{exc.field}", exc.message) from None
            index[e.entry_id] = len(applied)
            slots.append((len(applied), None))
            applied.append((e, derived))
        new: list[Recorded] = []
        streamed = bool(applied) and store.streams(conn, len(applied))
        with contextlib.ExitStack() as stack:
            write = (
                stack.enter_context(store.entry_writer(conn, len(applied))) if streamed else None
            )
            for e, derived in applied:
                seq += 1
                text = canonical(e.canonical_fields())
                h = entry_hash(prev, seq, text)
                rec = Recorded(e, seq, prev, h, text, now, derived)
                prev = h
                new.append(rec)
                if write is not None:
                    write(rec)
        results = [
            slot
            if isinstance(slot, Recorded)
            else new[slot[0]]
            if slot[1] is None
            else self.replay(new[slot[0]], slot[1])
            for slot in slots
        ]
        writes = [] if streamed else store.entry_steps(new)
        if new:
            writes += [*store.book_steps(user_id, book, seq), store.head_step(user_id, seq, prev)]
        rows = store.write_together(conn, [*writes, *then], commit=bool(then))
        return results, rows[len(writes) :]

    @staticmethod
    def replay(old: Recorded, item: NewEntry) -> Recorded:
        """``old`` (stored, or recorded earlier in the batch) as the answer to recording
        ``item`` with its id again: replayed, or ENTRY_ID_REUSED when the fields differ."""
        e = item.entry if item.time_given else dataclasses.replace(item.entry, at=old.entry.at)
        if e.kind != old.entry.kind or canonical(e.canonical_fields()) != old.canonical:
            what = "fill" if old.entry.kind == FILL else "event"
            raise already_exists(
                "ENTRY_ID_REUSED",
                f"{what} {e.entry_id!r} was already recorded with other fields",
            )
        return dataclasses.replace(old, replayed=True)

    # --- reading ---------------------------------------------------------------------------

    def summary(
        self, user_id: str, currency: str, bot_id: str, marks: dict[str, Decimal]
    ) -> Summary:
        with self.db.read() as conn:
            figs = store.load_figures(conn, user_id, bot_id or ACCOUNT, currency) or Figures()
            rows = store.list_positions(conn, user_id, currency, bot_id)
            head = store.head(conn, user_id)
        views, unrealized, any_mark = _mark(rows, marks)
        with localcontext(CTX):
            equity = figs.equity + unrealized
            current = figs.current_drawdown
            if any_mark:
                peak = max(figs.peak, equity)
                current = (peak - equity) / peak if peak > 0 else Decimal(0)
            max_dd = max(figs.max_drawdown, current)
        return Summary(currency, figs, unrealized, equity, current, max_dd, views, head)

    def risk_metrics(
        self, user_id: str, bot_id: str, currency: str, marks: dict[str, Decimal]
    ) -> RiskMetrics:
        """The breaker's figures of the account or a bot since its last risk baseline."""
        return self.risk_metrics_of(user_id, [bot_id], currency, marks)[0]

    def risk_metrics_of(
        self, user_id: str, bot_ids: Sequence[str], currency: str, marks: dict[str, Decimal]
    ) -> list[RiskMetrics]:
        """The figures of several scopes ("" for the account), read from one snapshot."""
        scopes = [b or ACCOUNT for b in bot_ids]
        results = self.db.read_together(store.risk_steps(user_id, scopes, currency))
        return self._risks(store.risk_reads_from(results, scopes, currency), marks)

    def _risks(self, read, marks: dict[str, Decimal]) -> list[RiskMetrics]:
        """The breaker's figures of each scope store.risk_reads_from read, marked, as of today."""
        today = bucket_start(self.clock(), "daily")
        return [risk_from(figs or Figures(), rows, base, marks, today) for figs, rows, base in read]

    def reset_risk_baseline(self, user_id: str, bot_id: str, currency: str, reason: str) -> int:
        """Start the breaker's counts afresh: one bot, or the account and all its bots."""
        now = self.clock()
        with self.db.write() as conn:
            seq, _ = store.lock_head(conn, user_id)
            keys = store.figures_keys(conn, user_id, bot_id or None, currency)
            book = Book(loader=store.db_loader(conn, user_id))
            for key in keys:
                book.apply_baseline(key, now)
            store.save_book(conn, user_id, book, seq)
            store.insert_baselines(
                conn,
                [
                    {
                        "user_id": user_id,
                        "scope": scope,
                        "currency": cur,
                        "after_sequence": seq,
                        "at": now,
                        "reason": reason,
                    }
                    for scope, cur in keys
                ],
            )
        return seq

    def profits(self, user_id: str, period: str, currency: str, bot_id: str) -> list[Bucket]:
        with self.db.read() as conn:
            return store.list_buckets(conn, user_id, bot_id or ACCOUNT, currency, period)

    def countdown(self, user_id: str, target: Decimal, currency: str) -> Countdown:
        with self.db.read() as conn:
            points = store.list_days(conn, user_id, currency)
            figs = store.load_figures(conn, user_id, ACCOUNT, currency)
        if figs is not None and points:
            # the current equity is the account's figure now, whatever day it was recorded on
            points[-1] = (points[-1][0], figs.equity)
        return countdown(points, self.clock(), target)

    def bot_stats(self, user_id: str, bot_id: str, currency: str) -> Figures:
        with self.db.read() as conn:
            return store.load_figures(conn, user_id, bot_id, currency) or Figures()

    def list_fills(
        self,
        user_id: str,
        *,
        bot_id: str,
        symbol: str,
        since: datetime | None,
        until: datetime | None,
        page_size: int,
        page_token: str,
    ) -> tuple[list[Recorded], str]:
        """Fills, newest first."""
        before = decode_token(page_token) if page_token else None
        with self.db.read() as conn:
            rows = store.page_entries(
                conn,
                user_id,
                kind=FILL,
                after=None,
                before=before if before is not None else MAX_SEQUENCE,
                limit=page_size + 1,
                bot_id=bot_id,
                symbol=symbol,
                since=since,
                until=until,
            )
        more = len(rows) > page_size
        rows = rows[:page_size]
        token = encode_token(rows[-1].sequence) if more else ""
        return [store.row_to_recorded(r) for r in rows], token

    def audit_trail(
        self, user_id: str, page_size: int, page_token: str
    ) -> tuple[list[Recorded], str]:
        """Every entry in sequence order with its hashes."""
        after = decode_token(page_token) if page_token else 0
        with self.db.read() as conn:
            rows = store.page_entries(
                conn, user_id, kind=None, after=after, before=None, limit=page_size + 1
            )
        more = len(rows) > page_size
        rows = rows[:page_size]
        token = encode_token(rows[-1].sequence) if more else ""
        return [store.row_to_recorded(r) for r in rows], token

    def get_entry(self, user_id: str, entry_id: str) -> Recorded:
        with self.db.read() as conn:
            row = store.find_by_ids(conn, user_id, [entry_id]).get(entry_id)
        if row is None:
            raise not_found(f"entry {entry_id!r}")
        return store.row_to_recorded(row)

    # --- verification ----------------------------------------------------------------------

    def verify(self, user_id: str) -> tuple[int, list[str]]:
        """Recompute the chain and every figure from the entries; list every mismatch."""
        return verify.verify(self.db, user_id)


def _mark(rows, marks: dict[str, Decimal]) -> tuple[list[PositionView], Decimal, bool]:
    """Open positions with unrealized PnL at the marks given: (views, total, any marked)."""
    views: list[PositionView] = []
    any_mark = False
    with localcontext(CTX):
        for r in rows:
            if r.amount == 0:
                continue
            qty = abs(r.amount)
            side = 1 if r.amount > 0 else -1
            mark = marks.get(r.symbol)
            # sum over lots of (mark - price) * qty * side, from the stored amount and cost
            upnl = (mark * qty - r.cost) * side if mark is not None else Decimal(0)
            any_mark = any_mark or mark is not None
            views.append(PositionView(r.bot_id, r.symbol, r.amount, r.cost / qty, mark, upnl))
        total = sum((v.unrealized_pnl for v in views), Decimal(0))
    return views, total, any_mark


def risk_from(figs: Figures, rows, base, marks: dict[str, Decimal], today: datetime) -> RiskMetrics:
    """The breaker's figures of one scope from its figures, its open positions (rows with
    bot_id, symbol, amount and cost) and its latest baseline, marked, as of ``today``."""
    _views, unrealized, _any = _mark(rows, marks)
    with localcontext(CTX):
        equity = figs.equity + unrealized
        peak = max(figs.risk_peak, equity)
        drawdown = (peak - equity) / peak if peak > 0 else Decimal(0)
        # no entry recorded today yet: the day started at the equity recorded last
        start = figs.day_start_equity if figs.day_start == today else figs.equity
        loss = start - equity
        daily = loss / start if start > 0 and loss > 0 else Decimal(0)
    return RiskMetrics(
        equity=equity,
        peak=peak,
        drawdown=drawdown,
        day_start_equity=start,
        daily_loss=daily,
        consecutive_losses=figs.risk_losses,
        baseline_sequence=base.after_sequence if base is not None else 0,
        baseline_at=base.at if base is not None else None,
    )


__all__ = ["LedgerService", "NewEntry", "Summary", "PositionView", "Bucket", "Countdown"]
