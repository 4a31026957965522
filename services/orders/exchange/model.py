"""What goes to the exchange and what comes back. Every amount is a Decimal."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol

SIDES = ("buy", "sell")
TYPES = ("market", "limit")
_CLIENT_ID = re.compile(r"[.A-Z:/a-z0-9_-]{1,36}")


def client_order_id(*parts: str) -> str:
    """A client order id derived from ``parts``: the same parts always give the same id, 36
    characters every exchange we use accepts ("am-" and 33 hex digits). Pass the user id, the
    idempotency key AND the order's own id, so that a key used again after its TTL (a new
    order) gets a new client order id: Binance lets a filled order's client id be used again,
    and a lookup by that id must find this order, not an old one."""
    if not parts:
        raise ValueError("client_order_id needs at least one part")
    digest = hashlib.sha256("\x00".join(parts).encode()).hexdigest()
    return "am-" + digest[:33]


@dataclass(frozen=True)
class LiveOrderRequest:
    """An order to place. ``client_order_id`` is derived from the idempotency key and saved
    before the call; it is what reconciliation looks the order up by. Binance takes at most 36
    characters of ``[.A-Z:/a-z0-9_-]``. Raises ValueError when malformed."""

    client_order_id: str
    symbol: str  # BASE/QUOTE
    side: str  # buy / sell
    type: str  # market / limit
    amount: Decimal  # in the base asset; rounded down to the market's step before sending
    price: Decimal | None = None  # limit orders only; rounded to the market's tick

    def __post_init__(self) -> None:
        if not _CLIENT_ID.fullmatch(self.client_order_id):
            raise ValueError(
                f"client_order_id {self.client_order_id!r} is not 1-36 of [.A-Z:/a-z0-9_-]"
            )
        if self.side not in SIDES:
            raise ValueError(f"side {self.side!r} is not one of {SIDES}")
        if self.type not in TYPES:
            raise ValueError(f"type {self.type!r} is not one of {TYPES}")
        if not isinstance(self.amount, Decimal) or not self.amount.is_finite() or self.amount <= 0:
            raise ValueError(f"amount {self.amount!r} is not a positive Decimal")
        if self.type == "limit":
            p = self.price
            if not isinstance(p, Decimal) or not p.is_finite() or p <= 0:
                raise ValueError(f"a limit order needs a positive Decimal price, not {p!r}")
        elif self.price is not None:
            raise ValueError("a market order takes no price")


@dataclass(frozen=True)
class ExchangeFill:
    """One trade as the exchange reports it. ``trade_id`` is the exchange's (unique per
    symbol on Binance); ``fee`` is in ``fee_currency`` (None when the exchange gave none)."""

    trade_id: str
    amount: Decimal
    price: Decimal
    fee: Decimal
    fee_currency: str | None


@dataclass(frozen=True)
class ExchangeOrder:
    """An order as the exchange reports it, never as it was asked.

    ``status`` is ccxt's: "open" (resting, possibly partly filled: see ``filled``), "closed"
    (fully filled), "canceled", "expired", "rejected". ``fills`` sum to ``filled``.
    """

    exchange_order_id: str
    client_order_id: str | None
    symbol: str
    side: str
    type: str
    status: str
    amount: Decimal | None  # the quantity the exchange accepted (after rounding)
    price: Decimal | None  # the limit price the exchange accepted; None for market orders
    filled: Decimal
    average: Decimal | None  # average fill price
    fills: list[ExchangeFill] = field(default_factory=list)


class OrderVenue(Protocol):
    """What ``place_or_reconcile`` needs; ``LiveExchange`` is one."""

    settle_seconds: float

    async def place(self, req: LiveOrderRequest) -> ExchangeOrder: ...

    async def lookup(self, client_order_id: str, symbol: str) -> ExchangeOrder | None: ...
