"""The OpenAPI document generated from the descriptors."""

from __future__ import annotations

from amarktai.ledger.v1 import ledger_pb2
from services.gateway.openapi import build_openapi
from services.gateway.routes import RouteTable
from tests.integration.gateway import synthetic

DOC = build_openapi(RouteTable.from_files([ledger_pb2.DESCRIPTOR, synthetic.FILE]))
SCHEMAS = DOC["components"]["schemas"]


def params(op):
    return {p["name"]: p for p in op.get("parameters", [])}


def test_every_route_with_its_method():
    paths = DOC["paths"]
    assert set(paths["/api/ledger/fills"]) == {"get", "post"}
    assert "get" in paths["/api/profits"] and "get" in paths["/api/test/things/{id}"]
    assert "put" in paths["/api/test/things/{name}"]  # an additional binding
    assert {"/healthz", "/readyz", "/openapi.json"} <= set(paths)


def test_query_and_path_parameters_with_types():
    profits = params(DOC["paths"]["/api/profits"]["get"])
    assert profits["period"]["schema"] == {
        "$ref": "#/components/schemas/amarktai.ledger.v1.ProfitPeriod"
    }
    assert SCHEMAS["amarktai.ledger.v1.ProfitPeriod"] == {
        "type": "string",
        "enum": [
            "PROFIT_PERIOD_UNSPECIFIED",
            "PROFIT_PERIOD_DAILY",
            "PROFIT_PERIOD_WEEKLY",
            "PROFIT_PERIOD_MONTHLY",
        ],
    }
    fills = params(DOC["paths"]["/api/ledger/fills"]["get"])
    assert fills["since"]["schema"] == {"type": "string", "format": "date-time"}
    assert fills["page_size"]["schema"] == {"type": "integer", "format": "int32"}
    marks = params(DOC["paths"]["/api/portfolio/summary"]["get"])["marks"]
    assert marks["schema"] == {"type": "array", "items": {"type": "string"}}
    thing = params(DOC["paths"]["/api/test/things/{id}"]["get"])
    assert thing["id"]["in"] == "path" and thing["id"]["required"] is True
    assert thing["tags"]["in"] == "query"


def test_request_bodies_responses_and_errors():
    post = DOC["paths"]["/api/ledger/fills"]["post"]
    body = post["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/amarktai.ledger.v1.Fill"}
    assert "parameters" not in post  # the only field is the body
    fill = SCHEMAS["amarktai.ledger.v1.Fill"]["properties"]
    assert fill["amount"] == {"type": "string"} and fill["sequence"]["format"] == "int64"
    assert fill["side"] == {"$ref": "#/components/schemas/amarktai.common.v1.Side"}
    ok = post["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok == {"$ref": "#/components/schemas/amarktai.ledger.v1.RecordFillResponse"}
    error = post["responses"]["default"]["content"]["application/json"]["schema"]
    assert error == {"$ref": "#/components/schemas/Error"}
    assert set(SCHEMAS["Error"]["properties"]) == {"code", "message", "details"}
    stream = DOC["paths"]["/api/test/events"]["get"]["responses"]["200"]["content"]
    assert "text/event-stream" in stream


def test_bearer_security():
    assert DOC["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert DOC["security"] == [{"bearerAuth": []}]
    assert DOC["paths"]["/healthz"]["get"]["security"] == []


def test_register_and_login_need_no_token_and_the_rest_do():
    from services.gateway.openapi import build_openapi
    from services.gateway.routes import RouteTable

    doc = build_openapi(RouteTable.discover())
    assert doc["paths"]["/api/auth/login"]["post"]["security"] == []
    assert doc["paths"]["/api/auth/register"]["post"]["security"] == []
    assert "security" not in doc["paths"]["/api/portfolio/summary"]["get"]
    assert doc["security"] == [{"bearerAuth": []}]


def test_fields_for_the_services_only_are_not_in_the_document():
    """RecordFill's include_risk and risk_marks (and the answer's risk) are the orders
    service's: no query parameter, no schema property."""
    post = DOC["paths"]["/api/ledger/fills"]["post"]
    assert "parameters" not in post
    assert "risk" not in SCHEMAS["amarktai.ledger.v1.RecordFillResponse"]["properties"]
    assert set(SCHEMAS["amarktai.ledger.v1.RecordFillResponse"]["properties"]) == {
        "fill",
        "replayed",
    }
