"""Refusals with their details, as a client sees them."""

from __future__ import annotations

from dataclasses import dataclass, field

import grpc
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status


@dataclass
class Refusal:
    code: grpc.StatusCode
    reason: str
    message: str
    metadata: dict[str, str] = field(default_factory=dict)
    fields: list[str] = field(default_factory=list)


def refusal_of(code: grpc.StatusCode, status: status_pb2.Status) -> Refusal:
    """A google.rpc.Status's code, reason and details."""
    out = Refusal(code, "", status.message)
    for detail in status.details:
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            out.reason, out.metadata = info.reason, dict(info.metadata)
        elif detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            detail.Unpack(bad)
            out.fields = [v.field for v in bad.field_violations]
    return out


def item_refusal(status: status_pb2.Status) -> Refusal:
    """The error of one item of a batch (a google.rpc.Status in the response)."""
    codes = {c.value[0]: c for c in grpc.StatusCode}
    return refusal_of(codes[status.code], status)


async def refused(call) -> Refusal:
    """Await a call that must fail; its status code, reason and details."""
    try:
        await call
    except grpc.aio.AioRpcError as err:
        status = rpc_status.from_call(err)
        assert status is not None, f"no rich status on {err.code()}: {err.details()}"
        return refusal_of(err.code(), status)
    raise AssertionError("the call succeeded but should have been refused")
