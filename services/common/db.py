"""Database access for PostgreSQL (psycopg) and SQLite, each service in its own schema or file.

- PostgreSQL: the connection's search_path is the service's schema; migrations run under an
  advisory lock so that two replicas starting together migrate once.
- SQLite: a file per service, WAL, and write transactions that start with BEGIN IMMEDIATE so
  concurrent writers queue instead of failing on a lock upgrade.
- Money is stored losslessly: NUMERIC in PostgreSQL, canonical decimal text in SQLite (never
  through float). Times are timezone-aware UTC: TIMESTAMPTZ, or fixed-width ISO text in SQLite
  that sorts in time order.
"""

from __future__ import annotations

import json
import logging
import time
import weakref
from collections import namedtuple
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    DateTime,
    Engine,
    Integer,
    Numeric,
    String,
    TextClause,
    bindparam,
    create_engine,
    event,
    text,
)
from sqlalchemy.exc import DBAPIError, DisconnectionError, InvalidRequestError, StatementError
from sqlalchemy.sql import Executable
from sqlalchemy.types import TypeDecorator

from services.common.logs import log_event

log = logging.getLogger("amarktai.db")

_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def decimal_text(d: Decimal) -> str:
    """Canonical text of a decimal: no exponent, no trailing zeros, '0' for zero."""
    if not d.is_finite():
        raise ValueError(f"not a finite decimal: {d}")
    if d == 0:
        return "0"
    s = format(d, "f")
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return s


class Money(TypeDecorator):
    """A Decimal stored without loss: NUMERIC on PostgreSQL, text on SQLite."""

    impl = String
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "postgresql":
            return dialect.type_descriptor(Numeric(asdecimal=True))
        return dialect.type_descriptor(String(80))

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if not isinstance(value, Decimal):
            raise TypeError(f"Money takes Decimal, not {type(value).__name__}")
        return value if dialect.name == "postgresql" else decimal_text(value)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value if isinstance(value, Decimal) else Decimal(value)


class UtcDateTime(TypeDecorator):
    """A timezone-aware UTC datetime: TIMESTAMPTZ, or sortable ISO text on SQLite."""

    impl = String
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "postgresql":
            return dialect.type_descriptor(DateTime(timezone=True))
        return dialect.type_descriptor(String(32))

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value if dialect.name == "postgresql" else value.strftime(_TIME_FORMAT)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if isinstance(value, datetime):
            return value.astimezone(UTC)
        return datetime.strptime(value, _TIME_FORMAT).replace(tzinfo=UTC)


def serial_id(name: str = "id") -> Column:
    """An auto-incrementing integer primary key: BIGINT on PostgreSQL, INTEGER (the rowid)
    on SQLite, where only INTEGER PRIMARY KEY auto-increments."""
    return Column(
        name, BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )


Migration = Callable[[Connection], None]


