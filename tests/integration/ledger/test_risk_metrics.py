"""The circuit breaker's figures: GetRiskMetrics and ResetRiskBaseline (for the orders service)."""

from datetime import timedelta

import grpc
import pytest

from amarktai.common.v1 import trading_pb2 as tpb
from amarktai.ledger.v1 import ledger_pb2 as pb


def _fill(fid, side, amount, price, bot="b1"):
    return pb.RecordFillRequest(
        fill=pb.Fill(
            fill_id=fid,
            bot_id=bot,
            exchange="binance",
            symbol="BTC/USDT",
            side=side,
            amount=amount,
            price=price,
            fee="0",
            source=pb.FILL_SOURCE_PAPER,
        )
    )


async def _fund(ledger, md, amount="1000"):
    await ledger.stub.RecordEvent(
        pb.RecordEventRequest(
            event=pb.LedgerEvent(
                event_id="fund", type=pb.LEDGER_EVENT_TYPE_FUNDING, amount=amount, currency="USDT"
            )
        ),
        metadata=md,
    )


async def test_loss_drawdown_daily_loss_and_streak(ledger):
    md = ledger.service_for("alice")
    await _fund(ledger, md)
    await ledger.stub.RecordFill(_fill("1", tpb.SIDE_BUY, "10", "100"), metadata=md)
    await ledger.stub.RecordFill(_fill("2", tpb.SIDE_SELL, "10", "90"), metadata=md)
    m = await ledger.stub.GetRiskMetrics(pb.GetRiskMetricsRequest(), metadata=md)
    # equity 1000 - 10*(100-90) = 900; peak 1000; drawdown 100/1000; the day began at 0 and
    # the deposit of 1000 moved its start to 1000: daily loss 100/1000
    assert (m.equity, m.peak, m.drawdown) == ("900", "1000", "0.1")
    assert (m.day_start_equity, m.daily_loss, m.consecutive_losses) == ("1000", "0.1", 1)
    assert m.baseline_sequence == 0

    bot = await ledger.stub.GetRiskMetrics(pb.GetRiskMetricsRequest(bot_id="b1"), metadata=md)
    # the bot has no funding of its own: equity -100, peak 0 -> no drawdown ratio
    assert (bot.equity, bot.drawdown, bot.consecutive_losses) == ("-100", "0", 1)


async def test_open_position_is_marked(ledger):
    md = ledger.service_for("alice")
    await _fund(ledger, md)
    await ledger.stub.RecordFill(_fill("1", tpb.SIDE_BUY, "10", "100"), metadata=md)
    m = await ledger.stub.GetRiskMetrics(
        pb.GetRiskMetricsRequest(marks=["BTC/USDT=80"]), metadata=md
    )
    # 1000 + 10*(80-100) = 800: drawdown 200/1000
    assert (m.equity, m.drawdown, m.daily_loss) == ("800", "0.2", "0.2")


async def test_reset_starts_the_counts_afresh_and_verifies(ledger, clock):
    md = ledger.service_for("alice")
    await _fund(ledger, md)
    await ledger.stub.RecordFill(_fill("1", tpb.SIDE_BUY, "10", "100"), metadata=md)
    await ledger.stub.RecordFill(_fill("2", tpb.SIDE_SELL, "10", "90"), metadata=md)
    r = await ledger.stub.ResetRiskBaseline(
        pb.ResetRiskBaselineRequest(reason="manual reset"), metadata=md
    )
    assert r.baseline_sequence == 3
    for bot_id in ("", "b1"):
        m = await ledger.stub.GetRiskMetrics(pb.GetRiskMetricsRequest(bot_id=bot_id), metadata=md)
        assert (m.drawdown, m.daily_loss, m.consecutive_losses) == ("0", "0", 0), bot_id
        assert m.baseline_sequence == 3
    # the summary's drawdown is history and is not reset
    s = await ledger.stub.GetPortfolioSummary(pb.GetPortfolioSummaryRequest(), metadata=md)
    assert s.max_drawdown == "0.1"

    # another losing trade after the reset counts from the new peak of 900
    await ledger.stub.RecordFill(_fill("3", tpb.SIDE_BUY, "9", "100"), metadata=md)
    await ledger.stub.RecordFill(_fill("4", tpb.SIDE_SELL, "9", "90"), metadata=md)
    m = await ledger.stub.GetRiskMetrics(pb.GetRiskMetricsRequest(), metadata=md)
    # equity 900 - 9*10 = 810; drawdown 90/900 = 0.1; one loss since the reset
    assert (m.equity, m.drawdown, m.consecutive_losses) == ("810", "0.1", 1)

    # the next UTC day starts at the equity recorded last: no loss today yet
    clock.now = clock.now + timedelta(days=1)
    m = await ledger.stub.GetRiskMetrics(pb.GetRiskMetricsRequest(), metadata=md)
    assert (m.day_start_equity, m.daily_loss) == ("810", "0")

    v = await ledger.stub.Verify(pb.VerifyRequest(), metadata=md)
    assert v.ok, v.problems


