"""FIFO lots, realized PnL and fee attribution (DESIGN 5.1). Expected numbers are worked by hand."""

from decimal import Decimal as D
from decimal import localcontext

import pytest

from services.ledger.domain import (
    CTX,
    DomainError,
    FillIn,
    Lot,
    Position,
    apply_fill,
    fmt,
    to_decimal,
)

FLAT = Position(side=0)


def fill(side, amount, price, fee="0", fee_currency="USDT", fee_quote=None):
    return FillIn(
        side=side,
        amount=D(amount),
        price=D(price),
        fee=D(fee),
        fee_currency=fee_currency,
        fee_quote=None if fee_quote is None else D(fee_quote),
        base="BTC",
        quote="USDT",
    )


def run(*fills, position=FLAT):
    outcomes = []
    for f in fills:
        outcome = apply_fill(position, f)
        outcomes.append(outcome)
        position = outcome.position
    return position, outcomes


def lots_of(position):
    return [(lot.qty, lot.price) for lot in position.lots]


# --- the example of DESIGN 5.1 ---------------------------------------------------------------


def test_design_example_trade_nets():
    position, (buy, sell4, sell6) = run(
        fill("BUY", "10", "500", "9.95"),
        fill("SELL", "4", "530", "9.95"),
        fill("SELL", "6", "540", "9.95"),
    )
    assert not buy.is_trade and buy.trade_net is None
    # sell 4 @ 530: realized 4 * (530 - 500) = 120; own fee 9.95;
    # entry fee share 9.95 * 4/10 = 3.98 -> 120 - 9.95 - 3.98 = 106.07
    assert sell4.realized_pnl == D("120")
    assert sell4.entry_fee_share == D("3.98")
    assert sell4.trade_fee_share == D("9.95")
    assert sell4.trade_net == D("106.07")
    assert sell4.position.lots == (Lot(D("6"), D("500"), D("5.97")),)  # 9.95 - 3.98
    # sell 6 @ 540: realized 6 * 40 = 240; fees 9.95 own + 5.97 entry -> 224.08
    assert sell6.realized_pnl == D("240")
    assert sell6.entry_fee_share == D("5.97")
    assert sell6.trade_net == D("224.08")
    assert position == FLAT
    assert fmt(sell4.trade_net) == "106.07" and fmt(sell6.trade_net) == "224.08"


# --- beancount's FIFO reduction vectors --------------------------------------------------------

BEANCOUNT_LOTS = [("4", "100.00"), ("5", "111.11"), ("6", "122.22")]


def beancount_position():
    position, _ = run(*(fill("BUY", qty, price) for qty, price in BEANCOUNT_LOTS))
    return position


# Selling at 130: gains per unit are 30 (lot @100.00), 18.89 (@111.11), 7.78 (@122.22).
@pytest.mark.parametrize(
    ("reduce", "realized", "remaining"),
    [
        ("2", D("2") * 30, [("2", "100.00"), ("5", "111.11"), ("6", "122.22")]),  # 60
        ("4", D("4") * 30, [("5", "111.11"), ("6", "122.22")]),  # 120
        ("7", 4 * D("30") + 3 * D("18.89"), [("2", "111.11"), ("6", "122.22")]),  # 176.67
        ("9", 4 * D("30") + 5 * D("18.89"), [("6", "122.22")]),  # 214.45
        ("12", 4 * D("30") + 5 * D("18.89") + 3 * D("7.78"), [("3", "122.22")]),  # 237.79
        ("15", 4 * D("30") + 5 * D("18.89") + 6 * D("7.78"), []),  # 261.13
    ],
)
def test_beancount_fifo_reductions(reduce, realized, remaining):
    outcome = apply_fill(beancount_position(), fill("SELL", reduce, "130"))
    assert outcome.realized_pnl == realized
    assert outcome.closed_qty == D(reduce)
    assert lots_of(outcome.position) == [(D(q), D(p)) for q, p in remaining]
    assert outcome.position.side == (1 if remaining else 0)


def test_beancount_literal_totals():
    # the same numbers as plain literals, to catch a wrong expression above
    realized = [
        apply_fill(beancount_position(), fill("SELL", n, "130")).realized_pnl
        for n in ("2", "4", "7", "9", "12", "15")
    ]
    assert realized == [D("60"), D("120"), D("176.67"), D("214.45"), D("237.79"), D("261.13")]


def test_reducing_17_of_15_opens_a_short_of_2():
    outcome = apply_fill(beancount_position(), fill("SELL", "17", "130"))
    assert outcome.closed_qty == D("15")
    assert outcome.realized_pnl == D("261.13")  # everything closed, as for 15
    assert outcome.position.side == -1
    assert lots_of(outcome.position) == [(D("2"), D("130"))]
    assert outcome.position.amount == D("-2")