class Database:
    """An engine for one service plus its unit-of-work helpers."""

    def __init__(self, url: str, schema: str, pool_size: int = 10) -> None:
        self.url = url
        self.schema = schema
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite:
            path = url.split("///", 1)[1] if "///" in url else ""
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            self.engine: Engine = create_engine(
                url,
                connect_args={"check_same_thread": False, "timeout": 60},
                pool_size=pool_size,
                max_overflow=pool_size,
            )
            _sqlite_events(self.engine)
        else:
            self.engine = create_engine(url, pool_size=pool_size, max_overflow=2 * pool_size)
            _postgres_events(self.engine, schema)
            _ping_when_idle(self.engine)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A read-write transaction (SQLite: BEGIN IMMEDIATE)."""
        with self.engine.begin() as conn:
            yield conn

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read transaction (SQLite: a deferred BEGIN, so readers do not queue)."""
        with self.engine.connect() as conn:
            conn = conn.execution_options(amarktai_read=True)
            with conn.begin():
                yield conn

    def autocommit_read(self) -> AbstractContextManager[Connection]:
        """Reads without a transaction of their own, for reads that need no more than each
        statement's own snapshot: on PostgreSQL every statement sees what was committed when
        it started, as in a READ COMMITTED transaction, without the BEGIN and COMMIT round
        trips. SQLite (in-process, no round trips): a read transaction, as ``read``."""
        return self._autocommit(self.read)

    def single_write(self) -> AbstractContextManager[Connection]:
        """For one write statement, atomic on its own: on PostgreSQL it commits by itself,
        without the BEGIN and COMMIT round trips (as durable: the commit waits for the WAL as
        any other). SQLite: a write transaction, as ``write``."""
        return self._autocommit(self.write)

    def read_together(self, steps: Sequence[tuple[Executable, Mapping[str, object]]]) -> list:
        """Reads from one snapshot, each statement's rows as ``run_together`` gives them.
        PostgreSQL: a REPEATABLE READ, READ ONLY transaction opened, read and closed in one
        round trip (psycopg's pipeline mode). SQLite: a read transaction (one snapshot too)."""
        with self._autocommit(self.read) as conn:
            if self.is_sqlite:
                return run_together(conn, steps)
            return _send(conn, steps, wrap=_SNAPSHOT)

    @contextmanager
    def write_starting(
        self, steps: Sequence[tuple[Executable, Mapping[str, object]]]
    ) -> Iterator[tuple[Connection, list]]:
        """A write transaction, as ``write``, that starts with ``steps``: the connection and
        their rows (as ``run_together`` gives them). PostgreSQL: BEGIN and the steps go in one
        round trip (the connection is in autocommit mode at the driver, the transaction
        opened by that BEGIN; everything in the block runs inside it, and it commits or rolls
        back at the end of the block as any other). SQLite: ``write`` and run_together."""
        with self._autocommit(self.write) as conn:
            if self.is_sqlite:
                yield conn, run_together(conn, steps)
                return
            with conn.begin():  # its COMMIT or ROLLBACK ends the transaction BEGIN opened
                yield conn, _send(conn, steps, wrap=_BEGUN)

    @contextmanager
    def _autocommit(self, on_sqlite: Callable) -> Iterator[Connection]:
        """A PostgreSQL connection in autocommit mode (no BEGIN or COMMIT of its own); on
        SQLite the unit of work ``on_sqlite`` (read or write) instead."""
        if self.is_sqlite:
            with on_sqlite() as conn:
                yield conn
            return
        with self.engine.connect() as conn:
            yield conn.execution_options(isolation_level="AUTOCOMMIT")

    def migrate(self, migrations: Sequence[Migration]) -> None:
        """Create the schema and apply the migrations not yet applied, in order, once."""
        with self.write() as conn:
            if not self.is_sqlite:
                conn.execute(
                    text("SELECT pg_advisory_xact_lock(hashtext(:k))"),
                    {"k": f"amarktai-migrate-{self.schema}"},
                )
                conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{self.schema}"'))
            conn.execute(
                text(
                    "CREATE TABLE IF NOT EXISTS schema_migrations "
                    "(version INTEGER PRIMARY KEY, applied_at VARCHAR(40) NOT NULL)"
                )
            )
            done = {r[0] for r in conn.execute(text("SELECT version FROM schema_migrations"))}
            for version, migration in enumerate(migrations, start=1):
                if version in done:
                    continue
                migration(conn)
                conn.execute(
                    text("INSERT INTO schema_migrations (version, applied_at) VALUES (:v, :t)"),
                    {"v": version, "t": datetime.now(UTC).isoformat()},
                )
                log_event(log, "migration_applied", schema=self.schema, version=version)

    def dispose(self) -> None:
        self.engine.dispose()