async def test_only_a_service_resets(ledger):
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await ledger.stub.ResetRiskBaseline(
            pb.ResetRiskBaselineRequest(reason="x"), metadata=ledger.user("alice")
        )
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED


async def test_account_and_bot_in_one_call(ledger):
    md = ledger.service_for("alice")
    await _fund(ledger, md)
    await ledger.stub.RecordFill(_fill("1", tpb.SIDE_BUY, "10", "100"), metadata=md)
    await ledger.stub.RecordFill(_fill("2", tpb.SIDE_SELL, "10", "90"), metadata=md)
    await ledger.stub.RecordFill(_fill("3", tpb.SIDE_BUY, "1", "100", bot="b2"), metadata=md)
    both = await ledger.stub.GetRiskMetrics(
        pb.GetRiskMetricsRequest(bot_id="b1", marks=["BTC/USDT=80"], include_account=True),
        metadata=md,
    )
    # the bot: -10*(100-90) = -100, no position left; the account: 1000 - 100 and b2's
    # 1 BTC bought at 100 marked at 80: 900 - 20 = 880, drawdown 120/1000
    assert (both.bot_id, both.equity, both.consecutive_losses) == ("b1", "-100", 1)
    assert both.account.bot_id == ""
    assert (both.account.equity, both.account.peak, both.account.drawdown) == (
        "880",
        "1000",
        "0.12",
    )
    assert not both.account.HasField("account")
    # the same figures as two separate calls
    alone = await ledger.stub.GetRiskMetrics(
        pb.GetRiskMetricsRequest(marks=["BTC/USDT=80"]), metadata=md
    )
    assert both.account == alone
    # without the flag there is no account part
    bot = await ledger.stub.GetRiskMetrics(pb.GetRiskMetricsRequest(bot_id="b1"), metadata=md)
    assert not bot.HasField("account")
    assert bot.equity == "-100"


def _with_risk(fid, side, amount, price, *marks):
    req = _fill(fid, side, amount, price)
    req.include_risk = True
    req.risk_marks.extend(marks)
    return req


async def test_a_fill_answers_the_figures_it_leaves(ledger):
    """RecordFill with include_risk: the breaker's figures right after the fill, the same as
    GetRiskMetrics gives after it, for the fill's bot and the account."""
    md = ledger.service_for("carol")
    await _fund(ledger, md)
    await ledger.stub.RecordFill(_fill("1", tpb.SIDE_BUY, "10", "100"), metadata=md)
    req = _with_risk("2", tpb.SIDE_SELL, "4", "90", "BTC/USDT=80")
    r = await ledger.stub.RecordFill(req, metadata=md)
    assert r.fill.realized_pnl == "-40"  # 4 * (90 - 100)
    # account: 1000 - 40 realized + 6 * (80 - 100) open = 840; peak 1000: drawdown 0.16
    a = r.risk.account
    assert (a.bot_id, a.currency, a.equity, a.peak) == ("", "USDT", "840", "1000")
    assert (a.drawdown, a.daily_loss, a.consecutive_losses) == ("0.16", "0.16", 1)
    # the bot: no funding of its own, -40 - 120 = -160, peak 0
    b = r.risk
    assert (b.bot_id, b.equity, b.drawdown, b.consecutive_losses) == ("b1", "-160", "0", 1)
    after = await ledger.stub.GetRiskMetrics(
        pb.GetRiskMetricsRequest(bot_id="b1", marks=["BTC/USDT=80"], include_account=True),
        metadata=md,
    )
    assert r.risk == after

    # a replay answers the original fill and the figures as they are now
    again = await ledger.stub.RecordFill(req, metadata=md)
    assert again.replayed and again.fill.sequence == r.fill.sequence
    assert again.risk == after
    # without include_risk: no figures
    plain = await ledger.stub.RecordFill(_fill("3", tpb.SIDE_SELL, "1", "90"), metadata=md)
    assert not plain.HasField("risk")
    # the same fill id with other fields: refused
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await ledger.stub.RecordFill(
            _with_risk("2", tpb.SIDE_SELL, "5", "90", "BTC/USDT=80"), metadata=md
        )
    assert err.value.code() == grpc.StatusCode.ALREADY_EXISTS


async def test_bad_risk_marks_are_refused_and_record_nothing(ledger):
    md = ledger.service_for("dave")
    req = _with_risk("1", tpb.SIDE_BUY, "1", "100", "BTC/USDT=-5")
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await ledger.stub.RecordFill(req, metadata=md)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "risk_marks" in err.value.details()
    audit = await ledger.stub.GetAuditTrail(pb.GetAuditTrailRequest(), metadata=md)
    assert list(audit.items) == []