def test_average_price_is_quantity_weighted():
    position = beancount_position()
    assert position.amount == D("15")
    with localcontext(CTX):
        # (4*100 + 5*111.11 + 6*122.22) / 15 = (400 + 555.55 + 733.32) / 15 = 1688.87 / 15
        expected = D("1688.87") / D("15")
    assert position.average_price == expected
    assert FLAT.average_price == 0 and FLAT.amount == 0


def test_each_opening_fill_is_its_own_lot():
    position, _ = run(fill("BUY", "1", "100"), fill("BUY", "1", "100"))
    assert len(position.lots) == 2
    assert position.amount == D("2")


# --- shorts -----------------------------------------------------------------------------------


def test_short_open_partial_cover_and_full_cover():
    position, (open_, cover1, cover2) = run(
        fill("SELL", "3", "200", "0.6"),
        fill("BUY", "1", "180", "0.18"),
        fill("BUY", "2", "150", "0.3"),
    )
    assert not open_.is_trade
    assert open_.position.side == -1 and open_.position.amount == D("-3")
    assert open_.position.lots == (Lot(D("3"), D("200"), D("0.6")),)
    # cover 1 @ 180: realized (200 - 180) * 1 = 20; entry share 0.6 * 1/3 = 0.2
    assert cover1.realized_pnl == D("20")
    assert cover1.entry_fee_share == D("0.2")
    assert cover1.trade_net == D("19.62")  # 20 - 0.18 - 0.2
    assert cover1.position.lots == (Lot(D("2"), D("200"), D("0.4")),)
    # cover 2 @ 150: realized (200 - 150) * 2 = 100; remaining entry fee 0.4
    assert cover2.realized_pnl == D("100")
    assert cover2.trade_net == D("99.3")  # 100 - 0.3 - 0.4
    assert position == FLAT


def test_short_covered_higher_is_a_loss():
    _, (_, cover) = run(fill("SELL", "2", "100"), fill("BUY", "2", "110", "1"))
    assert cover.realized_pnl == D("-20")  # (100 - 110) * 2
    assert cover.trade_net == D("-21")


# --- a fill that flips the position -----------------------------------------------------------


def test_flip_splits_the_fee_pro_rata_and_the_short_carries_its_share():
    position, (_, flip, cover) = run(
        fill("BUY", "5", "100", "0.5"),
        fill("SELL", "8", "110", "0.8"),
        fill("BUY", "3", "100", "0.3"),
    )
    # flip: closes 5 (realized 5 * 10 = 50), own fee share 0.8 * 5/8 = 0.5,
    # entry share 0.5 (the whole long lot) -> net 50 - 0.5 - 0.5 = 49
    assert flip.closed_qty == D("5")
    assert flip.realized_pnl == D("50")
    assert flip.trade_fee_share == D("0.5")
    assert flip.entry_fee_share == D("0.5")
    assert flip.trade_net == D("49")
    assert flip.fee_quote == D("0.8")
    # the rest, 0.8 * 3/8 = 0.3, is the entry fee of the new short lot 3 @ 110
    assert flip.position.side == -1
    assert flip.position.lots == (Lot(D("3"), D("110"), D("0.3")),)
    # cover 3 @ 100: realized (110 - 100) * 3 = 30; net 30 - 0.3 own - 0.3 entry = 29.4
    assert cover.trade_net == D("29.4")
    assert position == FLAT


# --- fee currencies ---------------------------------------------------------------------------


def test_base_fee_on_buy_makes_the_lot_smaller():
    outcome = apply_fill(FLAT, fill("BUY", "1.001", "20000", "0.001", fee_currency="BTC"))
    assert outcome.position.amount == D("1")  # 1.001 - 0.001: what the account holds
    assert outcome.fee_quote == D("20")  # 0.001 * 20000
    assert outcome.position.lots == (Lot(D("1"), D("20000"), D("20")),)


def test_base_fee_on_sell_closes_that_much_more():
    position, (_, sell) = run(
        fill("BUY", "1.001", "20000", "0.001", fee_currency="BTC"),
        fill("SELL", "0.4995", "21000", "0.0005", fee_currency="BTC"),
    )
    # the sell gives up 0.4995 + 0.0005 = 0.5 BTC
    assert sell.closed_qty == D("0.5")
    assert sell.realized_pnl == D("500")  # 0.5 * (21000 - 20000)
    assert sell.fee_quote == D("10.5")  # 0.0005 * 21000
    assert sell.entry_fee_share == D("10")  # 20 * 0.5 / 1
    assert sell.trade_net == D("479.5")  # 500 - 10.5 - 10
    assert position.amount == D("0.5")  # 1 - 0.5
    assert position.lots == (Lot(D("0.5"), D("20000"), D("10")),)


