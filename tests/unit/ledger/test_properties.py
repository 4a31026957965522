"""Property tests: the FIFO engine against an independent reference, and fee conservation."""

from datetime import UTC, datetime, timedelta
from decimal import ROUND_DOWN, Decimal, localcontext

from hypothesis import given, settings
from hypothesis import strategies as st

from services.ledger.domain import (
    CTX,
    Bucket,
    Figures,
    FillIn,
    Position,
    add_fill,
    apply_fill,
    apply_fill_outcome,
    apply_funding,
    bucket_start,
)

D = Decimal
EIGHT = D("1E-8")
SETTINGS = settings(max_examples=200, deadline=None)
T0 = datetime(2026, 1, 1, tzinfo=UTC)

amounts = st.decimals(min_value=EIGHT, max_value=D("50"), places=8)
prices = st.decimals(min_value=D("0.01"), max_value=D("100000"), places=8)


@st.composite
def fills(draw):
    side = draw(st.sampled_from(["BUY", "SELL"]))
    amount = draw(amounts)
    price = draw(prices)
    kind = draw(st.sampled_from(["quote", "base", "other", "none"]))
    rate = draw(st.integers(min_value=0, max_value=100))  # up to 10 % of the amount
    with localcontext(CTX) as ctx:
        ctx.rounding = ROUND_DOWN
        if kind == "quote":
            fee = (amount * price * rate / 1000).quantize(EIGHT)
        elif kind == "base":
            fee = (amount * rate / 1000).quantize(EIGHT)  # < amount: a buy still gets something
        else:
            fee = D(0) if kind == "none" else D(rate) / 100
    currency = {"quote": "USDT", "base": "BTC", "other": "BNB", "none": "ETH"}[kind]
    fee_quote = draw(st.decimals(min_value=0, max_value=50, places=8)) if kind == "other" else None
    return FillIn(side, amount, price, fee, currency, fee_quote, "BTC", "USDT")


fill_lists = st.lists(fills(), min_size=1, max_size=30)


# --- an independent, deliberately plain reference implementation ------------------------------


def ref_share(total, part, whole):
    """The rounding rule of the contract: the whole when part == whole, else half-even to 18dp."""
    if part == whole:
        return total
    with localcontext(CTX):
        return (total * part / whole).quantize(D("1E-18"))


class RefBook:
    def __init__(self):
        self.lots = []  # [signed qty (+ long, - short), price, remaining entry fee], oldest first

    def fill(self, f):
        with localcontext(CTX):
            sign = 1 if f.side == "BUY" else -1
            q = f.amount
            if f.fee == 0:
                fee_quote = D(0)
            elif f.fee_currency == "USDT":
                fee_quote = f.fee
            elif f.fee_currency == "BTC":
                fee_quote = f.fee * f.price
                q = f.amount - f.fee if sign == 1 else f.amount + f.fee
            else:
                fee_quote = f.fee_quote
            left, realized, entry_fees = q, D(0), D(0)
            while left > 0 and self.lots and (self.lots[0][0] > 0) != (sign > 0):
                lot = self.lots[0]
                size = abs(lot[0])
                if left >= size:
                    take, share = size, lot[2]
                    self.lots.pop(0)
                else:
                    take, share = left, ref_share(lot[2], left, size)
                    lot[0] += sign * take
                    lot[2] -= share
                if sign == -1:  # selling out of a long lot
                    realized += (f.price - lot[1]) * take
                else:  # buying back a short lot
                    realized += (lot[1] - f.price) * take
                entry_fees += share
                left -= take
            closed = q - left
            own = ref_share(fee_quote, closed, q) if closed > 0 else D(0)
            if left > 0:
                self.lots.append([sign * left, f.price, fee_quote - own])
            net = realized - own - entry_fees if closed > 0 else None
            return realized, fee_quote, net, q


def effective_qty(f):
    """Signed change of the holding: a base fee comes out of what is bought or sold."""
    q = f.amount
    if f.fee_currency == "BTC":
        q = f.amount - f.fee if f.side == "BUY" else f.amount + f.fee
    return q if f.side == "BUY" else -q


@SETTINGS
@given(fill_lists)
def test_position_equals_the_sum_of_effective_quantities(fs):
    position, held = Position(), D(0)
    for f in fs:
        position = apply_fill(position, f).position
        held += effective_qty(f)
        assert position.amount == held
        assert position.side == (held > 0) - (held < 0)


@SETTINGS
@given(fill_lists)
def test_engine_agrees_with_the_reference(fs):
    position, ref = Position(), RefBook()
    for f in fs:
        outcome = apply_fill(position, f)
        realized, fee_quote, net, q = ref.fill(f)
        assert outcome.realized_pnl == realized
        assert outcome.fee_quote == fee_quote
        assert outcome.trade_net == net
        assert outcome.is_trade == (net is not None)
        position = outcome.position
        signed = [(lot.qty * position.side, lot.price, lot.fee) for lot in position.lots]
        assert signed == [tuple(lot) for lot in ref.lots]


@SETTINGS
@given(fill_lists)
def test_every_fee_is_charged_exactly_once(fs):
    position = Position()
    nets, realized, fees = D(0), D(0), D(0)
    with localcontext(CTX):
        for f in fs:
            outcome = apply_fill(position, f)
            position = outcome.position
            realized += outcome.realized_pnl
            fees += outcome.fee_quote
            if outcome.is_trade:
                nets += outcome.trade_net
            else:
                assert outcome.trade_net is None and outcome.closed_qty == 0
        still_attached = sum((lot.fee for lot in position.lots), D(0))
        # fees not yet charged to a trade still sit on the open lots
        assert nets - still_attached == realized - fees


@SETTINGS
@given(
    fill_lists,
    st.lists(st.decimals(min_value=-1000, max_value=100000, places=8), max_size=5),
    st.lists(st.integers(min_value=0, max_value=90 * 86400), min_size=30, max_size=30),
)
def test_json_round_trips_and_totals_add_up(fs, fundings, offsets):
    position, figures = Position(), Figures()
    buckets: dict[datetime, Bucket] = {}
    funding_total = D(0)
    for amount in fundings:
        figures = apply_funding(figures, amount)
        funding_total += amount
    for f, offset in zip(fs, offsets, strict=False):
        at = T0 + timedelta(seconds=offset)
        outcome = apply_fill(position, f)
        position = outcome.position
        assert Position.from_json(position.to_json()) == position
        assert Position.from_json(position.to_json()).to_json() == position.to_json()
        figures = apply_fill_outcome(figures, outcome, at)
        start = bucket_start(at, "weekly")
        buckets[start] = add_fill(buckets.get(start, Bucket(period_start=start)), outcome)
        assert Figures.from_json(figures.to_json()) == figures
        assert figures.peak >= figures.equity
        assert 0 <= figures.current_drawdown <= figures.max_drawdown
    with localcontext(CTX):
        assert figures.equity == funding_total + figures.realized_pnl - figures.fees
        assert sum((b.net_pnl for b in buckets.values()), D(0)) == figures.net_pnl
        assert sum(b.trades for b in buckets.values()) == figures.trades
        assert sum(b.winning_trades for b in buckets.values()) == figures.winning_trades
    assert Figures.from_json(figures.to_json()) == figures
