"""Calls to the other services: one channel each, made once at start, with a service token
acting for the user and a capped deadline on every call.

A failure becomes an AppError: UNAVAILABLE (and a deadline passed) names the service; any other
refusal keeps its code, reason, message and field violations, so e.g. auth's verdict on a TOTP
code reaches the caller as auth gave it. Only UNAVAILABLE is retried, and only for reads.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import grpc
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from opentelemetry.sdk.trace import TracerProvider

from services.common.auth import issue_service_token
from services.common.errors import AppError
from services.common.tracing import client_interceptors

T = TypeVar("T")
SERVICE = "bots"  # the name in our service tokens


def app_error(service: str, err: grpc.aio.AioRpcError) -> AppError:
    code = err.code()
    if code == grpc.StatusCode.UNAVAILABLE:
        return AppError(code, "DEPENDENCY_UNAVAILABLE", f"the {service} service is unavailable")
    if code == grpc.StatusCode.DEADLINE_EXCEEDED:
        return AppError(
            grpc.StatusCode.UNAVAILABLE,
            "DEPENDENCY_TIMEOUT",
            f"the {service} service did not answer in time",
        )
    reason, metadata, violations = code.name, {}, []
    status = rpc_status.from_call(err)
    for detail in status.details if status is not None else ():
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            reason, metadata = info.reason, dict(info.metadata)
        elif detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            detail.Unpack(bad)
            violations = [(v.field, v.description) for v in bad.field_violations]
    message = err.details() or f"the {service} service refused the call"
    return AppError(code, reason, message, violations=violations, metadata=metadata)


class Downstream:
    """One other service: its channel and how to call it for a user."""

    def __init__(
        self,
        service: str,
        addr: str,
        jwt_secret: str,
        provider: TracerProvider,
        deadline: float = 5.0,
        retries: int = 2,
    ) -> None:
        self.service = service
        self.addr = addr
        self.jwt_secret = jwt_secret
        self.deadline = deadline
        self.retries = retries
        self.channel = grpc.aio.insecure_channel(addr, interceptors=client_interceptors(provider))

    def metadata(self, user_id: str) -> tuple:
        token = issue_service_token(self.jwt_secret, SERVICE, user_id)
        return (("authorization", f"Bearer {token}"),)

    async def call(
        self,
        method: Callable[..., Awaitable[T]],
        request,
        user_id: str,
        *,
        read: bool = True,
        deadline: float | None = None,
    ) -> T:
        """``method`` (a stub's bound method) for ``user_id``; reads retry UNAVAILABLE."""
        attempts = 1 + (self.retries if read else 0)
        for attempt in range(attempts):
            try:
                return await method(
                    request, metadata=self.metadata(user_id), timeout=deadline or self.deadline
                )
            except grpc.aio.AioRpcError as err:
                if err.code() == grpc.StatusCode.UNAVAILABLE and attempt + 1 < attempts:
                    await asyncio.sleep(0.1 * 2**attempt)
                    continue
                raise app_error(self.service, err) from None
        raise AssertionError("unreachable")

    async def close(self) -> None:
        await self.channel.close()
