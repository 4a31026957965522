"""Gate C under concurrency: 100 orders at once, across two orders processes on one database,
against a bot limit of 50: exactly 50 accepted (the count and the slot in one locked
transaction)."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest

from services.common.db import Database
from services.orders.domain.limiter import Limits
from tests.integration.orders.conftest import TUNING, start_orders
from tests.integration.orders.helpers import LIMIT, S, user

RESTING = dict(type=LIMIT, price="40000")


@pytest.fixture
def tuning():
    return dataclasses.replace(
        TUNING,
        limits=Limits(per_bot_daily=50, per_user_daily=500, burst_orders=1000,
                      burst_window_seconds=10),
    )  # fmt: skip


@pytest.mark.parametrize("tracing", [True, False], ids=["traced", "batched"])
async def test_100_concurrent_orders_against_a_limit_of_50_accept_exactly_50(h, tuning):
    """Two orders processes (their own engines and servers) on one database."""
    second_db = Database(h.db.url, h.db.schema)
    h.extra_dbs.append(second_db)
    _, server, channel, stub2 = await start_orders(
        second_db, h.provider, h.peers, h.market, h.clock, tuning
    )
    h.extra_servers.append(server)
    h.extra_channels.append(channel)
    u = user()
    bot = await h.bot(u)
    stubs = [h.orders, stub2]
    results = await asyncio.gather(
        *(h.submit(u, bot, stub=stubs[i % 2], **RESTING) for i in range(100))
    )
    states = [o.state for o in results]
    assert states.count(S.ORDER_STATE_ACCEPTED) == 50
    assert states.count(S.ORDER_STATE_REJECTED) == 50
    assert {o.rejection.code for o in results if o.state == S.ORDER_STATE_REJECTED} == {
        "BOT_DAILY_LIMIT"
    }
