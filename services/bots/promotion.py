"""PromoteBot: gather the facts from auth and the ledger, decide, and switch the bot to LIVE.

Order: the reads first (2FA status, the bot's trade figures, the stored keys), then the TOTP
code (auth checks it, and a code is accepted once, so it is spent only when everything could be
read), then the decision. A refusal is an answer (promoted false, every criterion listed) and
changes nothing; a missing or wrong code is auth's error, passed on as it is.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal

from amarktai.auth.v1 import auth_pb2, auth_pb2_grpc
from amarktai.ledger.v1 import ledger_pb2, ledger_pb2_grpc
from services.bots.clients import Downstream
from services.bots.domain import Criterion, Facts, Requirements, evaluate
from services.bots.model import LIVE, Bot
from services.bots.service import BotService
from services.common.errors import failed_precondition


class Promotion:
    def __init__(
        self,
        service: BotService,
        ledger: Downstream,
        auth: Downstream,
        requirements: Requirements,
    ) -> None:
        self.service = service
        self.ledger = ledger
        self.auth = auth
        self.ledger_stub = ledger_pb2_grpc.LedgerServiceStub(ledger.channel)
        self.auth_stub = auth_pb2_grpc.AuthServiceStub(auth.channel)
        self.requirements = requirements

    async def promote(
        self, user_id: str, bot_id: str, totp_code: str
    ) -> tuple[Bot, bool, list[Criterion]]:
        bot = await asyncio.to_thread(self.service.get, user_id, bot_id)
        if bot.mode == LIVE:
            raise failed_precondition("ALREADY_LIVE", f"bot {bot_id!r} is already LIVE")
        status, stats, keys = await asyncio.gather(
            self.auth.call(self.auth_stub.GetTotpStatus, auth_pb2.GetTotpStatusRequest(), user_id),
            self.ledger.call(
                self.ledger_stub.GetBotStats,
                ledger_pb2.GetBotStatsRequest(bot_id=bot.id, currency=bot.quote),
                user_id,
            ),
            self.auth.call(
                self.auth_stub.ListExchangeKeys, auth_pb2.ListExchangeKeysRequest(), user_id
            ),
        )
        checked = False
        if status.enabled:
            verdict = await self.auth.call(
                self.auth_stub.VerifyTotp,
                auth_pb2.VerifyTotpRequest(totp_code=totp_code, require_enabled=True),
                user_id,
                read=False,
            )
            checked = verdict.totp_enabled
        facts = Facts(
            totp_enabled=status.enabled,
            totp_checked=checked,
            created_at=bot.created_at,
            now=self.service.clock(),
            trades=stats.trades,
            win_rate=Decimal(stats.win_rate or "0"),
            net_pnl=Decimal(stats.net_pnl or "0"),
            allocated_capital=bot.allocated_capital,
            exchange=bot.exchange,
            key_exchanges=frozenset(k.exchange for k in keys.items),
        )
        criteria = evaluate(facts, self.requirements)
        if not all(c.met for c in criteria):
            return bot, False, criteria
        bot = await asyncio.to_thread(self.service.set_live, user_id, bot.id)
        return bot, True, criteria
