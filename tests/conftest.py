"""Shared fixtures: databases (SQLite and PostgreSQL both), tokens, in-process servers.

PostgreSQL: AMARKTAI_TEST_POSTGRES_URL names it (.ci/run sets it) and then every PostgreSQL
test must reach it or fail. Without it, the default local server is tried once; if it is not
there, the PostgreSQL half is skipped and the run says so plainly at the end.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy

from services.common.db import Database

JWT_SECRET = "test-secret-" + "x" * 40
_DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/postgres"
_pg_state: dict[str, object] = {}


def pg_url() -> str | None:
    """The PostgreSQL URL for tests, or None when none is configured and none answers."""
    if "url" in _pg_state:
        return _pg_state["url"]  # type: ignore[return-value]
    url = os.environ.get("AMARKTAI_TEST_POSTGRES_URL")
    required = url is not None
    url = url or _DEFAULT_PG
    sa_url = url.replace("postgresql://", "postgresql+psycopg://", 1)
    try:
        engine = sqlalchemy.create_engine(sa_url, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(sqlalchemy.text("select 1"))
        engine.dispose()
    except sqlalchemy.exc.OperationalError as exc:
        if required:
            raise RuntimeError(
                f"AMARKTAI_TEST_POSTGRES_URL is set but PostgreSQL cannot be reached: {exc}"
            ) from exc
        _pg_state["url"] = None
        _pg_state["why"] = str(exc).splitlines()[0]
        return None
    _pg_state["url"] = sa_url
    return sa_url


def pytest_report_header(config):
    url = pg_url()
    return f"postgresql: {'available' if url else 'NOT available: PostgreSQL tests will skip'}"


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if _pg_state.get("url", "unset") is None:
        terminalreporter.write_line(
            "NOTE: PostgreSQL was not reachable, so the PostgreSQL half of the database tests "
            f"did NOT run ({_pg_state.get('why')}). Set AMARKTAI_TEST_POSTGRES_URL to run it.",
            yellow=True,
            bold=True,
        )


def make_database(dialect: str, tmp_path, schema_prefix: str = "t") -> Database:
    if dialect == "sqlite":
        return Database(f"sqlite:///{tmp_path / f'{uuid.uuid4().hex[:8]}.db'}", "main")
    url = pg_url()
    if url is None:
        pytest.skip("PostgreSQL not available")
    return Database(url, f"{schema_prefix}_{uuid.uuid4().hex[:12]}")


def drop_database(db: Database) -> None:
    if not db.is_sqlite:
        with db.engine.begin() as conn:
            conn.execute(sqlalchemy.text(f'DROP SCHEMA IF EXISTS "{db.schema}" CASCADE'))
    db.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def dialect(request) -> str:
    return request.param


@pytest.fixture
def fresh_db(dialect, tmp_path) -> Iterator[Database]:
    db = make_database(dialect, tmp_path)
    yield db
    drop_database(db)
