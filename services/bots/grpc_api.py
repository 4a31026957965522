"""BotService servicer: request -> use case (in a worker thread) -> response."""

from __future__ import annotations

import asyncio

from amarktai.bots.v1 import bots_pb2 as pb
from amarktai.bots.v1 import bots_pb2_grpc
from services.bots.convert import bot_id_in, bot_out, criterion_out, event_out, reason_in, spec_in
from services.bots.domain import Action
from services.bots.events import Wakeups, stream_events
from services.bots.promotion import Promotion
from services.bots.service import BotService
from services.common import validate as v
from services.common.auth import Caller, current_caller
from services.common.errors import invalid, permission_denied

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["BotService"].full_name


def _service_caller() -> Caller:
    caller = current_caller()
    if not caller.is_service:
        raise permission_denied("SERVICE_TOKEN_REQUIRED", "this call is for services only")
    return caller


class BotServicer(bots_pb2_grpc.BotServiceServicer):
    def __init__(
        self,
        service: BotService,
        promotion: Promotion,
        wakeups: Wakeups | None = None,
        events_poll_seconds: float = 0.25,
    ) -> None:
        self.service = service
        self.promotion = promotion
        self.wakeups = wakeups or Wakeups()
        self.poll = events_poll_seconds

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
        caller = _service_caller()
        bot_id = bot_id_in(request.bot_id, "bot_id", required=False)
        changed = await self._move_all(caller, Action.TRIP, request, bot_id)
        return pb.TripBotsResponse(changed=changed)

    async def ClearTrippedBots(self, request, context):
        caller = _service_caller()
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
