"""Path templates and the route table: literal beats variable, 404 vs 405, decoding."""

from __future__ import annotations

import pytest

from amarktai.ledger.v1 import ledger_pb2
from services.gateway.routes import Binding, MethodNotAllowed, NoRoute, RouteTable, domain_of
from services.gateway.template import BadPath, TemplateError, parse_template

LEDGER = ledger_pb2.DESCRIPTOR.services_by_name["LedgerService"]


def binding(method: str, template: str, rpc: str = "GetProfits") -> Binding:
    return Binding(
        http_method=method,
        template=parse_template(template),
        body="",
        response_body="",
        service=LEDGER.full_name,
        domain="ledger",
        method=LEDGER.methods_by_name[rpc],
    )


def test_variables_match_one_segment_and_decode():
    t = parse_template("/api/bots/{id}")
    assert t.match("/api/bots/b1") == {"id": "b1"}
    assert t.match("/api/bots/my%20bot") == {"id": "my bot"}
    assert t.match("/api/bots/a%2Fb") == {"id": "a/b"}
    assert t.match("/api/bots") is None
    assert t.match("/api/bots/") is None  # an empty variable is no match
    assert t.match("/api/bots/b1/start") is None


def test_nested_field_paths_multi_segment_variables_and_verbs():
    assert parse_template("/v1/{order.id}/status").match("/v1/o-1/status") == {"order.id": "o-1"}
    t = parse_template("/v1/{name=shelves/*/books/*}")
    assert t.match("/v1/shelves/s1/books/b2") == {"name": "shelves/s1/books/b2"}
    assert t.match("/v1/shelves/s1/pens/b2") is None
    rest = parse_template("/files/{path=**}")
    assert rest.match("/files/a/b/c") == {"path": "a/b/c"}
    verb = parse_template("/v1/orders/{id}:cancel")
    assert verb.match("/v1/orders/o1:cancel") == {"id": "o1"}
    assert verb.match("/v1/orders/o1") is None


@pytest.mark.parametrize(
    "text",
    ["api/x", "/api/{id", "/api/{}", "/api/{a}/{a}", "/api/**/x", "/api//x", "/a/{b{c}}"],
)
def test_bad_templates_are_refused(text):
    with pytest.raises(TemplateError):
        parse_template(text)


def test_literal_segment_beats_variable_whatever_the_order():
    for order in (1, -1):
        table = RouteTable(
            [
                binding("GET", "/api/bots/{id}", "GetProfits"),
                binding("GET", "/api/bots/events", "ListFills"),
            ][::order]
        )
        events, values = table.match("GET", "/api/bots/events")
        assert events.method.name == "ListFills" and values == {}
        bot, values = table.match("GET", "/api/bots/b7")
        assert bot.method.name == "GetProfits" and values == {"id": "b7"}


def test_method_decides_among_templates_then_405_then_404():
    table = RouteTable(
        [
            binding("GET", "/api/bots/{id}", "GetProfits"),
            binding("POST", "/api/bots/pause-all", "RecordFill"),
        ]
    )
    # POST picks the literal route; GET of the same path is the variable route
    assert table.match("POST", "/api/bots/pause-all")[0].method.name == "RecordFill"
    assert table.match("GET", "/api/bots/pause-all")[1] == {"id": "pause-all"}
    with pytest.raises(MethodNotAllowed) as exc:
        table.match("DELETE", "/api/bots/pause-all")
    assert exc.value.allowed == ("GET", "POST")
    with pytest.raises(NoRoute):
        table.match("GET", "/api/nothing")


def test_the_same_route_bound_twice_is_refused():
    with pytest.raises(TemplateError, match="bound to both"):
        RouteTable([binding("GET", "/api/x/{id}"), binding("GET", "/api/x/{name}", "ListFills")])


def test_bad_percent_encoding_is_a_bad_path():
    with pytest.raises(BadPath):
        parse_template("/api/bots/{id}").match("/api/bots/%ff%fe")


def test_discovery_reads_every_compiled_service_and_its_http_options():
    table = RouteTable.discover()
    routes = {(b.http_method, b.template.text): b for b in table.bindings}
    fills = routes[("POST", "/api/ledger/fills")]
    assert (fills.body, fills.method.name, fills.domain) == ("fill", "RecordFill", "ledger")
    assert ("GET", "/api/profits") in routes
    # RPCs without an http option (internal ones) get no route
    assert all(b.method.name not in ("RecordFills", "GetBotStats") for b in table.bindings)
    assert "ledger" in table.domains


def test_domain_is_the_package_name_before_its_version():
    assert domain_of("amarktai.ledger.v1.LedgerService") == "ledger"
    assert domain_of("amarktai.bots.v2beta.BotService") == "bots"
