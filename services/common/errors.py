"""Application errors and their gRPC form: google.rpc.Status with ErrorInfo and BadRequest.

Use cases raise AppError (never a grpc type); the server wrapper turns it into a status with
details, so the gateway and every client see a machine-readable reason.
"""

from __future__ import annotations

import grpc
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2


class AppError(Exception):
    def __init__(
        self,
        code: grpc.StatusCode,
        reason: str,
        message: str,
        *,
        violations: list[tuple[str, str]] | None = None,
        metadata: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.violations = violations or []
        self.metadata = metadata or {}

    def to_status(self, domain: str) -> status_pb2.Status:
        details = []
        info = error_details_pb2.ErrorInfo(reason=self.reason, domain=domain)
        for key, value in self.metadata.items():
            info.metadata[key] = value
        details.append(info)
        if self.violations:
            details.append(
                error_details_pb2.BadRequest(
                    field_violations=[
                        error_details_pb2.BadRequest.FieldViolation(field=f, description=d)
                        for f, d in self.violations
                    ]
                )
            )
        packed = []
        for d in details:
            a = any_pb2.Any()
            a.Pack(d)
            packed.append(a)
        return status_pb2.Status(code=self.code.value[0], message=self.message, details=packed)


def invalid(field: str, description: str) -> AppError:
    """Bad input: INVALID_ARGUMENT naming the field."""
    return AppError(
        grpc.StatusCode.INVALID_ARGUMENT,
        "INVALID_ARGUMENT",
        f"{field}: {description}",
        violations=[(field, description)],
    )


def invalid_many(violations: list[tuple[str, str]]) -> AppError:
    message = "; ".join(f"{f}: {d}" for f, d in violations)
    return AppError(
        grpc.StatusCode.INVALID_ARGUMENT, "INVALID_ARGUMENT", message, violations=violations
    )


def not_found(what: str, reason: str = "NOT_FOUND") -> AppError:
    return AppError(grpc.StatusCode.NOT_FOUND, reason, f"{what} not found")


def already_exists(reason: str, message: str) -> AppError:
    return AppError(grpc.StatusCode.ALREADY_EXISTS, reason, message)


def failed_precondition(reason: str, message: str, **metadata: str) -> AppError:
    return AppError(grpc.StatusCode.FAILED_PRECONDITION, reason, message, metadata=metadata)


def unauthenticated(message: str) -> AppError:
    return AppError(grpc.StatusCode.UNAUTHENTICATED, "UNAUTHENTICATED", message)


def permission_denied(reason: str, message: str) -> AppError:
    return AppError(grpc.StatusCode.PERMISSION_DENIED, reason, message)


# grpc's status codes by their number (a google.rpc.Status carries the number)
STATUS_CODES = {code.value[0]: code for code in grpc.StatusCode}


def status_code_name(code: int) -> str:
    return code_pb2.Code.Name(code)
