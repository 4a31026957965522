"""PnL vectors through the service: DESIGN's example, FIFO reductions, shorts, flips, fee kinds."""

from __future__ import annotations

from decimal import Context

import grpc
import pytest

from amarktai.ledger.v1 import ledger_pb2 as pb
from tests.integration.ledger.helpers import (
    BUY,
    SELL,
    D,
    fill,
    positions,
    record,
    summary,
    verify,
    violations,
)

PREC60 = Context(prec=60)


async def test_design_example(ledger):
    md = ledger.user("alice")
    buy, sell1, sell2 = await record(
        ledger,
        md,
        fill("x1", BUY, "10", "500", "9.95"),
        fill("x2", SELL, "4", "530", "9.95"),
        fill("x3", SELL, "6", "540", "9.95"),
    )
    assert buy.fill.net_pnl == ""  # opens a lot, closes nothing
    assert buy.fill.realized_pnl == "0"
    # realized 4 * (530 - 500) = 120; net = 120 - 9.95 (own fee) - 9.95 * 4/10 (3.98) = 106.07
    assert (sell1.fill.realized_pnl, sell1.fill.net_pnl) == ("120", "106.07")
    # realized 6 * (540 - 500) = 240; net = 240 - 9.95 - the rest of the entry fee 5.97 = 224.08
    assert (sell2.fill.realized_pnl, sell2.fill.net_pnl) == ("240", "224.08")

    s = await summary(ledger, md)
    assert s.realized_pnl == "360"  # 120 + 240
    assert s.fees == "29.85"  # 3 * 9.95
    assert s.net_pnl == "330.15"  # 360 - 29.85 == 106.07 + 224.08
    assert s.equity == "330.15"  # no funding: 0 + 360 - 29.85
    assert (s.trades, s.winning_trades) == (2, 2)
    assert list(s.positions) == []  # flat
    assert s.last_sequence == 3
    assert (await verify(ledger, md)).ok


# FIFO reductions of the lots 4 @ 100.00, 5 @ 111.11, 6 @ 122.22 (beancount's booking vectors),
# each sold at 130. Per unit: lot 1 gains 30, lot 2 gains 18.89, lot 3 gains 7.78.
# (sold, realized, remaining amount, remaining cost) with cost = sum(qty * price) of what is left.
FIFO_CASES = [
    # 2 of lot 1: 2*30 = 60; left 2@100 + 5@111.11 + 6@122.22 = 200 + 555.55 + 733.32
    ("2", "60", "13", "1488.87"),
    # all of lot 1: 4*30 = 120; left 555.55 + 733.32
    ("4", "120", "11", "1288.87"),
    # lot 1 + 3 of lot 2: 120 + 3*18.89 (56.67) = 176.67; left 2@111.11 + 6@122.22
    ("7", "176.67", "8", "955.54"),
    # lots 1, 2: 120 + 5*18.89 (94.45) = 214.45; left 6@122.22
    ("9", "214.45", "6", "733.32"),
    # lots 1, 2 + 3 of lot 3: 214.45 + 3*7.78 (23.34) = 237.79; left 3@122.22
    ("12", "237.79", "3", "366.66"),
    # everything: 214.45 + 6*7.78 (46.68) = 261.13; flat
    ("15", "261.13", "0", "0"),
]


@pytest.mark.parametrize(("sold", "realized", "left", "cost"), FIFO_CASES)
async def test_fifo_reductions(ledger, sold, realized, left, cost):
    md = ledger.user(f"fifo-{sold}")
    bot = f"bot-{sold}"
    await ledger.stub.RecordFills(
        pb.RecordFillsRequest(
            fills=[
                fill("l1", BUY, "4", "100.00", bot_id=bot),
                fill("l2", BUY, "5", "111.11", bot_id=bot),
                fill("l3", BUY, "6", "122.22", bot_id=bot),
            ]
        ),
        metadata=md,
    )
    s = await summary(ledger, md, bot_id=bot)
    # before: 15 units costing 400 + 555.55 + 733.32 = 1688.87
    assert positions(s)[(bot, "BTC/USDT")][0] == D(15)
    [r] = await record(ledger, md, fill("r", SELL, sold, "130", bot_id=bot))
    assert D(r.fill.realized_pnl) == D(realized)

    s = await summary(ledger, md, bot_id=bot)
    assert D(s.realized_pnl) == D(realized)
    assert (s.trades, s.winning_trades) == (1, 1)
    if left == "0":
        assert positions(s) == {}
    else:
        amount, avg = positions(s)[(bot, "BTC/USDT")]
        assert amount == D(left)
        # average price = remaining cost / remaining amount
        assert abs(avg - PREC60.divide(D(cost), D(left))) < D("1e-40")
    assert (await verify(ledger, md)).ok


async def test_short_open_partial_and_full_cover(ledger):
    md = ledger.user("shorty")
    [opened] = await record(ledger, md, fill("s1", SELL, "3", "200", "0.6"))
    assert opened.fill.net_pnl == ""
    s = await summary(ledger, md)
    assert positions(s) == {("", "BTC/USDT"): (D(-3), D(200))}

    [part] = await record(ledger, md, fill("s2", BUY, "1", "180", "0.18"))
    # a short gains when the price falls: 1 * (200 - 180) = 20;
    # net = 20 - 0.18 - 0.6 * 1/3 (0.2) = 19.62
    assert (part.fill.realized_pnl, part.fill.net_pnl) == ("20", "19.62")
    [rest] = await record(ledger, md, fill("s3", BUY, "2", "210", "0.42"))
    # 2 * (200 - 210) = -20; net = -20 - 0.42 - the remaining entry fee 0.4 = -20.82
    assert (rest.fill.realized_pnl, rest.fill.net_pnl) == ("-20", "-20.82")

    s = await summary(ledger, md)
    assert positions(s) == {}
    assert s.realized_pnl == "0"  # 20 - 20
    assert s.fees == "1.2"  # 0.6 + 0.18 + 0.42
    assert s.equity == "-1.2"
    assert (s.trades, s.winning_trades) == (2, 1)


