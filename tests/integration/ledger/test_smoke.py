from amarktai.common.v1 import trading_pb2 as tpb
from amarktai.ledger.v1 import ledger_pb2 as pb


async def test_fund_buy_sell_summary(ledger):
    md = ledger.user("alice")
    await ledger.stub.RecordEvent(
        pb.RecordEventRequest(
            event=pb.LedgerEvent(
                event_id="f1", type=pb.LEDGER_EVENT_TYPE_FUNDING, amount="10000", currency="USDT"
            )
        ),
        metadata=md,
    )
    buy = pb.Fill(
        fill_id="a",
        bot_id="b1",
        exchange="binance",
        symbol="BTC/USDT",
        side=tpb.SIDE_BUY,
        amount="10",
        price="500",
        fee="9.95",
    )
    sell = pb.Fill(
        fill_id="b",
        bot_id="b1",
        exchange="binance",
        symbol="BTC/USDT",
        side=tpb.SIDE_SELL,
        amount="4",
        price="530",
        fee="9.95",
    )
    await ledger.stub.RecordFill(pb.RecordFillRequest(fill=buy), metadata=md)
    r = await ledger.stub.RecordFill(pb.RecordFillRequest(fill=sell), metadata=md)
    # 4*(530-500) - 9.95 - 9.95*4/10
    assert r.fill.net_pnl == "106.07"
    s = await ledger.stub.GetPortfolioSummary(pb.GetPortfolioSummaryRequest(), metadata=md)
    # 10000 + 120 - 2*9.95
    assert s.equity == "10100.1"
    v = await ledger.stub.Verify(pb.VerifyRequest(), metadata=md)
    assert v.ok, v.problems
