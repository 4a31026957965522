"""schemathesis against the running suite's /openapi.json with a valid user token: every
operation gets generated requests (valid and invalid, bounded per operation), and none may be
answered with a 5xx.

Two passes of the CLI (``st run``, as a subprocess): every operation with whatever ids it
generates (mostly unknown ones: 404), then the operations with an id in their path again with
the ids of the user's own bot and order, so that their generated bodies reach a real resource.
Each pass's output is kept in the test's temp dir and shown on failure.
RELIABILITY_FUZZ_EXAMPLES bounds the examples per operation (default 50).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.reliability.stack import Stack, order_body, reliability_pg
from tests.reliability.summary import report

ST = Path(sys.executable).parent / "st"
EXAMPLES = os.environ.get("RELIABILITY_FUZZ_EXAMPLES", "50")
SEED = os.environ.get("RELIABILITY_FUZZ_SEED", "20261125")


@pytest.fixture(scope="module")
def stack(tmp_path_factory) -> Iterator[Stack]:
    if not ST.exists():
        pytest.skip("schemathesis is not installed (pip install -e '.[dev]')")
    s = Stack(tmp_path_factory.mktemp("fuzz"), reliability_pg())
    s.start()
    try:
        yield s
    finally:
        s.stop()


def _run(stack: Stack, auth: dict, workdir: Path, *extra: str) -> tuple[int, str, str]:
    """One ``st run``; returns its exit status, its output and its summary line."""
    workdir.mkdir(exist_ok=True)
    cmd = [
        str(ST), "run", f"{stack.url}/openapi.json",
        "--header", f"Authorization: {auth['Authorization']}",
        "--checks", "not_a_server_error",
        "--max-examples", EXAMPLES,
        "--seed", SEED,
        "--workers", "2",
        "--request-timeout", "20",
        # a server-sent event stream never ends: it would only time out
        "--exclude-path", "/api/bots/events",
        "--output-truncate", "false",
        *extra,
    ]  # fmt: skip
    run = subprocess.run(
        cmd, cwd=workdir, capture_output=True, text=True, timeout=1800,
        env={**os.environ, "NO_COLOR": "1", "COLUMNS": "200"},
    )  # fmt: skip
    out = run.stdout + run.stderr
    (workdir / "schemathesis.txt").write_text(out)
    lines = [x.strip() for x in out.splitlines() if x.strip()]
    summary = next((x for x in reversed(lines) if re.search(r"\d+ (passed|failed)", x)), "?")
    return run.returncode, out, summary


def test_no_operation_answers_a_server_error(stack, tmp_path):
    auth = stack.register("fuzz@example.com")
    stack.fund(auth)
    stack.store_keys(auth)
    bot = stack.running_bot(auth, "fuzzed")
    r = stack.http.post("/api/orders/submit", json=order_body("fuzz-1", bot), headers=auth)
    assert r.status_code == 200, r.text
    order = r.json()["id"]

    code, out, summary = _run(stack, auth, tmp_path / "all")
    report(f"schemathesis, every operation ({EXAMPLES} examples each, seed {SEED}): {summary}")
    assert code == 0, f"{tmp_path / 'all' / 'schemathesis.txt'}\n{out[-20000:]}"

    config = tmp_path / "ids" / "schemathesis.toml"
    config.parent.mkdir()
    config.write_text(
        "\n".join(
            f'[[operations]]\ninclude-path-regex = "^/api/{kind}/"\n'
            f"parameters = {{ {json.dumps('path.id')} = {json.dumps(value)} }}\n"
            for kind, value in (("bots", bot), ("orders", order))
        )
    )
    code, out, summary = _run(stack, auth, tmp_path / "ids", "--include-path-regex", r"\{id\}")
    report(f"schemathesis, operations on the user's own bot and order: {summary}")
    assert code == 0, f"{tmp_path / 'ids' / 'schemathesis.txt'}\n{out[-20000:]}"
