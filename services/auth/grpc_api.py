"""AuthService servicer: request -> use case (in a worker thread) -> response."""

from __future__ import annotations

import asyncio
from datetime import datetime

from google.protobuf.timestamp_pb2 import Timestamp

from amarktai.auth.v1 import auth_pb2 as pb
from amarktai.auth.v1 import auth_pb2_grpc
from services.auth.gate import Proof
from services.auth.keys import ExchangeKeys, KeyView, exchange_id, new_keys
from services.auth.service import AuthService, Session
from services.common.auth import Caller, current_caller
from services.common.errors import permission_denied
from services.common.server import public_methods

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["AuthService"].full_name
PUBLIC_METHODS = tuple(public_methods(pb.DESCRIPTOR.services_by_name["AuthService"]))
# the only caller that may read exchange keys back in clear
KEY_READER = "service:orders"


def _ts(dt: datetime) -> Timestamp:
    ts = Timestamp()
    ts.FromDatetime(dt)
    return ts


def _session(s: Session, cls):
    return cls(
        access_token=s.access_token,
        expires_at=_ts(s.expires_at),
        user=pb.User(id=s.user.id, email=s.user.email, totp_enabled=s.user.totp_enabled),
    )


def _key(k: KeyView) -> pb.ExchangeKey:
    return pb.ExchangeKey(
        exchange=k.exchange,
        api_key_masked=k.api_key_masked,
        has_passphrase=k.has_passphrase,
        created_at=_ts(k.created_at),
        updated_at=_ts(k.updated_at),
    )


def _end_user() -> Caller:
    """The caller, who must be the user in person (not a service acting for them)."""
    caller = current_caller()
    if caller.is_service:
        raise permission_denied("USER_TOKEN_REQUIRED", "this call needs the user's own token")
    return caller


def _service() -> Caller:
    caller = current_caller()
    if not caller.is_service:
        raise permission_denied("SERVICE_TOKEN_REQUIRED", "this call is for services only")
    return caller


class AuthServicer(auth_pb2_grpc.AuthServiceServicer):
    def __init__(self, service: AuthService, keys: ExchangeKeys) -> None:
        self.service = service
        self.keys = keys

    async def Register(self, request, context):
        s = await asyncio.to_thread(self.service.register, request.email, request.password)
        return _session(s, pb.RegisterResponse)

    async def Login(self, request, context):
        proof = Proof.parse(request.totp_code, request.recovery_code)
        s = await asyncio.to_thread(self.service.login, request.email, request.password, proof)
        return _session(s, pb.LoginResponse)

    async def EnrollTotp(self, request, context):
        user = _end_user().user_id
        e = await asyncio.to_thread(self.service.enroll, user)
        return pb.EnrollTotpResponse(secret=e.secret, otpauth_uri=e.otpauth_uri, qr_svg=e.qr_svg)

    async def ConfirmTotp(self, request, context):
        user = _end_user().user_id
        proof = Proof.parse(request.totp_code)
        codes = await asyncio.to_thread(self.service.confirm, user, proof)
        return pb.ConfirmTotpResponse(recovery_codes=codes)

    async def DisableTotp(self, request, context):
        user = _end_user().user_id
        proof = Proof.parse(request.totp_code, request.recovery_code)
        await asyncio.to_thread(self.service.disable, user, proof)
        return pb.DisableTotpResponse(enabled=False)

    async def GetTotpStatus(self, request, context):
        user = current_caller().user_id
        s = await asyncio.to_thread(self.service.status, user)
        resp = pb.GetTotpStatusResponse(
            enabled=s.enabled, recovery_codes_remaining=s.recovery_codes_remaining
        )
        if s.locked_until is not None:
            resp.locked_until.CopyFrom(_ts(s.locked_until))
        return resp

    async def StoreExchangeKeys(self, request, context):
        user = _end_user().user_id
        keys = new_keys(request.exchange, request.api_key, request.api_secret, request.passphrase)
        proof = Proof.parse(request.totp_code)
        view, replaced = await asyncio.to_thread(self.keys.store, user, keys, proof)
        return pb.StoreExchangeKeysResponse(key=_key(view), replaced=replaced)

    async def ListExchangeKeys(self, request, context):
        user = current_caller().user_id
        views = await asyncio.to_thread(self.keys.list, user)
        return pb.ListExchangeKeysResponse(items=[_key(v) for v in views])

    async def DeleteExchangeKey(self, request, context):
        user = _end_user().user_id
        await asyncio.to_thread(self.keys.delete, user, exchange_id(request.exchange))
        return pb.DeleteExchangeKeyResponse()

    async def VerifyTotp(self, request, context):
        user = _service().user_id
        proof = Proof.parse(request.totp_code)
        enabled = await asyncio.to_thread(self.service.verify, user, proof, request.require_enabled)
        return pb.VerifyTotpResponse(totp_enabled=enabled)

    async def GetExchangeKeys(self, request, context):
        caller = _service()
        if caller.subject != KEY_READER:
            raise permission_denied(
                "KEY_READER_ONLY", "only the orders service may read exchange keys"
            )
        k = await asyncio.to_thread(self.keys.clear, caller.user_id, exchange_id(request.exchange))
        return pb.GetExchangeKeysResponse(
            exchange=k.exchange, api_key=k.api_key, api_secret=k.api_secret, passphrase=k.passphrase
        )
