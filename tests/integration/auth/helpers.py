"""Helpers for the auth integration tests: refusals with their details, TOTP codes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import grpc
import pyotp
from google.rpc import error_details_pb2
from grpc_status import rpc_status


@dataclass
class Refusal:
    code: grpc.StatusCode
    reason: str
    message: str
    metadata: dict[str, str] = field(default_factory=dict)
    fields: list[str] = field(default_factory=list)


def refusal(err: grpc.aio.AioRpcError) -> Refusal:
    status = rpc_status.from_call(err)
    assert status is not None, f"no rich status on {err.code()}: {err.details()}"
    out = Refusal(err.code(), "", status.message)
    for detail in status.details:
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            out.reason = info.reason
            out.metadata = dict(info.metadata)
        elif detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            detail.Unpack(bad)
            out.fields = [v.field for v in bad.field_violations]
    return out


async def refused(call) -> Refusal:
    """Await a call that must fail; its status code, reason and details."""
    try:
        await call
    except grpc.aio.AioRpcError as err:
        return refusal(err)
    raise AssertionError("the call succeeded but should have been refused")


def code_at(secret: str, at: datetime, steps: int = 0) -> str:
    """The RFC 6238 code of the step ``steps`` away from the one holding ``at``."""
    return pyotp.TOTP(secret).at(at, counter_offset=steps)


def wrong_code(secret: str, at: datetime) -> str:
    """A 6-digit code that matches none of the steps around ``at``."""
    near = {code_at(secret, at, s) for s in range(-3, 4)}
    n = 0
    while f"{n:06d}" in near:
        n += 1
    return f"{n:06d}"
