"""Verification: the hash chain and every figure recomputed from a user's entries.

Two independent checks read the same rows in sequence order:
- the chain: gapless sequence, each entry's canonical text, prev_hash and hash;
- the figures: every entry applied to a fresh Book (with the risk baselines where they were
  taken), its derived PnL compared with what was stored, then every stored position, figure,
  bucket and equity day compared with the recomputation.

Small ledgers run both in one pass. A large ledger on PostgreSQL runs the chain in a second
process inside the same snapshot (pg_export_snapshot), so the two cores share the work and
both checks see exactly the same rows, whatever is recorded meanwhile.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

from services.common.db import Database
from services.ledger import store
from services.ledger.accounting import Book
from services.ledger.domain import GENESIS, DomainError, canonical, entry_hash
from services.ledger.model import Derived, Entry

PARALLEL_FROM = 100_000  # entries; below this a second process costs more than it saves
_N = len(store.ENTRY_FIELDS)

Problem = tuple[int, str]  # (sequence, message): merged in sequence order


@dataclass
class ChainCheck:
    count: int = 0
    prev: str = GENESIS
    problems: list[Problem] = field(default_factory=list)

    def step(self, row: tuple, entry: Entry) -> None:
        self.count += 1
        s, prev_hash, hash_, stored_text = row[_N : _N + 4]
        if s != self.count:
            self.problems.append((s, f"sequence {s}: expected {self.count} (gap or reorder)"))
        text = canonical(entry.canonical_fields())
        if text != stored_text:
            self.problems.append(
                (s, f"sequence {s}: stored fields differ from their canonical form")
            )
        if prev_hash != self.prev:
            self.problems.append((s, f"sequence {s}: prev_hash does not link to the entry before"))
        h = entry_hash(self.prev, s, text)
        if h != hash_:
            self.problems.append((s, f"sequence {s}: hash mismatch"))
        self.prev = h


@dataclass
class FigureCheck:
    baselines: list
    book: Book = field(default_factory=Book)
    problems: list[Problem] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._after = {b.after_sequence for b in self.baselines}
        self._baselines_after(0)

    def _baselines_after(self, sequence: int) -> None:
        for b in self.baselines:
            if b.after_sequence == sequence:
                self.book.apply_baseline((b.scope, b.currency), b.at)

    def step(self, row: tuple, entry: Entry) -> None:
        s, recorded_at, realized, net, fee_value = row[_N], *row[_N + 4 :]
        try:
            derived = self.book.apply(entry, recorded_at)
        except DomainError as exc:  # a changed row may no longer be a valid entry
            self.problems.append((s, f"sequence {s}: cannot be applied: {exc}"))
            return
        finally:
            if s in self._after:
                self._baselines_after(s)
        if (derived.realized_pnl, derived.net_pnl, derived.fee_value) != (realized, net, fee_value):
            stored = Derived(realized, net, fee_value)
            self.problems.append((s, f"sequence {s}: derived PnL {stored} != {derived}"))

    def compare(self, state: dict[str, dict]) -> list[str]:
        problems = []
        for name, ours in (
            ("positions", self.book.positions),
            ("figures", self.book.figures),
            ("buckets", self.book.buckets),
            ("days", self.book.days),
        ):
            stored = state[name]
            for key in sorted(set(ours) | set(stored), key=str):
                if ours.get(key) != stored.get(key):
                    problems.append(
                        f"{name} {key}: stored {stored.get(key)} != recomputed {ours.get(key)}"
                    )
        return problems


def verify(db: Database, user_id: str) -> tuple[int, list[str]]:
    """(entries checked, every problem found); no problems means chain and figures hold."""
    with db.read() as conn:
        store.snapshot(conn)
        figures = FigureCheck(store.all_baselines(conn, user_id))
        head = store.head_row(conn, user_id)
        if db.dialect == "postgresql" and head is not None and head[0] >= PARALLEL_FROM:
            snapshot_id = conn.exec_driver_sql("SELECT pg_export_snapshot()").scalar_one()
            spawn = multiprocessing.get_context("spawn")
            with ProcessPoolExecutor(max_workers=1, mp_context=spawn) as pool:
                job = pool.submit(_chain_in_snapshot, db.url, db.schema, snapshot_id, user_id)
                for row in store.figure_rows(conn, user_id):
                    figures.step(row, Entry.from_stored(row[:_N]))
                state = store.all_state(conn, user_id)
                chain = job.result()  # the exporting transaction stays open until here
        else:
            chain = ChainCheck()
            for row in store.entry_rows(conn, user_id):
                entry = Entry.from_stored(row[:_N])
                chain.step(row, entry)
                figures.step(row, entry)
            state = store.all_state(conn, user_id)
    # per entry: the chain's findings, then the figures', as one pass would give them
    merged = sorted(chain.problems + figures.problems, key=lambda p: p[0])
    problems = [message for _, message in merged]
    if head is not None and (head[0] != chain.count or head[1] != chain.prev):
        problems.append(f"head at {head[0]} does not match the last entry {chain.count}")
    problems.extend(figures.compare(state))
    return chain.count, problems


def _chain_in_snapshot(url: str, schema: str, snapshot_id: str, user_id: str) -> ChainCheck:
    """In the second process: the chain check of the rows the exported snapshot holds."""
    db = Database(url, schema, pool_size=1)
    try:
        with db.read() as conn:
            conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            conn.exec_driver_sql(f"SET TRANSACTION SNAPSHOT '{_snapshot_literal(snapshot_id)}'")
            chain = ChainCheck()
            for row in store.entry_rows(conn, user_id):
                chain.step(row, Entry.from_stored(row[:_N]))
            return chain
    finally:
        db.dispose()


def _snapshot_literal(snapshot_id: str) -> str:
    """A snapshot id as PostgreSQL makes them (hex and dashes); anything else is refused."""
    if not snapshot_id or any(c not in "0123456789ABCDEFabcdef-" for c in snapshot_id):
        raise ValueError(f"not a snapshot id: {snapshot_id!r}")
    return snapshot_id
