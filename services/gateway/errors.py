"""gRPC status -> HTTP, as grpc-gateway maps it, and the JSON error body.

Every error answer is ``{"code": <grpc code>, "message": "...", "details": [...]}`` where
``details`` are the google.rpc.Status details as JSON (each with its "@type"), read from the
``grpc-status-details-bin`` trailer the services send.
"""

from __future__ import annotations

import base64
from typing import Any

import grpc
from google.protobuf import any_pb2, json_format
from google.protobuf.message import DecodeError
from google.rpc import error_details_pb2, status_pb2

from services.common.errors import STATUS_CODES

DOMAIN = "gateway"
DETAILS_KEY = "grpc-status-details-bin"

_HTTP_STATUS = {
    grpc.StatusCode.OK: 200,
    grpc.StatusCode.CANCELLED: 499,
    grpc.StatusCode.UNKNOWN: 500,
    grpc.StatusCode.INVALID_ARGUMENT: 400,
    grpc.StatusCode.DEADLINE_EXCEEDED: 504,
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.ALREADY_EXISTS: 409,
    grpc.StatusCode.PERMISSION_DENIED: 403,
    grpc.StatusCode.UNAUTHENTICATED: 401,
    grpc.StatusCode.RESOURCE_EXHAUSTED: 429,
    grpc.StatusCode.FAILED_PRECONDITION: 400,
    grpc.StatusCode.ABORTED: 409,
    grpc.StatusCode.OUT_OF_RANGE: 400,
    grpc.StatusCode.UNIMPLEMENTED: 501,
    grpc.StatusCode.INTERNAL: 500,
    grpc.StatusCode.UNAVAILABLE: 503,
    grpc.StatusCode.DATA_LOSS: 500,
}


def http_status(code: grpc.StatusCode) -> int:
    return _HTTP_STATUS.get(code, 500)


class ApiError(Exception):
    """An answer other than 2xx, with the error body."""

    def __init__(
        self,
        code: grpc.StatusCode,
        message: str,
        details: list[dict[str, Any]] | None = None,
        *,
        status: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details or []
        self.status = http_status(code) if status is None else status
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        return {"code": self.code.value[0], "message": self.message, "details": self.details}


def _pack(*messages) -> list[dict[str, Any]]:
    out = []
    for m in messages:
        a = any_pb2.Any()
        a.Pack(m)
        out.append(json_format.MessageToDict(a))
    return out


def gateway_error(
    code: grpc.StatusCode, reason: str, message: str, *, status: int | None = None, **meta: str
) -> ApiError:
    """An error the gateway itself answers, with an ErrorInfo of domain "gateway"."""
    info = error_details_pb2.ErrorInfo(reason=reason, domain=DOMAIN, metadata=meta)
    return ApiError(code, message, _pack(info), status=status)


def bad_request(field: str, description: str, *, status: int = 400) -> ApiError:
    """Bad input caught before any call: INVALID_ARGUMENT naming the field."""
    info = error_details_pb2.ErrorInfo(reason="INVALID_ARGUMENT", domain=DOMAIN)
    violation = error_details_pb2.BadRequest.FieldViolation(field=field, description=description)
    details = _pack(info, error_details_pb2.BadRequest(field_violations=[violation]))
    message = f"{field}: {description}" if field else description
    return ApiError(grpc.StatusCode.INVALID_ARGUMENT, message, details, status=status)


def details_json(status: status_pb2.Status) -> list[dict[str, Any]]:
    out = []
    for detail in status.details:
        try:
            out.append(json_format.MessageToDict(detail))
        except TypeError:  # a detail type this gateway does not know: pass it on as bytes
            out.append({"@type": detail.type_url, "value": base64.b64encode(detail.value).decode()})
    return out


def rich_status(trailing_metadata, code: grpc.StatusCode) -> status_pb2.Status | None:
    """The google.rpc.Status from the trailers, when present and consistent with the code."""
    for key, value in trailing_metadata or ():
        if key != DETAILS_KEY:
            continue
        try:
            status = status_pb2.Status.FromString(value)
        except DecodeError:
            return None
        return status if STATUS_CODES.get(status.code) == code else None
    return None


def status_error(status: status_pb2.Status) -> ApiError:
    """The HTTP answer for a call a batch answered with this status (its item's error)."""
    code = STATUS_CODES.get(status.code, grpc.StatusCode.UNKNOWN)
    return ApiError(code, status.message or code.name, details_json(status))


def from_rpc_error(exc: grpc.aio.AioRpcError, domain: str, addr: str) -> ApiError:
    """The HTTP answer for a failed call to the ``domain`` service at ``addr``."""
    code = exc.code()
    status = rich_status(exc.trailing_metadata(), code)
    if status is not None:
        return ApiError(code, status.message or exc.details() or code.name, details_json(status))
    text = exc.details() or code.name
    if code == grpc.StatusCode.UNAVAILABLE:
        return gateway_error(
            code,
            "SERVICE_UNAVAILABLE",
            f"the {domain} service ({addr}) is unavailable: {text}",
            service=domain,
        )
    if code == grpc.StatusCode.DEADLINE_EXCEEDED:
        return gateway_error(
            code, "SERVICE_TIMEOUT", f"the {domain} service did not answer in time", service=domain
        )
    return ApiError(code, text)
