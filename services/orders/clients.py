"""The services orders calls: bots, ledger and auth, over channels made once at start.

Every call carries a short-lived service token acting for the user, and a capped deadline.
Reads are retried by grpc on UNAVAILABLE; state changes are not (the fill outbox retries
RecordFill with the same fill id). A peer's refusal keeps its code and reason; a peer that
cannot be reached is UNAVAILABLE with reason <PEER>_UNAVAILABLE.

The three calls every order makes (the bot check, the breaker's figures, the fill's delivery)
go through Coalescers: made by concurrent orders, they reach the peer together in one batch
call (GetBotBatch, GetRiskMetricsBatch, RecordFillBatch), each item with its own user's
service token and answered on its own. A call made inside a recorded span (tracing exports)
goes alone, as the plain RPC, so that the peer's span of it belongs to that order's trace.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from decimal import Decimal

import grpc
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status
from opentelemetry.sdk.trace import TracerProvider

from amarktai.auth.v1 import auth_pb2, auth_pb2_grpc
from amarktai.bots.v1 import bots_pb2, bots_pb2_grpc
from amarktai.ledger.v1 import ledger_pb2, ledger_pb2_grpc
from services.common.auth import issue_service_token
from services.common.coalesce import DEFAULT as batching_default
from services.common.coalesce import Batching, Coalescer, traced
from services.common.errors import STATUS_CODES, AppError, not_found
from services.common.tracing import client_interceptors

# Retried on UNAVAILABLE: reads, and RecordFill (idempotent by its fill id)
_READS = {
    "amarktai.bots.v1.BotService": ["GetBot", "ListBots", "GetBotBatch"],
    "amarktai.ledger.v1.LedgerService": [
        "GetRiskMetrics",
        "RecordFill",
        "GetRiskMetricsBatch",
        "RecordFillBatch",
    ],  # fmt: skip
    "amarktai.auth.v1.AuthService": ["GetTotpStatus", "GetExchangeKeys"],
}
TOKEN_REUSE_SECONDS = 60.0
TOKEN_CACHE_SIZE = 10_000
_UNREACHABLE = {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED}


def _service_config() -> str:
    names = [{"service": s, "method": m} for s, ms in _READS.items() for m in ms]
    policy = {
        "maxAttempts": 3,
        "initialBackoff": "0.05s",
        "maxBackoff": "0.2s",
        "backoffMultiplier": 2,
        "retryableStatusCodes": ["UNAVAILABLE"],
    }
    return json.dumps({"methodConfig": [{"name": names, "retryPolicy": policy}]})


def peer_error(exc: grpc.aio.AioRpcError, peer: str) -> AppError:
    """A peer's error as ours: the same code and reason, or PEER_UNAVAILABLE."""
    code = exc.code()
    if code in _UNREACHABLE:
        return AppError(
            grpc.StatusCode.UNAVAILABLE,
            f"{peer.upper()}_UNAVAILABLE",
            f"the {peer} service cannot be reached: {exc.details()}",
        )
    return _app_error(code, exc.details(), rpc_status.from_call(exc))


def item_error(status: status_pb2.Status) -> AppError:
    """The error a batch answered for one item, as the item's own call would have raised it."""
    code = STATUS_CODES.get(status.code, grpc.StatusCode.UNKNOWN)
    return _app_error(code, status.message, status)


def _app_error(code: grpc.StatusCode, message: str, status) -> AppError:
    reason, metadata, violations = code.name, {}, []
    for detail in status.details if status is not None else []:
        info = error_details_pb2.ErrorInfo()
        bad = error_details_pb2.BadRequest()
        if detail.Unpack(info):
            reason, metadata = info.reason, dict(info.metadata)
        elif detail.Unpack(bad):
            violations = [(v.field, v.description) for v in bad.field_violations]
    return AppError(code, reason, message or reason, violations=violations, metadata=metadata)


@dataclass(frozen=True)
class BotInfo:
    id: str
    exchange: str
    symbol: str
    state: str  # RUNNING, PAUSED, ...
    mode: str  # PAPER | LIVE


@dataclass(frozen=True)
class RiskFigures:
    equity: Decimal
    peak: Decimal
    drawdown: Decimal
    day_start_equity: Decimal
    daily_loss: Decimal
    consecutive_losses: int


def _d(text: str) -> Decimal:
    return Decimal(text) if text else Decimal(0)