async def test_fill_that_flips_the_position(ledger):
    md = ledger.user("flipper")
    await record(ledger, md, fill("f1", BUY, "2", "100", "0.2"))
    [flip] = await record(ledger, md, fill("f2", SELL, "5", "110", "0.55"))
    # closes the long 2: 2 * (110 - 100) = 20; its share of the own fee is 0.55 * 2/5 = 0.22,
    # plus the long lot's entry fee 0.2: net = 20 - 0.22 - 0.2 = 19.58.
    assert (flip.fill.realized_pnl, flip.fill.net_pnl) == ("20", "19.58")
    s = await summary(ledger, md)
    # the other 3 open a short at 110, carrying the rest of the fee (0.33) as entry fee
    assert positions(s) == {("", "BTC/USDT"): (D(-3), D(110))}

    [cover] = await record(ledger, md, fill("f3", BUY, "3", "100", "0.3"))
    # 3 * (110 - 100) = 30; net = 30 - 0.3 - 0.33 = 29.37
    assert (cover.fill.realized_pnl, cover.fill.net_pnl) == ("30", "29.37")
    s = await summary(ledger, md)
    assert positions(s) == {}
    assert s.realized_pnl == "50"
    assert s.fees == "1.05"  # 0.2 + 0.55 + 0.3
    assert s.net_pnl == "48.95"  # 19.58 + 29.37
    assert (s.trades, s.winning_trades) == (2, 2)
    assert (await verify(ledger, md)).ok


async def test_base_currency_fee_comes_out_of_the_position(ledger):
    md = ledger.user("basefee")
    [b] = await record(ledger, md, fill("b1", BUY, "1.001", "20000", "0.001", fee_currency="BTC"))
    # the account receives 1.001 - 0.001 = 1 BTC; the fee is worth 0.001 * 20000 = 20 USDT
    s = await summary(ledger, md)
    assert positions(s) == {("", "BTC/USDT"): (D(1), D(20000))}
    assert s.fees == "20"
    assert s.equity == "-20"

    [sell] = await record(
        ledger, md, fill("b2", SELL, "0.4995", "21000", "0.0005", fee_currency="BTC")
    )
    # a sell gives up amount + fee = 0.5 BTC; realized 0.5 * (21000 - 20000) = 500;
    # fee 0.0005 * 21000 = 10.5; entry fee share 20 * 0.5/1 = 10; net = 500 - 10.5 - 10 = 479.5
    assert (sell.fill.realized_pnl, sell.fill.net_pnl) == ("500", "479.5")
    s = await summary(ledger, md, marks=("BTC/USDT=22000",))
    assert positions(s) == {("", "BTC/USDT"): (D("0.5"), D(20000))}
    assert s.fees == "30.5"  # 20 + 10.5
    # unrealized at the mark: 0.5 * (22000 - 20000) = 1000; equity = 500 - 30.5 + 1000
    assert s.unrealized_pnl == "1000"
    assert s.equity == "1469.5"
    assert b.fill.fee_currency == "BTC"


async def test_third_currency_fee_needs_its_quote_value(ledger):
    md = ledger.user("bnb")
    await record(
        ledger,
        md,
        fill("e1", BUY, "2", "3000", "0.01", symbol="ETH/USDT", fee_currency="BNB", fee_quote="6"),
    )
    s = await summary(ledger, md)
    # a BNB fee does not touch the ETH position; it counts at its quote value 6
    assert positions(s) == {("", "ETH/USDT"): (D(2), D(3000))}
    assert s.fees == "6"

    with pytest.raises(grpc.aio.AioRpcError) as err:
        await record(
            ledger, md, fill("e2", SELL, "1", "3100", "0.01", symbol="ETH/USDT", fee_currency="BNB")
        )
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert violations(err.value) == ["fee_quote"]
    assert (await summary(ledger, md)).last_sequence == 1


async def test_figures_are_kept_per_quote_currency(ledger):
    md = ledger.user("multi")
    await record(
        ledger,
        md,
        fill("u1", BUY, "1", "100", "1"),  # BTC/USDT
        fill("b1", BUY, "2", "0.05", "0.0001", symbol="ETH/BTC"),
        fill("b2", SELL, "1", "0.06", "0.0001", symbol="ETH/BTC"),
    )
    usdt = await summary(ledger, md)
    assert (usdt.currency, usdt.fees, usdt.realized_pnl, usdt.trades) == ("USDT", "1", "0", 0)
    assert positions(usdt) == {("", "BTC/USDT"): (D(1), D(100))}
    req = pb.GetPortfolioSummaryRequest(currency="btc")
    btc = await ledger.stub.GetPortfolioSummary(req, metadata=md)
    # 1 * (0.06 - 0.05) = 0.01 realized in BTC; fees 0.0002 BTC
    assert (btc.currency, btc.fees, btc.realized_pnl, btc.equity) == (
        "BTC",
        "0.0002",
        "0.01",
        "0.0098",
    )
    assert positions(btc) == {("", "ETH/BTC"): (D(1), D("0.05"))}
