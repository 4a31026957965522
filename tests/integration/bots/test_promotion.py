"""Promotion to LIVE against real ledger and auth servers: each failing criterion is named,
all holding promotes; a missing or wrong code is auth's error; a down service is UNAVAILABLE."""

from collections.abc import AsyncIterator
from dataclasses import dataclass

import grpc
import pytest

from amarktai.bots.v1 import bots_pb2 as pb
from services.bots.schema import MIGRATIONS
from tests.conftest import drop_database, make_database
from tests.integration.bots.conftest import BotsHarness, serve_bots, user_md
from tests.integration.bots.helpers import refused
from tests.integration.bots.world import User, World


@dataclass
class Setup:
    world: World
    bots: BotsHarness


@pytest.fixture
async def setup(fresh_db, dialect, tmp_path, clock) -> AsyncIterator[Setup]:
    ledger_db = make_database(dialect, tmp_path, "ledger")
    auth_db = make_database(dialect, tmp_path, "auth")
    world = World()
    await world.start(ledger_db, auth_db)
    fresh_db.migrate(MIGRATIONS)
    bots = await serve_bots(
        fresh_db, clock, ledger_addr=world.ledger_addr, auth_addr=world.auth_addr
    )
    yield Setup(world, bots)
    for close in bots.closers:
        await close()
    await world.stop()
    drop_database(ledger_db)
    drop_database(auth_db)


async def ready_user(
    s: Setup,
    email: str,
    *,
    two_fa: bool = True,
    keys_for: str = "binance",
    wins: int = 14,
    losses: int = 11,
    gain: int = 4,
    age_days: float = 8,
) -> tuple[User, pb.Bot]:
    """A user and a bot; by default every criterion holds: 25 trades, 14 won (0.56), net
    14 x 4 - 11 x 2 = 34 on 1000 allocated (0.034), 8 days old, keys for binance, 2FA on."""
    user = await s.world.register(email)
    await s.world.store_keys(user, keys_for)
    if two_fa:
        await s.world.enable_2fa(user)
    r = await s.bots.stub.CreateBot(
        pb.CreateBotRequest(
            name="candidate",
            exchange="binance",
            symbol="BTC/USDT",
            strategy="manual",
            allocated_capital="1000",
        ),
        metadata=user.md,
    )
    s.bots.clock.advance(days=age_days)
    await s.world.trades(user, r.bot.id, wins, losses, gain)
    return user, r.bot


async def promote(s: Setup, user: User, bot_id: str, code: str | None = None):
    code = s.world.code(user) if code is None and user.secret else code or ""
    return await s.bots.stub.PromoteBot(
        pb.PromoteBotRequest(id=bot_id, totp_code=code), metadata=user.md
    )


async def test_promoted_when_every_criterion_holds(setup):
    user, bot = await ready_user(setup, "ok@example.com")
    r = await promote(setup, user, bot.id)
    assert r.promoted
    assert r.bot.mode == pb.BOT_MODE_LIVE
    got = {c.name: (c.met, c.value) for c in r.criteria}
    assert got == {
        "two_factor_enabled": (True, "on"),
        "totp_code": (True, "valid"),
        "paper_days": (True, "8"),
        "closed_trades": (True, "25"),
        "win_rate": (True, "0.56"),
        "net_profit_pct": (True, "0.034"),
        "exchange_keys": (True, "stored"),
    }
    stored = await setup.bots.stub.GetBot(pb.GetBotRequest(id=bot.id), metadata=user.md)
    assert stored.bot.mode == pb.BOT_MODE_LIVE
    setup.world.auth_clock.advance(seconds=30)
    again = await refused(promote(setup, user, bot.id))
    assert (again.code, again.reason) == (grpc.StatusCode.FAILED_PRECONDITION, "ALREADY_LIVE")


@pytest.mark.parametrize(
    "changes, failing, value",
    [
        ({"age_days": 6.5}, "paper_days", "6.5"),
        ({"losses": 10}, "closed_trades", "24"),  # 14 won of 24: 0.583, net 36
        ({"wins": 12, "losses": 13, "gain": 6}, "win_rate", "0.48"),  # net 72 - 26 = 46
        ({"gain": 3}, "net_profit_pct", "0.02"),  # 14 x 3 - 22 = 20 of 1000
        ({"keys_for": "kraken"}, "exchange_keys", "none"),
    ],
)
async def test_refused_naming_the_failing_criterion(setup, changes, failing, value):
    user, bot = await ready_user(setup, "almost@example.com", **changes)
    r = await promote(setup, user, bot.id)
    assert not r.promoted
    assert [c.name for c in r.criteria if not c.met] == [failing]
    [c] = [c for c in r.criteria if c.name == failing]
    assert c.value == value and c.requirement
    assert len(r.criteria) == 7  # every criterion is listed with its value and requirement
    stored = await setup.bots.stub.GetBot(pb.GetBotRequest(id=bot.id), metadata=user.md)
    assert stored.bot.mode == pb.BOT_MODE_PAPER  # refused: nothing changed


async def test_refused_without_2fa(setup):
    user, bot = await ready_user(setup, "no2fa@example.com", two_fa=False)
    r = await promote(setup, user, bot.id, code="123456")
    assert not r.promoted
    failing = {c.name: c.value for c in r.criteria if not c.met}
    assert failing == {"two_factor_enabled": "off", "totp_code": "not checked: 2FA is off"}


async def test_missing_or_wrong_code_is_auths_error(setup):
    user, bot = await ready_user(setup, "code@example.com")
    r = await refused(promote(setup, user, bot.id, code=""))
    assert (r.code, r.reason) == (grpc.StatusCode.PERMISSION_DENIED, "TOTP_REQUIRED")
    good = setup.world.code(user)
    wrong = "000000" if good != "000000" else "111111"
    r = await refused(promote(setup, user, bot.id, code=wrong))
    assert (r.code, r.reason) == (grpc.StatusCode.PERMISSION_DENIED, "TOTP_INVALID")
    r = await refused(promote(setup, user, bot.id, code="12ab"))
    assert (r.code, r.fields) == (grpc.StatusCode.INVALID_ARGUMENT, ["totp_code"])
    stored = await setup.bots.stub.GetBot(pb.GetBotRequest(id=bot.id), metadata=user.md)
    assert stored.bot.mode == pb.BOT_MODE_PAPER


async def test_a_service_down_is_unavailable_naming_it(fresh_db, clock):
    fresh_db.migrate(MIGRATIONS)
    bots = await serve_bots(fresh_db, clock)  # ledger and auth addresses where nothing listens
    try:
        bot = await bots.create("user-x")
        r = await refused(
            bots.stub.PromoteBot(pb.PromoteBotRequest(id=bot.id), metadata=user_md("user-x"))
        )
        assert r.code == grpc.StatusCode.UNAVAILABLE
        assert "auth" in r.message or "ledger" in r.message
    finally:
        for close in bots.closers:
            await close()
