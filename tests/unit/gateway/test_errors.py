"""gRPC status -> HTTP status and the JSON error body with the status details."""

from __future__ import annotations

import grpc
import pytest
from grpc.aio import AioRpcError, Metadata

from services.common.errors import already_exists, invalid
from services.gateway.errors import from_rpc_error, http_status

C = grpc.StatusCode


@pytest.mark.parametrize(
    "code, status",
    [
        (C.INVALID_ARGUMENT, 400),
        (C.FAILED_PRECONDITION, 400),
        (C.OUT_OF_RANGE, 400),
        (C.UNAUTHENTICATED, 401),
        (C.PERMISSION_DENIED, 403),
        (C.NOT_FOUND, 404),
        (C.ALREADY_EXISTS, 409),
        (C.ABORTED, 409),
        (C.RESOURCE_EXHAUSTED, 429),
        (C.CANCELLED, 499),
        (C.UNIMPLEMENTED, 501),
        (C.UNAVAILABLE, 503),
        (C.DEADLINE_EXCEEDED, 504),
        (C.INTERNAL, 500),
        (C.UNKNOWN, 500),
        (C.DATA_LOSS, 500),
    ],
)
def test_status_mapping_is_grpc_gateways(code, status):
    assert http_status(code) == status


def rpc_error(code, details, trailers=()):
    return AioRpcError(code, Metadata(), Metadata(*trailers), details=details)


def test_details_come_from_the_status_trailer_as_json_with_type():
    status = invalid("amount", "must be positive").to_status("ledger")
    exc = rpc_error(
        C.INVALID_ARGUMENT,
        status.message,
        [("grpc-status-details-bin", status.SerializeToString())],
    )
    error = from_rpc_error(exc, "ledger", "127.0.0.1:50051")
    assert error.status == 400
    assert error.body() == {
        "code": 3,
        "message": "amount: must be positive",
        "details": [
            {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": "INVALID_ARGUMENT",
                "domain": "ledger",
            },
            {
                "@type": "type.googleapis.com/google.rpc.BadRequest",
                "fieldViolations": [{"field": "amount", "description": "must be positive"}],
            },
        ],
    }


def test_a_trailer_whose_code_disagrees_is_ignored():
    status = already_exists("DUP", "exists").to_status("ledger")
    exc = rpc_error(C.INTERNAL, "boom", [("grpc-status-details-bin", status.SerializeToString())])
    error = from_rpc_error(exc, "ledger", "x:1")
    assert (error.status, error.body()) == (500, {"code": 13, "message": "boom", "details": []})


def test_a_service_that_is_down_is_named():
    error = from_rpc_error(rpc_error(C.UNAVAILABLE, "connection refused"), "ledger", "h:1")
    assert error.status == 503
    assert "ledger" in error.message and "h:1" in error.message
    assert error.details[0]["metadata"] == {"service": "ledger"}
    error = from_rpc_error(rpc_error(C.DEADLINE_EXCEEDED, "Deadline Exceeded"), "bots", "h:2")
    assert error.status == 504 and "bots" in error.message
