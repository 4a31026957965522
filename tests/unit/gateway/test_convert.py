"""Query, path and body -> request message; every bad value is a 400 naming the field."""

from __future__ import annotations

import pytest

from amarktai.common.v1 import trading_pb2
from amarktai.ledger.v1 import ledger_pb2 as pb
from services.gateway.convert import build_request, parse_json
from services.gateway.errors import ApiError
from services.gateway.fields import scalar
from services.gateway.routes import RouteTable
from tests.integration.gateway import synthetic

LEDGER = RouteTable.from_files([pb.DESCRIPTOR])
TEST = RouteTable.from_files([synthetic.FILE])


def route(table: RouteTable, method: str, path: str):
    return table.match(method, path)


def query(path: str, items: list[tuple[str, str]], table: RouteTable = LEDGER, method="GET"):
    binding, values = route(table, method, path)
    return build_request(binding, values, items)


def refused(fn, *args, **kwargs) -> ApiError:
    with pytest.raises(ApiError) as exc:
        fn(*args, **kwargs)
    assert exc.value.status == 400, exc.value.body()
    return exc.value


def violation(error: ApiError) -> str:
    [bad_request] = [d for d in error.details if d["@type"].endswith("BadRequest")]
    return bad_request["fieldViolations"][0]["field"]


@pytest.mark.parametrize(
    "text", ["daily", "DAILY", "Daily", "PROFIT_PERIOD_DAILY", "profit_period_daily", "1"]
)
def test_enum_by_short_name_in_any_case_full_name_or_number(text):
    assert query("/api/profits", [("period", text)]).period == pb.PROFIT_PERIOD_DAILY


@pytest.mark.parametrize("text", ["yearly", "7", "-1", "", "PERIOD_DAILY"])
def test_unknown_enum_value_is_refused_naming_the_field(text):
    error = refused(query, "/api/profits", [("period", text)])
    assert violation(error) == "period"
    assert "daily, weekly, monthly" in error.message


def test_repeated_by_repeating_the_key_and_by_commas():
    r = query(
        "/api/portfolio/summary",
        [("marks", "BTC/USDT=100"), ("marks", "ETH/USDT=5,SOL/USDT=1")],
    )
    assert list(r.marks) == ["BTC/USDT=100", "ETH/USDT=5", "SOL/USDT=1"]


def test_timestamps_from_rfc3339_with_any_offset():
    r = query(
        "/api/ledger/fills",
        [("since", "2026-03-09T12:00:00+02:00"), ("until", "2026-03-10T00:00:00.5Z")],
    )
    # 12:00 at +02:00 is 10:00 UTC; 1773014400 is 2026-03-09T00:00:00Z
    assert r.since.seconds == 1773014400 + 10 * 3600
    assert (r.until.seconds, r.until.nanos) == (1773014400 + 24 * 3600, 500_000_000)
    for bad in ("yesterday", "2026-03-09", "2026-03-09T10:00:00"):
        assert violation(refused(query, "/api/ledger/fills", [("since", bad)])) == "since"


def test_snake_and_camel_names_and_whole_numbers():
    assert query("/api/ledger/fills", [("page_size", "5")]).page_size == 5
    assert query("/api/ledger/fills", [("pageSize", "5"), ("botId", "b1")]).bot_id == "b1"
    for bad in ("abc", "1e3", "5.0", "1_000", " 5", "2147483648"):
        assert violation(refused(query, "/api/ledger/fills", [("page_size", bad)])) == "page_size"


def test_int64_from_text_exactly_and_in_range():
    field = pb.Fill.DESCRIPTOR.fields_by_name["sequence"]
    assert scalar(field, "9007199254740993", "sequence") == 9007199254740993  # > 2**53
    assert scalar(field, "-9223372036854775808", "sequence") == -(2**63)
    refused(scalar, field, "9223372036854775808", "sequence")


def test_bools():
    field = pb.VerifyResponse.DESCRIPTOR.fields_by_name["ok"]
    assert [scalar(field, t, "ok") for t in ("true", "FALSE", "1", "0")] == [
        True,
        False,
        True,
        False,
    ]
    assert violation(refused(scalar, field, "yes", "ok")) == "ok"


