"""The ledger's Book (a fold in place, for speed) against a fold of the domain's pure functions.

The domain (apply_fill, apply_fill_outcome, apply_funding, roll_day, reset_risk, add_fill) is
the specification; SpecBook below folds entries through it exactly as the Book did before it
was rewritten to change its state in place. Both must agree on every derived figure of every
entry and on every position, figure, bucket and equity day, over random entries: fills of
several bots and symbols with fees in quote, base and a third currency, every event type,
risk baselines, and entries recorded across days.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import ROUND_DOWN, Decimal, localcontext

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.ledger.accounting import ACCOUNT, Book, Loader
from services.ledger.domain import (
    CTX,
    PERIODS,
    Bucket,
    DomainError,
    Figures,
    FillIn,
    Lot,
    Position,
    add_fill,
    apply_fill,
    apply_fill_outcome,
    apply_funding,
    bucket_start,
    reset_risk,
    roll_day,
)
from services.ledger.model import EVENT, FILL, Derived, Entry

D = Decimal
EIGHT = D("1E-8")
T0 = datetime(2026, 3, 1, 22, tzinfo=UTC)  # near midnight: entries cross days and weeks


class SpecBook:
    """Entries folded through the domain's pure functions (the Book before it ran in place)."""

    def __init__(self) -> None:
        self.positions: dict = {}
        self.figures: dict = {}
        self.buckets: dict = {}
        self.days: dict = {}
        self.day = None

    def _figures(self, key):
        f = self.figures.get(key, Figures())
        if self.day is not None:
            f = roll_day(f, self.day)
        self.figures[key] = f
        return f

    def _scopes(self, bot_id):
        return [ACCOUNT, bot_id] if bot_id else [ACCOUNT]

    def _note_day(self, e):
        equity = self._figures((ACCOUNT, e.currency)).equity
        self.days[(e.currency, bucket_start(e.at, "daily"))] = (e.at, equity)

    def baseline(self, key, at):
        self.day = bucket_start(at, "daily")
        self.figures[key] = reset_risk(self._figures(key), self.day)

    def apply(self, e: Entry, recorded_at: datetime) -> Derived:
        self.day = bucket_start(recorded_at, "daily")
        if e.kind == FILL:
            key = (e.bot_id, e.symbol)
            fill = FillIn(
                e.side, e.amount, e.price, e.fee, e.fee_currency, e.fee_quote, e.base, e.currency
            )
            outcome = apply_fill(self.positions.get(key, Position()), fill)
            self.positions[key] = outcome.position
            for scope in self._scopes(e.bot_id):
                fkey = (scope, e.currency)
                self.figures[fkey] = apply_fill_outcome(self._figures(fkey), outcome, e.at)
                for period in PERIODS:
                    start = bucket_start(e.at, period)
                    bkey = (scope, e.currency, period, start)
                    self.buckets[bkey] = add_fill(
                        self.buckets.get(bkey, Bucket(period_start=start)), outcome
                    )
            self._note_day(e)
            return Derived(
                outcome.realized_pnl,
                outcome.trade_net if outcome.is_trade else None,
                outcome.fee_quote,
            )
        sign = -1 if e.event_type in ("WITHDRAWAL", "TRANSFER") else 1
        scopes = (
            [e.bot_id] if e.event_type in ("ALLOCATION", "TRANSFER") else self._scopes(e.bot_id)
        )
        for scope in scopes:
            fkey = (scope, e.currency)
            self.figures[fkey] = apply_funding(self._figures(fkey), e.amount * sign)
        if ACCOUNT in scopes:
            self._note_day(e)
        return Derived()


