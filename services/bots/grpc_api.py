"""BotService servicer: request -> use case (in a worker thread) -> response."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import grpc

from amarktai.bots.v1 import bots_pb2 as pb
from amarktai.bots.v1 import bots_pb2_grpc
from services.bots.convert import (
    batch_result_out,
    bot_id_in,
    bot_out,
    criterion_out,
    event_out,
    reason_in,
    spec_in,
)
from services.bots.domain import Action
from services.bots.events import Wakeups, stream_events
from services.bots.promotion import Promotion
from services.bots.service import BotService
from services.common import validate as v
from services.common.auth import Caller, batch_item_caller, current_caller, require_service
from services.common.errors import AppError, invalid

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["BotService"].full_name
MAX_BATCH = 1000


class BotServicer(bots_pb2_grpc.BotServiceServicer):
    def __init__(
        self,
        service: BotService,
        promotion: Promotion,
        wakeups: Wakeups | None = None,
        events_poll_seconds: float = 0.25,
        verifier: Callable[[str], Caller] | None = None,
    ) -> None:
        """``verifier``: the TokenVerifier (of the JWT secret) that checks the service token of
        each GetBotBatch item; without one, GetBotBatch is UNIMPLEMENTED."""
        self.service = service
        self.promotion = promotion
        self.wakeups = wakeups or Wakeups()
        self.poll = events_poll_seconds
        self.verifier = verifier

    async def CreateBot(self, request, context):
        user = current_caller().user_id
        spec = spec_in(request)
        key = v.identifier(request.idempotency_key, "idempotency_key", required=False)
        bot, replayed = await asyncio.to_thread(self.service.create, user, spec, key)
        if not replayed:
            self.wakeups.notify(user)
        return pb.CreateBotResponse(bot=bot_out(bot))

    async def ListBots(self, request, context):
        user = current_caller().user_id
        size = v.page_size(request.page_size)
        page = await asyncio.to_thread(self.service.list, user, size, request.page_token)
        return pb.ListBotsResponse(
            items=[bot_out(b) for b in page.items], next_page_token=page.next_page_token
        )

    async def GetBot(self, request, context):
        user = current_caller().user_id
        bot = await asyncio.to_thread(self.service.get, user, bot_id_in(request.id))
        return pb.GetBotResponse(bot=bot_out(bot))

    async def GetBotBatch(self, request, context):
        require_service()
        if self.verifier is None:
            raise AppError(
                grpc.StatusCode.UNIMPLEMENTED, "UNIMPLEMENTED", "GetBotBatch is not enabled here"
            )
        if not 1 <= len(request.items) <= MAX_BATCH:
            raise invalid("items", f"must hold 1 to {MAX_BATCH} items")
        return await asyncio.to_thread(self._get_batch, request.items)

    def _get_batch(self, items) -> pb.GetBotBatchResponse:
        """In the worker thread, not to hold up the event loop with a batch of tokens new to
        the verifier (its cache is a dict, each of whose operations is atomic, so threads may
        share it): every item's user and bot id, then one read for all the items that got
        that far, then the answers in the items' order."""
        asks = [self._batch_ask(i, item) for i, item in enumerate(items)]
        found = iter(self.service.get_many([a for a in asks if not isinstance(a, AppError)]))
        return pb.GetBotBatchResponse(
            results=[batch_result_out(a if isinstance(a, AppError) else next(found)) for a in asks]
        )

    def _batch_ask(self, i: int, item: pb.GetBotBatchItem) -> tuple[str, str] | AppError:
        """The (user, bot id) item ``i`` asks for, as its own GetBot: its token first."""
        try:
            user = batch_item_caller(self.verifier, item.service_token).user_id
            return user, bot_id_in(item.request.id, f"items[{i}].request.id")
        except AppError as exc:
            return exc

    async def _move(self, request, action: Action):
        user = current_caller().user_id
        bot_id, reason = bot_id_in(request.id), reason_in(request.reason)
        bot = await asyncio.to_thread(self.service.transition, user, bot_id, action, reason)
        self.wakeups.notify(user)
        return bot_out(bot)

    async def StartBot(self, request, context):
        return pb.StartBotResponse(bot=await self._move(request, Action.START))

    async def PauseBot(self, request, context):
        return pb.PauseBotResponse(bot=await self._move(request, Action.PAUSE))

    async def ResumeBot(self, request, context):
        return pb.ResumeBotResponse(bot=await self._move(request, Action.RESUME))

    async def StopBot(self, request, context):
        return pb.StopBotResponse(bot=await self._move(request, Action.STOP))

    async def _move_all(self, caller: Caller, action: Action, request, bot_id: str = "") -> int:
        reason = reason_in(request.reason)
        changed = await asyncio.to_thread(
            self.service.transition_all, caller.user_id, action, reason, bot_id
        )
        if changed:
            self.wakeups.notify(caller.user_id)
        return changed

    async def PauseAllBots(self, request, context):
        changed = await self._move_all(current_caller(), Action.PAUSE, request)
        return pb.PauseAllBotsResponse(changed=changed)

    async def ResumeAllBots(self, request, context):
        changed = await self._move_all(current_caller(), Action.RESUME, request)
        return pb.ResumeAllBotsResponse(changed=changed)

    async def TripBots(self, request, context):
        caller = require_service()
        bot_id = bot_id_in(request.bot_id, "bot_id", required=False)
        changed = await self._move_all(caller, Action.TRIP, request, bot_id)
        return pb.TripBotsResponse(changed=changed)

    async def ClearTrippedBots(self, request, context):
        caller = require_service()
        bot_id = bot_id_in(request.bot_id, "bot_id", required=False)
        changed = await self._move_all(caller, Action.CLEAR, request, bot_id)
        return pb.ClearTrippedBotsResponse(changed=changed)

    async def PromoteBot(self, request, context):
        user = current_caller().user_id
        bot_id = bot_id_in(request.id)
        if len(request.totp_code) > 64:
            raise invalid("totp_code", "is too long")
        bot, promoted, criteria = await self.promotion.promote(user, bot_id, request.totp_code)
        return pb.PromoteBotResponse(
            bot=bot_out(bot), promoted=promoted, criteria=[criterion_out(c) for c in criteria]
        )

    async def StreamBotEvents(self, request, context):
        user = current_caller().user_id
        if request.after_sequence < 0:
            raise invalid("after_sequence", "must not be negative")
        async for event in stream_events(
            self.service, self.wakeups, user, request.after_sequence, self.poll
        ):
            yield event_out(event)