def test_a_single_field_given_twice_an_unknown_parameter_and_a_body_field_in_the_query():
    twice = [("currency", "USDT"), ("currency", "EUR")]
    assert "more than once" in refused(query, "/api/portfolio/summary", twice).message
    assert violation(refused(query, "/api/profits", [("perod", "daily")])) == "perod"
    error = refused(query, "/api/ledger/fills", [("fill.amount", "1")], method="POST")
    assert "body" in error.message


@pytest.mark.parametrize("name", ["include_risk", "includeRisk", "risk_marks", "riskMarks"])
def test_a_field_for_the_services_only_is_not_a_parameter(name):
    """RecordFill's include_risk and risk_marks are for the orders service: over HTTP they
    are as unknown as any misspelt name."""
    error = refused(query, "/api/ledger/fills", [(name, "true")], method="POST")
    assert violation(error) == name
    assert "not a parameter" in error.message


def fill_body(body):
    binding, values = route(LEDGER, "POST", "/api/ledger/fills")
    return build_request(binding, values, [], body)


def test_body_field_binding_the_json_is_the_fill():
    r = fill_body(
        {
            "fillId": "a",
            "bot_id": "b1",
            "side": "SIDE_SELL",
            "amount": "4",
            "executedAt": "2026-03-09T10:00:00Z",
        }
    )
    assert (r.fill.fill_id, r.fill.bot_id, r.fill.amount) == ("a", "b1", "4")
    assert r.fill.side == trading_pb2.SIDE_SELL
    assert r.fill.executed_at.seconds == 1773014400 + 10 * 3600
    assert not fill_body(None).HasField("fill")


@pytest.mark.parametrize(
    "body, field",
    [
        ({"amount": 5}, "amount"),
        ({"amount": True}, "amount"),
        ({"bogus": "1"}, "bogus"),
        ({"fillId": "a", "fill_id": "b"}, "fill_id"),
        ({"side": "BUY"}, "side"),
        ({"side": 99}, "side"),
        ({"side": 1.5}, "side"),
        ({"executedAt": "yesterday"}, "executedAt"),
        ({"executedAt": 5}, "executedAt"),
        ({"sequence": "abc"}, "sequence"),
        ([], "body"),
        ("fill", "body"),
    ],
)
def test_bad_bodies_are_refused_naming_the_field(body, field):
    assert violation(refused(fill_body, body)) == field


@pytest.mark.parametrize(
    "raw",
    [
        b'{"a": 1',
        b'{"a": NaN}',
        b'{"a": Infinity}',
        b'{"a": 1, "a": 2}',
        b"\xff\xfe",
        b"[" * 100_000,
    ],
)
def test_malformed_json_is_refused(raw):
    assert violation(refused(parse_json, raw)) in ("body", "a")


def test_empty_body_is_none():
    assert parse_json(b"  \n") is None
    assert parse_json(b'{"a": "1"}') == {"a": "1"}


def test_path_variables_and_literal_route():
    r = query("/api/test/things/t%201", [("tags", "a,b"), ("tags", "c")], TEST)
    assert (r.id, list(r.tags)) == ("t 1", ["a", "b", "c"])
    assert violation(refused(query, "/api/test/things/t1", [("id", "x")], TEST)) == "id"


def test_idempotency_key_header_fills_the_field_unless_the_body_set_it():
    binding, values = route(TEST, "POST", "/api/test/things")
    r = build_request(binding, values, [], {"name": "x"}, idempotency_key="k1")
    assert r.idempotency_key == "k1"
    r = build_request(binding, values, [], {"idempotencyKey": "mine"}, idempotency_key="k1")
    assert r.idempotency_key == "mine"
    binding, values = route(TEST, "PUT", "/api/test/things/n1")
    r = build_request(binding, values, [], {"name": "ignored"}, idempotency_key="k2")
    assert (r.name, r.idempotency_key) == ("n1", "k2")  # the path wins over the body


def test_last_event_id_goes_into_after_sequence():
    binding, values = route(TEST, "GET", "/api/test/events")
    assert build_request(binding, values, [], last_event_id="41").after_sequence == 41
    r = build_request(binding, values, [("after_sequence", "7")], last_event_id="41")
    assert r.after_sequence == 7
    assert violation(refused(build_request, binding, values, [], last_event_id="x")) == (
        "Last-Event-ID"
    )
