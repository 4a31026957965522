"""What RecordFillBatch relies on in the Book: a fill refused by the batch's check is exactly a
fill Book.apply refuses (so a refused item is never half applied), and the book's views of
its current state neither load nor change anything."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.common.errors import AppError
from services.ledger.accounting import ACCOUNT, Book, Loader
from services.ledger.batch import _check
from services.ledger.domain import DomainError, Figures
from services.ledger.model import FILL, Entry

D = Decimal
NOW = datetime(2026, 3, 10, 12, tzinfo=UTC)


def _fill(**kw) -> Entry:
    values = dict(
        kind=FILL, entry_id="f", user_id="u", bot_id="b", at=NOW, amount=D(2), currency="USDT",
        exchange="x", symbol="BTC/USDT", side="BUY", price=D(100), fee=D(0),
        fee_currency="USDT", fee_quote=None, source="PAPER",
    )  # fmt: skip
    values.update(kw)
    if "symbol" in kw and "currency" not in kw:  # a fill's currency is its quote
        values["currency"] = kw["symbol"].split("/")[-1]
    return Entry(**values)


decimals = st.sampled_from([D(-1), D(0), D("0.5"), D(1), D(2), D(3), D("1E+3")])
fills = st.builds(
    lambda side, amount, price, fee, fee_currency, fee_quote, symbol, tz: _fill(
        side=side,
        amount=amount,
        price=price,
        fee=fee,
        fee_currency=fee_currency,
        fee_quote=fee_quote,
        symbol=symbol,
        at=NOW.replace(tzinfo=tz),
    ),  # fmt: skip
    st.sampled_from(["BUY", "SELL", "HOLD"]),
    decimals,
    decimals,
    decimals,
    st.sampled_from(["", "USDT", "BTC", "BNB"]),
    st.sampled_from([None, D(0), D("0.3"), D(-1)]),
    st.sampled_from(["BTC/USDT", "BTC/BTC", "ETH/USDT"]),
    st.sampled_from([UTC, None, timezone(timedelta(hours=2))]),
)


@settings(max_examples=400, deadline=None)
@given(fills, st.sampled_from([None, "long", "short"]))
def test_the_check_refuses_what_apply_refuses(e, held):
    book = Book()
    if held is not None:  # an open position to close (the refusals come before any change)
        symbol = e.symbol if e.symbol != "BTC/BTC" else "BTC/USDT"
        side = "BUY" if held == "long" else "SELL"
        book.apply(_fill(entry_id="open", side=side, symbol=symbol), NOW)
    before = (book.positions, book.figures, book.buckets, dict(book.days))
    try:
        _check(e, "items[0].request.fill.")
    except AppError as exc:
        [(field, _)] = exc.violations
        assert field.startswith("items[0].request.fill.")
        with pytest.raises(DomainError) as refused:
            book.apply(e, NOW)
        assert field == f"items[0].request.fill.{refused.value.field}"
        assert (book.positions, book.figures, book.buckets, dict(book.days)) == before
    else:
        book.apply(e, NOW)  # passes the check: applied whole


def test_the_books_views_of_now():
    stored = Figures(net_funding=D(100), peak=D(100), risk_peak=D(100))
    loads = []

    def figures(key):
        loads.append(key)
        return stored if key == (ACCOUNT, "USDT") else None

    book = Book(loader=Loader(figures=figures))
    assert book.figures_held((ACCOUNT, "USDT")) is None  # not touched: as stored
    assert loads == [] and book.positions_held("USDT") == {}
    book.apply(_fill(), NOW)
    book.apply(_fill(entry_id="e", symbol="ETH/EUR", bot_id="b2", amount=D(1)), NOW)
    held = book.figures_held((ACCOUNT, "USDT"))
    today = datetime(2026, 3, 10, tzinfo=UTC)
    assert (held.net_funding, held.fees, held.day_start) == (D(100), D(0), today)
    assert book.positions_held("USDT") == {("b", "BTC/USDT"): (D(2), D(200))}
    assert book.positions_held("EUR") == {("b2", "ETH/EUR"): (D(1), D(100))}
    # a view, not the book's state: a later fill changes the book, not the view taken
    book.apply(_fill(entry_id="s", side="SELL", amount=D(1), price=D(110)), NOW)
    assert held.realized_pnl == 0
    assert book.figures_held((ACCOUNT, "USDT")).realized_pnl == D(10)
    assert book.positions_held("USDT") == {("b", "BTC/USDT"): (D(1), D(100))}