@st.composite
def fill_entry(draw, i: int):
    bot = draw(st.sampled_from(["", "b1", "b2"]))
    symbol = draw(st.sampled_from(["BTC/USDT", "ETH/USDT"]))
    base = symbol.split("/")[0]
    amount = draw(st.decimals(min_value=EIGHT, max_value=D("5"), places=8))
    price = draw(st.decimals(min_value=D("0.01"), max_value=D("70000"), places=2))
    kind = draw(st.sampled_from(["quote", "quote", "base", "other", "none"]))
    rate = draw(st.integers(min_value=0, max_value=30))
    with localcontext(CTX) as ctx:
        ctx.rounding = ROUND_DOWN
        fee = {
            "quote": (amount * price * rate / 1000).quantize(EIGHT),
            "base": (amount * rate / 1000).quantize(EIGHT),
            "other": D(rate) / 100,
            "none": D(0),
        }[kind]
    fee_currency = {"quote": "USDT", "base": base, "other": "BNB", "none": ""}[kind]
    fee_quote = draw(st.decimals(min_value=0, max_value=50, places=8)) if kind == "other" else None
    return Entry(
        kind=FILL,
        entry_id=f"f{i}",
        user_id="u",
        bot_id=bot,
        at=T0 + timedelta(hours=draw(st.integers(min_value=0, max_value=24 * 40))),
        amount=amount,
        currency="USDT",
        exchange="binance",
        symbol=symbol,
        side=draw(st.sampled_from(["BUY", "SELL"])),
        price=price,
        fee=fee,
        fee_currency=fee_currency,
        fee_quote=fee_quote,
        source="PAPER",
    )


@st.composite
def event_entry(draw, i: int):
    kind = draw(st.sampled_from(["FUNDING", "WITHDRAWAL", "ADJUSTMENT", "ALLOCATION", "TRANSFER"]))
    bot = draw(st.sampled_from(["b1", "b2"])) if kind in ("ALLOCATION", "TRANSFER") else ""
    if kind in ("FUNDING", "WITHDRAWAL", "ADJUSTMENT") and draw(st.booleans()):
        bot = draw(st.sampled_from(["b1", "b2"]))
    return Entry(
        kind=EVENT,
        entry_id=f"e{i}",
        user_id="u",
        bot_id=bot,
        at=T0 + timedelta(hours=draw(st.integers(min_value=0, max_value=24 * 40))),
        amount=draw(st.decimals(min_value=D("0.01"), max_value=D("100000"), places=2)),
        currency="USDT",
        event_type=kind,
    )


@st.composite
def histories(draw):
    """(entry or baseline, recorded_at) steps; recorded times move forward across days."""
    steps = []
    recorded = T0
    for i in range(draw(st.integers(min_value=1, max_value=60))):
        recorded += timedelta(hours=draw(st.integers(min_value=0, max_value=9)))
        what = draw(st.sampled_from(["fill", "fill", "fill", "fill", "event", "baseline"]))
        if what == "fill":
            steps.append((draw(fill_entry(i)), recorded))
        elif what == "event":
            steps.append((draw(event_entry(i)), recorded))
        else:
            steps.append(((draw(st.sampled_from([ACCOUNT, "b1", "b2"])), "USDT"), recorded))
    return steps


def fold(steps):
    book, spec = Book(), SpecBook()
    for step, recorded in steps:
        if isinstance(step, tuple):
            book.apply_baseline(step, recorded)
            spec.baseline(step, recorded)
        else:
            assert book.apply(step, recorded) == spec.apply(step, recorded), step
    return book, spec


@settings(max_examples=300, deadline=None)
@given(histories())
def test_the_book_agrees_with_the_domain_fold(steps):
    book, spec = fold(steps)
    assert book.positions == spec.positions
    assert book.figures == spec.figures
    assert book.buckets == spec.buckets
    assert book.days == spec.days
    # what is stored of each position: its JSON, signed amount and cost (sum of qty * price)
    for key, text, amount, cost in book.position_rows():
        p = spec.positions[key]
        assert text == p.to_json()
        assert Position.from_json(text) == p
        assert amount == p.amount
        with localcontext(CTX):
            assert cost == sum((lot.qty * lot.price for lot in p.lots), D(0))