def test_base_fee_not_below_the_amount_bought_is_refused():
    with pytest.raises(DomainError) as err:
        apply_fill(FLAT, fill("BUY", "0.001", "20000", "0.001", fee_currency="BTC"))
    assert err.value.field == "fee"


def test_third_currency_fee_uses_its_quote_value():
    outcome = apply_fill(FLAT, fill("BUY", "2", "100", "0.05", fee_currency="BNB", fee_quote="1.5"))
    assert outcome.fee_quote == D("1.5")
    assert outcome.position.lots == (Lot(D("2"), D("100"), D("1.5")),)  # the amount is untouched


def test_third_currency_fee_without_quote_value_is_refused():
    with pytest.raises(DomainError) as err:
        apply_fill(FLAT, fill("BUY", "2", "100", "0.05", fee_currency="BNB"))
    assert err.value.field == "fee_quote"


def test_zero_fee_in_any_currency_is_fine():
    outcome = apply_fill(FLAT, fill("BUY", "2", "100", "0", fee_currency="BNB"))
    assert outcome.fee_quote == 0
    assert outcome.position.amount == D("2")


def test_fee_currency_is_compared_without_case():
    outcome = apply_fill(FLAT, fill("BUY", "2", "100", "1", fee_currency="usdt"))
    assert outcome.fee_quote == D("1")


def test_fee_share_of_an_odd_split_still_adds_up():
    # a 1 USDT entry fee over 3 units, closed one unit at a time
    position, outcomes = run(
        fill("BUY", "3", "10", "1"),
        fill("SELL", "1", "10"),
        fill("SELL", "1", "10"),
        fill("SELL", "1", "10"),
    )
    shares = [o.entry_fee_share for o in outcomes[1:]]
    assert shares[0] == D("0.333333333333333333")  # 1/3 rounded half-even to 18 places
    assert sum(shares) == D("1")  # the last close takes what is left: nothing lost
    assert position == FLAT


# --- bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"amount": "0"}, "amount"),
        ({"amount": "-1"}, "amount"),
        ({"price": "0"}, "price"),
        ({"fee": "-0.1"}, "fee"),
        ({"side": "HOLD"}, "side"),
    ],
)
def test_bad_fills_are_refused(kwargs, field):
    args = {"side": "BUY", "amount": "1", "price": "100", "fee": "0"} | kwargs
    with pytest.raises(DomainError) as err:
        apply_fill(FLAT, fill(**args))
    assert err.value.field == field


def test_float_never_passes():
    bad = FillIn("BUY", 1.5, D("1"), D("0"), "USDT", None, "BTC", "USDT")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        apply_fill(FLAT, bad)


# --- JSON of a position -----------------------------------------------------------------------


def test_position_json_is_compact_and_round_trips():
    position = Position(side=-1, lots=(Lot(D("2.50"), D("1E+2"), D("0.100")),))
    text = position.to_json()
    assert text == '{"lots":[{"fee":"0.1","price":"100","qty":"2.5"}],"side":-1}'
    assert Position.from_json(text) == position
    assert Position.from_json(FLAT.to_json()) == FLAT


def test_malformed_position_json_is_a_domain_error():
    with pytest.raises(DomainError):
        Position.from_json('{"side":1,"lots":[{"qty":"NaN","price":"1","fee":"0"}]}')
    with pytest.raises(DomainError):
        Position.from_json("not json")


# --- money helpers ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("1E+2", "100"),
        ("106.0700", "106.07"),
        ("-0.0", "0"),
        ("0E-8", "0"),
        ("1.2E-7", "0.00000012"),
    ],
)
def test_fmt(value, text):
    assert fmt(D(value)) == text


@pytest.mark.parametrize(
    "raw", ["NaN", "-Infinity", "inf", "", "   ", "abc", "1,5", "1_000", "0x10"]
)
def test_to_decimal_refuses(raw):
    with pytest.raises(DomainError) as err:
        to_decimal(raw, "amount")
    assert err.value.field == "amount"
    assert str(err.value).startswith("amount: ")


def test_to_decimal_accepts():
    assert to_decimal("0.015", "x") == D("0.015")
    assert to_decimal("1e3", "x") == D("1000")
    assert to_decimal(D("2.5"), "x") == D("2.5")
    assert fmt(to_decimal("-0", "x")) == "0"


def test_zero_fee_needs_no_currency():
    bare = FillIn("BUY", D("1"), D("100"), D("0"), None, None, "BTC", "USDT")  # type: ignore[arg-type]
    assert apply_fill(FLAT, bare).fee_quote == 0
    with pytest.raises(DomainError) as err:
        apply_fill(FLAT, FillIn("BUY", D("1"), D("100"), D("1"), "", None, "BTC", "USDT"))
    assert err.value.field == "fee_currency"
