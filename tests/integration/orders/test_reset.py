"""Breaker reset: a reason, a TOTP code when 2FA is on (checked by the real auth service), the
ledger's counts start afresh, the bots go to PAUSED (never RUNNING), history lists both."""

from __future__ import annotations

import grpc
import pyotp
import pytest

from amarktai.auth.v1 import auth_pb2
from amarktai.bots.v1 import bots_pb2
from amarktai.orders.v1 import orders_pb2 as pb
from tests.integration.orders.helpers import S, md, refusal

# each test as traced (every call alone) and untraced (calls of concurrent orders batched)
pytestmark = pytest.mark.parametrize("tracing", [True, False], ids=["traced", "batched"])


@pytest.fixture
def auth_addr(auth_server) -> str:
    return auth_server.addr


async def _register(auth_server, email: str) -> str:
    r = await auth_server.stub.Register(
        auth_pb2.RegisterRequest(email=email, password="correct horse battery")
    )
    return r.user.id


async def _trip(h, u) -> str:
    bot = await h.bot(u)
    await h.fund(u, "1000")
    await h.submit(u, bot, amount="0.01")
    h.market.move("BTC/USDT", "25000")
    assert (await h.submit(u, bot)).rejection.code == "BREAKER_TRIPPED"
    return bot


async def test_reset_needs_a_reason_and_returns_the_bot_to_paused(h, auth_server):
    u = await _register(auth_server, "reset@example.com")
    bot = await _trip(h, u)
    with pytest.raises(grpc.aio.AioRpcError) as e:
        await h.orders.ResetBreaker(pb.ResetBreakerRequest(reason="  "), metadata=md(u))
    assert refusal(e.value).fields == ["reason"]
    with pytest.raises(grpc.aio.AioRpcError) as e:  # that bot's own breaker is not tripped
        await h.orders.ResetBreaker(pb.ResetBreakerRequest(bot_id=bot, reason="x"), metadata=md(u))
    assert refusal(e.value).reason == "BREAKER_NOT_TRIPPED"
    h.market.move("BTC/USDT", "50000")
    r = await h.orders.ResetBreaker(
        pb.ResetBreakerRequest(reason="reviewed the losses"), metadata=md(u)
    )
    assert r.bots_cleared == 1 and not r.item.tripped
    assert await h.bot_state(u, bot) == "BOT_STATE_PAUSED"
    status = await h.orders.GetBreakerStatus(pb.GetBreakerStatusRequest(), metadata=md(u))
    assert not any(i.tripped for i in status.items)
    # the peak starts afresh at the reset (999.49985, recorded equity): marked at 50000 the
    # position is 0.15 under water, 0.15 / 999.49985 = 0.00015
    assert status.items[0].metrics.drawdown.startswith("0.000150075")
    history = await h.orders.GetBreakerHistory(pb.GetBreakerHistoryRequest(), metadata=md(u))
    assert [e.kind for e in history.items] == [
        pb.BREAKER_EVENT_KIND_RESET, pb.BREAKER_EVENT_KIND_TRIP,
    ]  # fmt: skip
    assert history.items[0].reason == "reviewed the losses"
    with pytest.raises(grpc.aio.AioRpcError) as e:  # PAUSED, not RUNNING: no new orders
        await h.submit(u, bot)
    assert refusal(e.value).reason == "BOT_NOT_RUNNING"
    await h.bots.ResumeBot(bots_pb2.ResumeBotRequest(id=bot), metadata=md(u))
    assert (await h.submit(u, bot)).state == S.ORDER_STATE_FILLED


async def test_reset_with_2fa_needs_a_valid_code(h, auth_server):
    u = await _register(auth_server, "totp@example.com")
    e = await auth_server.stub.EnrollTotp(auth_pb2.EnrollTotpRequest(), metadata=md(u))
    now = auth_server.clock.now
    totp = pyotp.TOTP(e.secret)
    await auth_server.stub.ConfirmTotp(
        auth_pb2.ConfirmTotpRequest(totp_code=totp.at(now)), metadata=md(u)
    )
    await _trip(h, u)
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await h.orders.ResetBreaker(pb.ResetBreakerRequest(reason="ok"), metadata=md(u))
    assert refusal(err.value).reason == "TOTP_REQUIRED"
    with pytest.raises(grpc.aio.AioRpcError) as err:
        wrong = "000000" if totp.at(now) != "000000" else "111111"
        await h.orders.ResetBreaker(
            pb.ResetBreakerRequest(reason="ok", totp_code=wrong), metadata=md(u)
        )
    assert refusal(err.value).reason == "TOTP_INVALID"  # auth's refusal, passed on
    auth_server.clock.advance(seconds=30)  # a fresh time step (a used one is not taken again)
    r = await h.orders.ResetBreaker(
        pb.ResetBreakerRequest(reason="ok", totp_code=totp.at(auth_server.clock.now)),
        metadata=md(u),
    )
    assert not r.item.tripped