def a_fill(entry_id, side, amount, price, fee="0", at=T0, bot="b1", fee_currency="USDT"):
    return Entry(
        kind=FILL,
        entry_id=entry_id,
        user_id="u",
        bot_id=bot,
        at=at,
        amount=D(amount),
        currency="USDT",
        exchange="binance",
        symbol="BTC/USDT",
        side=side,
        price=D(price),
        fee=D(fee),
        fee_currency=fee_currency,
    )


def test_a_worked_example_buy_then_two_sells():
    """DESIGN 5.1: buy 10 @ 500 fee 9.95; sell 4 @ 530 nets 106.07; sell 6 @ 540 nets 224.08."""

    def fill(i, side, amount, price):
        return a_fill(f"f{i}", side, amount, price, "9.95", at=T0 + timedelta(minutes=i))

    book = Book()
    book.apply(fill(1, "BUY", "10", "500"), T0)
    # (530 - 500) * 4 = 120; own fee 9.95; entry fee share 9.95 * 4/10 = 3.98
    assert book.apply(fill(2, "SELL", "4", "530"), T0).net_pnl == D("106.07")
    # (540 - 500) * 6 = 240; own fee 9.95; the rest of the entry fee 5.97
    assert book.apply(fill(3, "SELL", "6", "540"), T0).net_pnl == D("224.08")
    assert book.positions[("b1", "BTC/USDT")] == Position()
    bot = book.figures[("b1", "USDT")]
    assert (bot.trades, bot.winning_trades, bot.realized_pnl, bot.fees) == (
        2,
        2,
        D("360"),
        D("29.85"),
    )


def test_stored_state_is_taken_up_where_it_was_left():
    """A Book that loads a stored position continues its lots (recording after a restart)."""
    stored = Position(side=1, lots=(Lot(D("2"), D("100"), D("0.2")),))
    as_stored = stored.to_json()
    book = Book(loader=Loader(position=lambda k: as_stored if k == ("b1", "BTC/USDT") else None))
    sell = a_fill("s", "SELL", "1", "110", "0.1")
    # (110 - 100) * 1 = 10, minus own fee 0.1 and half the entry fee 0.1
    assert book.apply(sell, T0).net_pnl == D("9.8")
    assert book.positions[("b1", "BTC/USDT")] == Position(
        side=1, lots=(Lot(D("1"), D("100"), D("0.1")),)
    )


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        '{"lots":[],"side":1}',  # open with no lots
        '{"lots":[{"fee":"0","price":"1","qty":"1"}],"side":0}',  # flat with a lot
        '{"lots":[{"fee":"0","price":"1","qty":"-1"}],"side":1}',
        '{"lots":[{"fee":"0","price":"NaN","qty":"1"}],"side":1}',
        '{"lots":[{"fee":0,"price":"1","qty":"1"}],"side":1}',  # a number, not a string
        '{"lots":[{"fee":"0","price":"1"}],"side":1}',
        '{"lots":[],"side":2}',
    ],
)
def test_a_malformed_stored_position_is_refused(text):
    book = Book(loader=Loader(position=lambda k: text))
    buy = a_fill("b", "BUY", "1", "1")
    with pytest.raises(DomainError) as err:
        book.apply(buy, T0)
    assert err.value.field == "position"


def test_a_bad_fill_is_refused_naming_the_field():
    bad = a_fill("x", "BUY", "-1", "1")
    with pytest.raises(DomainError) as err:
        Book().apply(bad, T0)
    assert err.value.field == "amount"


@settings(max_examples=100, deadline=None)
@given(st.one_of(fill_entry(0), event_entry(0)))
def test_an_entry_from_its_stored_values_is_the_same_entry(e):
    values = tuple(getattr(e, f) for f in Entry.__dataclass_fields__)
    same = Entry.from_stored(values)
    assert same == e and hash(same) == hash(e)
    assert same.canonical_fields() == e.canonical_fields() and same.base == e.base
    with pytest.raises(ValueError):
        Entry.from_stored(values[:-1])  # every field or none
