"""The ledger's entries as plain values, between the API and the accounting."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from decimal import Decimal

FILL = "fill"
EVENT = "event"
SOURCES = ("PAPER", "LIVE", "MANUAL")
EVENT_TYPES = ("FUNDING", "WITHDRAWAL", "TRANSFER", "ALLOCATION", "ADJUSTMENT")


@dataclass(frozen=True)
class Entry:
    """One fill or ledger event, validated, as recorded (sequence and hashes once stored)."""

    kind: str
    entry_id: str
    user_id: str
    bot_id: str
    at: datetime  # executed_at / occurred_at
    amount: Decimal
    currency: str  # the fill's quote currency, or the event's currency
    # fills
    exchange: str = ""
    symbol: str = ""
    side: str = ""  # BUY | SELL
    price: Decimal | None = None
    fee: Decimal | None = None
    fee_currency: str = ""
    fee_quote: Decimal | None = None
    order_id: str = ""
    source: str = ""
    # events
    event_type: str = ""
    description: str = ""
    corrects: str = ""

    @property
    def base(self) -> str:
        return self.symbol.split("/", 1)[0]

    @classmethod
    def from_stored(cls, values: tuple) -> Entry:
        """An entry from the values of its stored row, in the order of the fields (verify
        reads a million of them: this skips the frozen dataclass's per-field __setattr__;
        the result is the same as Entry(*values))."""
        entry = object.__new__(cls)
        entry.__dict__.update(zip(_FIELD_NAMES, values, strict=True))
        return entry

    def canonical_fields(self) -> dict[str, object]:
        if self.kind == FILL:
            return {
                "kind": FILL,
                "user_id": self.user_id,
                "fill_id": self.entry_id,
                "bot_id": self.bot_id,
                "exchange": self.exchange,
                "symbol": self.symbol,
                "side": self.side,
                "amount": self.amount,
                "price": self.price,
                "fee": self.fee,
                "fee_currency": self.fee_currency,
                "fee_quote": self.fee_quote,
                "executed_at": self.at,
                "order_id": self.order_id,
                "source": self.source,
            }
        return {
            "kind": EVENT,
            "user_id": self.user_id,
            "event_id": self.entry_id,
            "type": self.event_type,
            "amount": self.amount,
            "currency": self.currency,
            "bot_id": self.bot_id,
            "description": self.description,
            "occurred_at": self.at,
            "corrects": self.corrects,
        }


_FIELD_NAMES = tuple(f.name for f in fields(Entry))


@dataclass(frozen=True)
class Derived:
    """What recording an entry works out, kept on the entry row."""

    realized_pnl: Decimal | None = None
    net_pnl: Decimal | None = None  # trade net, for a closing fill
    fee_value: Decimal | None = None  # the fee in the quote currency


@dataclass(frozen=True)
class Recorded:
    entry: Entry
    sequence: int
    prev_hash: str
    hash: str
    canonical: str
    recorded_at: datetime
    derived: Derived
    replayed: bool = False
