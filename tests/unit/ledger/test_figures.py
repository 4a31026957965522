"""Running figures: equity, funding-adjusted drawdown, streaks, win rate (DESIGN 5.1)."""

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal as D
from decimal import localcontext

import pytest

from services.ledger.domain import (
    CTX,
    Figures,
    FillIn,
    FillOutcome,
    Lot,
    Position,
    apply_fill,
    apply_fill_outcome,
    apply_funding,
    unrealized_pnl,
)

T0 = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


def fill(side, amount, price, fee="0"):
    return FillIn(side, D(amount), D(price), D(fee), "USDT", None, "BTC", "USDT")


def trade(net):
    """An outcome of a trade whose net is `net` (realized = net, no fees)."""
    net = D(net)
    return FillOutcome(
        position=Position(),
        realized_pnl=net,
        fee_quote=D(0),
        closed_qty=D(1),
        is_trade=True,
        trade_net=net,
        trade_fee_share=D(0),
        entry_fee_share=D(0),
    )


def ratio(a, b):
    with localcontext(CTX):
        return D(a) / D(b)


def test_design_example_full_equity():
    figures = apply_funding(Figures(), D("10000"))
    position = Position()
    for i, f in enumerate(
        [fill("BUY", "10", "500", "9.95"), fill("SELL", "4", "530", "9.95")]
        + [fill("SELL", "6", "540", "9.95")]
    ):
        outcome = apply_fill(position, f)
        position = outcome.position
        figures = apply_fill_outcome(figures, outcome, T0 + timedelta(minutes=i))
    assert figures.realized_pnl == D("360")  # 4*30 + 6*40
    assert figures.fees == D("29.85")  # 3 * 9.95
    assert figures.net_pnl == D("330.15")  # 106.07 + 224.08
    assert figures.equity == D("10330.15")  # 10000 + 360 - 29.85
    assert (figures.trades, figures.winning_trades, figures.losing_trades) == (2, 2, 0)
    assert figures.first_trade_at == T0
    # the buy's fee took equity to 9990.05 below the 10000 peak: drawdown 9.95 / 10000
    assert figures.max_drawdown == D("0.000995")
    assert figures.peak == D("10330.15")
    assert figures.current_drawdown == 0


def test_drawdown_is_adjusted_for_funding():
    f = apply_funding(Figures(), D("1000"))
    assert (f.peak, f.equity, f.current_drawdown) == (D("1000"), D("1000"), 0)
    f = apply_fill_outcome(f, trade("-100"), T0)  # lose 100
    assert f.equity == D("900")
    assert f.current_drawdown == D("0.1")  # 100 / 1000
    assert f.max_drawdown == D("0.1")
    f = apply_funding(f, D("500"))  # a deposit is not a gain: the peak moves with it
    assert (f.peak, f.equity) == (D("1500"), D("1400"))
    assert f.current_drawdown == ratio(100, 1500)
    assert f.max_drawdown == D("0.1")  # 1/15 < 0.1
    f = apply_funding(f, D("-700"))  # a withdrawal is not a loss either
    assert (f.peak, f.equity) == (D("800"), D("700"))
    assert f.current_drawdown == D("0.125")  # 100 / 800
    assert f.max_drawdown == D("0.125")
    assert f.net_funding == D("800")  # 1000 + 500 - 700


def test_gains_raise_the_peak_and_clear_the_drawdown():
    f = apply_funding(Figures(), D("1000"))
    f = apply_fill_outcome(f, trade("-200"), T0)
    f = apply_fill_outcome(f, trade("300"), T0)
    assert (f.peak, f.equity, f.current_drawdown) == (D("1100"), D("1100"), 0)
    assert f.max_drawdown == D("0.2")  # 200 / 1000


def test_no_drawdown_without_a_positive_peak():
    f = apply_fill_outcome(Figures(), trade("-5"), T0)
    assert f.equity == D("-5") and f.peak == 0
    assert f.current_drawdown == 0 and f.max_drawdown == 0


def test_consecutive_losses_and_break_even_reset():
    f = Figures()
    for net in ["-1", "-2"]:
        f = apply_fill_outcome(f, trade(net), T0)
    assert f.consecutive_losses == 2
    f = apply_fill_outcome(f, trade("3"), T0)
    assert f.consecutive_losses == 0
    for net in ["-1", "-1", "-1"]:
        f = apply_fill_outcome(f, trade(net), T0)
    assert f.consecutive_losses == 3
    f = apply_fill_outcome(f, trade("0"), T0)  # break-even: neither won nor lost
    assert f.consecutive_losses == 0
    assert (f.trades, f.winning_trades, f.losing_trades) == (7, 1, 5)


def test_an_opening_fill_is_not_a_trade_and_keeps_the_streak():
    f = apply_fill_outcome(Figures(), trade("-1"), T0)
    opening = apply_fill(Position(), fill("BUY", "1", "100", "0.1"))
    f = apply_fill_outcome(f, opening, T0)
    assert f.trades == 1 and f.consecutive_losses == 1
    assert f.fees == D("0.1")


def test_win_rate():
    assert Figures().win_rate == 0
    f = Figures()
    for net in ["5", "-1", "2"]:
        f = apply_fill_outcome(f, trade(net), T0)
    assert f.win_rate == ratio(2, 3)


def test_first_trade_at_is_the_earliest_fill_in_utc():
    f = apply_fill_outcome(Figures(), trade("1"), T0)
    earlier = datetime(2026, 1, 5, 13, 0, tzinfo=timezone(timedelta(hours=3)))  # 10:00 UTC
    f = apply_fill_outcome(f, trade("1"), earlier)
    f = apply_fill_outcome(f, trade("1"), T0 + timedelta(days=1))
    assert f.first_trade_at == datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
    assert f.first_trade_at.utcoffset() == timedelta(0)


def test_naive_time_is_refused():
    with pytest.raises(ValueError):
        apply_fill_outcome(Figures(), trade("1"), datetime(2026, 1, 1))


def test_figures_json_round_trip():
    f = apply_funding(Figures(), D("1000.50"))
    f = apply_fill_outcome(f, trade("-100"), datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC))
    f = apply_funding(f, D("500"))
    again = Figures.from_json(f.to_json())
    assert again == f
    assert again.first_trade_at == datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC)
    assert Figures.from_json(Figures().to_json()) == Figures()


def test_unrealized_pnl_at_marks():
    long_ = Position(1, (Lot(D("2"), D("100"), D("0")), Lot(D("1"), D("110"), D("1"))))
    short = Position(-1, (Lot(D("3"), D("50"), D("0")),))
    # long at 120: 2 * 20 + 1 * 10 = 50; short at 40: 3 * (50 - 40) = 30
    assert unrealized_pnl([(long_, D("120")), (short, D("40"))]) == D("80")
    assert unrealized_pnl([(short, D("60"))]) == D("-30")
    assert unrealized_pnl([]) == 0