class Peers:
    def __init__(
        self,
        jwt_secret: str,
        provider: TracerProvider,
        *,
        ledger_addr: str,
        bots_addr: str,
        auth_addr: str,
        timeout: float = 5.0,
        batching: Batching = batching_default,
    ) -> None:
        """``batching``: how the calls of concurrent orders are batched (coalesce.py; a
        max_batch of 1: each call on its own, as the plain RPC)."""
        self.jwt_secret = jwt_secret
        self.timeout = timeout
        self.batching = batching
        self._tokens: dict[str, tuple[float, str, tuple]] = {}  # user -> (made at, token, md)
        options = [
            ("grpc.service_config", _service_config()),
            ("grpc.enable_retries", 1),
            # a restarted peer is found again within seconds, not grpc's default two minutes
            ("grpc.initial_reconnect_backoff_ms", 200),
            ("grpc.min_reconnect_backoff_ms", 200),
            ("grpc.max_reconnect_backoff_ms", 2000),
        ]
        interceptors = client_interceptors(provider)
        self._channels = [
            grpc.aio.insecure_channel(a, options=options, interceptors=interceptors)
            for a in (ledger_addr, bots_addr, auth_addr)
        ]
        self.ledger = ledger_pb2_grpc.LedgerServiceStub(self._channels[0])
        self.bots = bots_pb2_grpc.BotServiceStub(self._channels[1])
        self.auth = auth_pb2_grpc.AuthServiceStub(self._channels[2])
        b, lg = bots_pb2, ledger_pb2
        self._batches = {  # the plain RPC -> the Coalescer of its batch call
            self.bots.GetBot: self._coalescer(
                "bots", self.bots.GetBotBatch, self.bots.GetBot,
                b.GetBotBatchRequest, b.GetBotBatchItem,
            ),
            self.ledger.GetRiskMetrics: self._coalescer(
                "ledger", self.ledger.GetRiskMetricsBatch, self.ledger.GetRiskMetrics,
                lg.GetRiskMetricsBatchRequest, lg.GetRiskMetricsBatchItem,
            ),
            self.ledger.RecordFill: self._coalescer(
                "ledger", self.ledger.RecordFillBatch, self.ledger.RecordFill,
                lg.RecordFillBatchRequest, lg.RecordFillBatchItem,
            ),
        }  # fmt: skip

    async def close(self) -> None:
        for channel in self._channels:
            await channel.close()

    def _held(self, user_id: str) -> tuple[float, str, tuple]:
        """A service token acting for the user, made again once it is a minute old (it is
        valid for five): signing one per call cost more than some of the calls."""
        now = time.monotonic()
        held = self._tokens.get(user_id)
        if held is not None and now - held[0] < TOKEN_REUSE_SECONDS:
            return held
        token = issue_service_token(self.jwt_secret, "orders", user_id)
        if len(self._tokens) >= TOKEN_CACHE_SIZE:
            self._tokens.clear()
        held = self._tokens[user_id] = (now, token, (("authorization", f"Bearer {token}"),))
        return held

    def _md(self, user_id: str) -> tuple:
        return self._held(user_id)[2]

    def _token(self, user_id: str) -> str:
        return self._held(user_id)[1]

    async def _call(self, peer: str, method, request, user_id: str, timeout: float | None = None):
        try:
            return await method(
                request, metadata=self._md(user_id), timeout=timeout or self.timeout
            )
        except grpc.aio.AioRpcError as exc:
            raise peer_error(exc, peer) from None

    async def _batched(self, peer: str, single, request, user_id: str):
        """One call of an order: alone (as ``single``, the plain RPC) inside a recorded span
        or when batching is off, else in the next batch of its kind."""
        if self.batching.max_batch <= 1 or traced():
            return await self._call(peer, single, request, user_id)
        return await self._batches[single].call((user_id, request))

    def _coalescer(self, peer: str, method, single, request_type, item_type) -> Coalescer:
        async def send(items: list) -> list:
            return await self._send_batch(peer, method, single, (request_type, item_type), items)

        return Coalescer(send, self.batching)

    async def _send_batch(self, peer: str, method, single, types, items: list) -> list:
        """Send (user, request) items as one batch call (``types``: its request and item
        messages): each item's response or AppError. A peer that does not know the batch call
        yet (UNIMPLEMENTED: an older version during an upgrade) gets them as calls of their
        own."""
        request_type, item_type = types
        request = request_type(
            items=[item_type(service_token=self._token(u), request=r) for u, r in items]
        )
        try:
            answer = await method(request, metadata=self._md(items[0][0]), timeout=self.timeout)
        except grpc.aio.AioRpcError as exc:
            if exc.code() != grpc.StatusCode.UNIMPLEMENTED:
                raise peer_error(exc, peer) from None
            return list(await asyncio.gather(*(self._one(peer, single, u, r) for u, r in items)))
        return [
            r.response if r.WhichOneof("outcome") == "response" else item_error(r.error)
            for r in answer.results
        ]

    async def _one(self, peer: str, single, user_id: str, request):
        try:
            return await self._call(peer, single, request, user_id)
        except AppError as exc:
            return exc

    # --- bots ------------------------------------------------------------------------------

    async def get_bot(self, user_id: str, bot_id: str) -> BotInfo:
        try:
            req = bots_pb2.GetBotRequest(id=bot_id)
            r = await self._batched("bots", self.bots.GetBot, req, user_id)
        except AppError as exc:
            if exc.code == grpc.StatusCode.NOT_FOUND:
                raise not_found(f"bot {bot_id!r}", "BOT_NOT_FOUND") from None
            raise
        return _bot(r.bot)

    async def list_bots(self, user_id: str, cap: int = 1000) -> list[BotInfo]:
        out: list[BotInfo] = []
        token = ""
        while len(out) < cap:
            req = bots_pb2.ListBotsRequest(page_size=min(1000, cap), page_token=token)
            r = await self._call("bots", self.bots.ListBots, req, user_id)
            out.extend(_bot(b) for b in r.items)
            token = r.next_page_token
            if not token:
                break
        return out[:cap]

    async def trip_bots(self, user_id: str, bot_id: str, reason: str) -> int:
        req = bots_pb2.TripBotsRequest(bot_id=bot_id, reason=reason)
        return (await self._call("bots", self.bots.TripBots, req, user_id)).changed

    async def clear_tripped_bots(self, user_id: str, bot_id: str, reason: str) -> int:
        req = bots_pb2.ClearTrippedBotsRequest(bot_id=bot_id, reason=reason)
        return (await self._call("bots", self.bots.ClearTrippedBots, req, user_id)).changed

    # --- ledger ----------------------------------------------------------------------------

    async def risk_metrics(
        self, user_id: str, bot_id: str, currency: str, marks: list[str]
    ) -> RiskFigures:
        req = ledger_pb2.GetRiskMetricsRequest(bot_id=bot_id, currency=currency, marks=marks)
        return _risk(await self._call("ledger", self.ledger.GetRiskMetrics, req, user_id))

    async def risk_metrics_with_account(
        self, user_id: str, bot_id: str, currency: str, marks: list[str]
    ) -> tuple[RiskFigures, RiskFigures]:
        """The account's and the bot's figures, in one call (one read in the ledger)."""
        req = ledger_pb2.GetRiskMetricsRequest(
            bot_id=bot_id, currency=currency, marks=marks, include_account=True
        )
        r = await self._batched("ledger", self.ledger.GetRiskMetrics, req, user_id)
        if not r.HasField("account"):  # a ledger from before include_account: ask again
            return await self.risk_metrics(user_id, "", currency, marks), _risk(r)
        return _risk(r.account), _risk(r)

    async def reset_risk_baseline(self, user_id: str, bot_id: str, currency: str, reason: str):
        req = ledger_pb2.ResetRiskBaselineRequest(bot_id=bot_id, currency=currency, reason=reason)
        return await self._call("ledger", self.ledger.ResetRiskBaseline, req, user_id)

    async def record_fill(
        self,
        user_id: str,
        fill: ledger_pb2.Fill,
        timeout: float | None = None,
        marks: list[str] | None = None,
    ) -> ledger_pb2.RecordFillResponse:
        """Record a fill; with ``marks``, the answer also carries the breaker's figures the
        fill left (see ``risk_after``; a ledger that does not know the fields ignores them)."""
        req = ledger_pb2.RecordFillRequest(fill=fill)
        if marks is not None:
            req.include_risk = True
            req.risk_marks.extend(marks)
        if timeout is not None:
            return await self._call("ledger", self.ledger.RecordFill, req, user_id, timeout)
        return await self._batched("ledger", self.ledger.RecordFill, req, user_id)

    # --- auth ------------------------------------------------------------------------------

    async def verify_totp(self, user_id: str, code: str) -> bool:
        """Check a TOTP code; a user without 2FA passes. Auth's refusals are passed on."""
        req = auth_pb2.VerifyTotpRequest(totp_code=code, require_enabled=False)
        return (await self._call("auth", self.auth.VerifyTotp, req, user_id)).totp_enabled

    async def exchange_keys(self, user_id: str, exchange: str) -> auth_pb2.GetExchangeKeysResponse:
        req = auth_pb2.GetExchangeKeysRequest(exchange=exchange)
        return await self._call("auth", self.auth.GetExchangeKeys, req, user_id)


def _bot(b: bots_pb2.Bot) -> BotInfo:
    state = bots_pb2.BotState.Name(b.state).removeprefix("BOT_STATE_")
    mode = bots_pb2.BotMode.Name(b.mode).removeprefix("BOT_MODE_")
    return BotInfo(b.id, b.exchange, b.symbol, state, "LIVE" if mode == "LIVE" else "PAPER")


def risk_after(r: ledger_pb2.RecordFillResponse) -> tuple[RiskFigures, RiskFigures] | None:
    """The account's and the fill's bot's figures a RecordFill answered with include_risk;
    None from a ledger that did not give them."""
    if not r.HasField("risk") or not r.risk.HasField("account"):
        return None
    return _risk(r.risk.account), _risk(r.risk)


def _risk(r: ledger_pb2.GetRiskMetricsResponse) -> RiskFigures:
    return RiskFigures(
        equity=_d(r.equity),
        peak=_d(r.peak),
        drawdown=_d(r.drawdown),
        day_start_equity=_d(r.day_start_equity),
        daily_loss=_d(r.daily_loss),
        consecutive_losses=r.consecutive_losses,
    )