def _sqlite_events(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA busy_timeout=60000")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn):
        if conn.get_execution_options().get("amarktai_read"):
            conn.exec_driver_sql("BEGIN")
        else:
            conn.exec_driver_sql("BEGIN IMMEDIATE")


# A pooled connection idle for longer than this is pinged before it is handed out (a
# connection back in the pool this recently was working then). A connection that broke anyway
# fails its statement: the service answers UNAVAILABLE and SQLAlchemy, seeing the disconnect,
# invalidates the whole pool, so the next checkouts connect afresh.
PING_IDLE_SECONDS = 1.0


def _ping_when_idle(engine: Engine) -> None:
    """Pessimistic disconnect handling, as ``pool_pre_ping``, but only for connections that
    have sat idle: a ping on every checkout costs a round trip per transaction under load."""

    @event.listens_for(engine, "checkin")
    def _checkin(_dbapi_connection, record):
        if record is not None:
            record.info["amarktai_idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checkout(dbapi_connection, record, _proxy):
        since = record.info.get("amarktai_idle_since")
        if since is None or time.monotonic() - since < PING_IDLE_SECONDS:
            return  # new, or back in the pool a moment ago
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as exc:
            # the pool discards this connection and checks out another (a new one if needed)
            raise DisconnectionError(f"pooled connection failed its ping: {exc}") from exc


def _postgres_events(engine: Engine, schema: str) -> None:
    @event.listens_for(engine, "connect", insert=True)
    def _connect(dbapi_connection, _record):
        autocommit = dbapi_connection.autocommit
        dbapi_connection.autocommit = True
        cur = dbapi_connection.cursor()
        cur.execute(f'SET search_path TO "{schema}"')
        cur.close()
        dbapi_connection.autocommit = autocommit


# --- statements sent together -----------------------------------------------------------------

_TRACERS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # engine -> tracer
_COMPILED: dict[int, _Compiled] = {}  # id(statement) -> its compiled form (PostgreSQL)
_SNAPSHOT = ("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY", "COMMIT")
_BEGUN = ("BEGIN", None)  # the transaction goes on after the batch


def trace_batches(engine: Engine, tracer) -> None:
    """Give each batch of statements sent together on this engine a database span
    (SQLAlchemy's instrumentation, which spans every other statement, does not see them)."""
    _TRACERS[engine] = tracer


def run_together(
    conn: Connection,
    steps: Sequence[tuple[Executable, Mapping[str, object]]],
    commit: bool = False,
) -> list[list]:
    """Run statements one after the other in the connection's transaction and return each
    one's rows (by position and by column name, the columns' types applied as by
    ``conn.execute``). PostgreSQL: they are sent together in psycopg's pipeline mode, one
    round trip for all, each still run after the one before has finished (a statement after a
    lock sees what the lock holder committed). SQLite: one by one. A failure raises as
    SQLAlchemy's own errors do (DBAPIError, the connection invalidated if it was lost), and
    the caller's transaction is to be rolled back. ``commit``: the transaction is committed
    after them, in the same round trip on PostgreSQL. No statements (and no commit): nothing
    is sent."""
    if not steps and not commit:
        return []
    if conn.dialect.name != "postgresql":
        out = [_rows_of(conn.execute(q, dict(p))) for q, p in steps]
        if commit:
            conn.commit()
        return out
    return _send(conn, steps, commit=commit)


def _rows_of(result) -> list:
    return list(result) if result.returns_rows else []


class _Compiled:
    """A statement compiled for PostgreSQL once: its SQL, its parameters' processors, its
    result columns' names and processors."""

    def __init__(self, q: Executable, dialect) -> None:
        self.q = q
        # execution option prepare=False: the driver never prepares it (planned afresh with
        # its values each time, for a statement whose best plan changes as its tables grow)
        self.prepare = q.get_execution_options().get("prepare")
        self.compiled = q.compile(dialect=dialect)
        self.expanding = "POSTCOMPILE" in self.compiled.string
        self.binds = {
            name: bp.type.dialect_impl(dialect).bind_processor(dialect)
            for bp, name in self.compiled.bind_names.items()
        }
        cols = getattr(q, "selected_columns", None)
        if cols is None:
            cols = getattr(q, "exported_columns", None) or ()
        self.dialect = dialect
        self.types = [c.type.dialect_impl(dialect) for c in cols]
        self.row = namedtuple("Row", [c.key for c in cols], rename=True) if cols else None
        self.results: dict[tuple, list] = {}  # the result columns' type codes -> processors

    def bind(self, params: Mapping[str, object]) -> tuple[str, dict]:
        try:
            if self.expanding:  # IN lists: the SQL depends on their lengths
                state = self.compiled.construct_expanded_state(dict(params))
                sql, values, extra = state.statement, state.parameters, state.processors
            else:
                sql, extra = self.compiled.string, {}
                values = self.compiled.construct_params(dict(params))  # with its own literals
            out = {}
            for name, value in values.items():
                proc = self.binds.get(name) or extra.get(name)
                out[name] = proc(value) if proc is not None else value
            return sql, out
        except (TypeError, ValueError, InvalidRequestError) as exc:  # as SQLAlchemy: a value
            # missing or one the column's type refuses
            raise StatementError(str(exc), self.compiled.string, dict(params), exc) from exc

    def rows(self, raw: list[tuple], codes: tuple) -> list:
        if self.row is None:  # (a text() statement without its columns: as the driver gives)
            return [tuple(r) for r in raw]
        procs = self.results.get(codes)
        if procs is None:
            procs = self.results[codes] = [
                t.result_processor(self.dialect, code)
                for t, code in zip(self.types, codes, strict=True)
            ]
        return [
            self.row(
                *(v if p is None or v is None else p(v) for p, v in zip(procs, r, strict=True))
            )
            for r in raw
        ]


def _compiled(conn: Connection, q: Executable) -> _Compiled:
    hit = _COMPILED.get(id(q))
    if hit is None or hit.q is not q:
        hit = _COMPILED[id(q)] = _Compiled(q, conn.dialect)
    return hit


def _send(
    conn: Connection,
    steps: Sequence[tuple[Executable, Mapping[str, object]]],
    commit: bool = False,
    wrap: tuple[str, str | None] | None = None,
) -> list[list]:
    """The steps in one pipeline (PostgreSQL); ``wrap``: the statements that open and close
    it, on a connection in autocommit mode."""
    made = [_compiled(conn, q) for q, _ in steps]
    prepared = [(*c.bind(p), c.prepare) for c, (_, p) in zip(made, steps, strict=True)]
    tracer = _TRACERS.get(conn.engine)
    if tracer is None:
        raws = _pipeline(conn, prepared, commit, wrap)
    else:
        from opentelemetry import trace  # only when spans are exported

        with tracer.start_as_current_span(
            f"PIPELINE {len(prepared)} postgres", kind=trace.SpanKind.CLIENT
        ) as span:
            span.set_attribute("db.system", "postgresql")
            span.set_attribute("db.statement", ";\n".join(sql for sql, _, _ in prepared))
            raws = _pipeline(conn, prepared, commit, wrap)
    return [c.rows(raw, codes) for c, (raw, codes) in zip(made, raws, strict=True)]


_TUPLES_OK = 2  # psycopg.pq.ExecStatus.TUPLES_OK: the statement returns rows


def _result(cur) -> tuple[list[tuple], tuple]:
    """A statement's rows and its result columns' type codes, read from the result itself:
    ``cursor.description`` builds an object per column each time it is asked for, which cost
    more than the rest of a batch's statements together."""
    res = cur.pgresult
    if res is None or res.status != _TUPLES_OK:
        return [], ()
    return cur.fetchall(), tuple(res.ftype(i) for i in range(res.nfields))


def _pipeline(
    conn: Connection,
    prepared: list[tuple[str, dict, bool | None]],
    commit: bool,
    wrap: tuple[str, str | None] | None,
) -> list[tuple[list[tuple], tuple]]:
    """Each statement's rows and its result columns' type codes."""
    raw = conn.connection.driver_connection
    dbapi = conn.dialect.loaded_dbapi
    cursors, around = [], []
    opening, closing = wrap if wrap is not None else (None, None)
    try:
        with raw.pipeline():
            if opening:
                around.append(raw.cursor())
                around[-1].execute(opening)
            for sql, params, prepare in prepared:
                cur = raw.cursor()
                cur.execute(sql, params, prepare=prepare)
                cursors.append(cur)
            if closing:
                around.append(raw.cursor())
                around[-1].execute(closing)
            if commit:
                raw.commit()  # queued behind them: one round trip for all
        out = [_result(cur) for cur in cursors]
    except dbapi.Error as exc:
        lost = conn.dialect.is_disconnect(exc, raw, None)
        if lost:
            conn.invalidate(exc)
        raise DBAPIError.instance(
            ";\n".join(sql for sql, _, _ in prepared), None, exc, dbapi.Error,
            connection_invalidated=lost, dialect=conn.dialect,
        ) from exc  # fmt: skip
    finally:
        for cur in (*cursors, *around):
            cur.close()
    if commit:
        conn.commit()  # SQLAlchemy's side of it: the driver has nothing left to send
    return out


ROWS = 100  # rows per multi-row INSERT statement on SQLite


class RowsInsert:
    """INSERT of any number of rows into some columns of a table, then ``tail`` (an ON
    CONFLICT clause), returning the ``returning`` columns of the rows written (typed as
    those columns). PostgreSQL: one statement taking the rows as one JSON parameter
    (json_populate_recordset: each value turned into its column's type by the server:
    decimals and times as text, so exactly), so its text is the same whatever the number of
    rows and psycopg parses it once (it caches the parsing of short queries with at most 50
    parameters; multi-row VALUES would be parsed again on every call). SQLite: VALUES rows
    (ROWS a statement), each statement made once for each number of rows. The rows come back
    in no promised order: match them by a key."""

    def __init__(
        self, pg: bool, table, columns: Sequence[str], tail: str = "", returning=()
    ) -> None:
        self.pg, self.table, self.columns = pg, table, list(columns)
        self.returning = list(returning)
        names = ", ".join(f'"{c}"' for c in self.columns)
        self.head = f'INSERT INTO "{table.name}" ({names}) '
        self.tail = tail
        if self.returning:
            self.tail += " RETURNING " + ", ".join(f'"{c.name}"' for c in self.returning)
        self.statements: dict[int, TextClause] = {}
        if pg:
            self.json = self._typed(
                text(
                    f"{self.head}SELECT {names} FROM json_populate_recordset("
                    f'NULL::"{table.name}", CAST(:rows AS json)) {self.tail}'
                )
            )

    def _typed(self, q: TextClause):
        return q.columns(*self.returning) if self.returning else q

    def steps(self, rows: Sequence[Mapping[str, object]]) -> list:
        """The statements inserting the rows (none: none), for run_together."""
        if not rows:
            return []
        if self.pg:
            cols = self.columns
            values = [{c: _json_value(row[c]) for c in cols} for row in rows]
            return [(self.json, {"rows": json.dumps(values, separators=(",", ":"))})]
        out = []
        for start in range(0, len(rows), ROWS):
            chunk = rows[start : start + ROWS]
            values = {f"{c}_{i}": row[c] for i, row in enumerate(chunk) for c in self.columns}
            out.append((self._values(len(chunk)), values))
        return out

    def _values(self, n: int):
        statement = self.statements.get(n)
        if statement is None:
            rows = ", ".join(
                "(" + ", ".join(f":{c}_{i}" for c in self.columns) + ")" for i in range(n)
            )
            binds = [
                bindparam(f"{c}_{i}", type_=self.table.c[c].type)
                for i in range(n)
                for c in self.columns
            ]
            sql = f"{self.head}VALUES {rows} {self.tail}"
            statement = self.statements[n] = self._typed(text(sql).bindparams(*binds))
        return statement


def _json_value(value: object) -> object:
    """A column's value for json_populate_recordset: a decimal as its text (NUMERIC reads it
    exactly), a time as ISO text with its offset (never a naive one), the rest as it is."""
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"not a finite decimal: {value}")
        return str(value)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.isoformat()
    return value
