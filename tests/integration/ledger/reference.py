"""A deliberately plain reference ledger, written from DESIGN 5.1, to check the service against.

Lists of [qty, price, entry fee] per (bot, symbol), FIFO; figures per scope ("" = the account,
else a bot id); buckets per (scope, period, start). Fee shares follow the contract's rounding:
the whole fee when the whole lot (or fill) is taken, else half-even to 18 decimal places.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_HALF_EVEN, Context, Decimal, localcontext

D = Decimal
ZERO = D(0)
CTX = Context(prec=50, rounding=ROUND_HALF_EVEN)
SHARE = D("1E-18")


def share(total: D, part: D, whole: D) -> D:
    if part == whole:
        return total
    return (total * part / whole).quantize(SHARE)


def period_starts(at: datetime) -> dict[str, datetime]:
    day = at.replace(hour=0, minute=0, second=0, microsecond=0)
    return {
        "daily": day,
        "weekly": day - timedelta(days=day.isoweekday() - 1),
        "monthly": day.replace(day=1),
    }


@dataclass
class Scope:
    funding: D = ZERO
    realized: D = ZERO
    fees: D = ZERO
    trades: int = 0
    wins: int = 0
    peak: D = ZERO
    max_dd: D = ZERO

    @property
    def equity(self) -> D:
        return self.funding + self.realized - self.fees

    @property
    def drawdown(self) -> D:
        if self.peak <= 0 or self.equity >= self.peak:
            return ZERO
        with localcontext(CTX):
            return (self.peak - self.equity) / self.peak

    def settle(self) -> None:
        """After every entry: the peak follows the equity up; the largest drawdown is kept."""
        self.peak = max(self.peak, self.equity)
        self.max_dd = max(self.max_dd, self.drawdown)


@dataclass
class Reference:
    scopes: dict[str, Scope] = field(default_factory=dict)
    lots: dict[tuple[str, str], tuple[int, list[list[D]]]] = field(default_factory=dict)
    buckets: dict[tuple[str, str, datetime], list] = field(default_factory=dict)

    def scope(self, name: str) -> Scope:
        return self.scopes.setdefault(name, Scope())

    def funding(self, bot: str, delta: D) -> None:
        with localcontext(CTX):
            for name in {"", bot}:
                s = self.scope(name)
                s.funding += delta
                s.peak += delta  # a deposit or withdrawal is neither gain nor loss
                s.settle()

    def fill(
        self,
        bot: str,
        symbol: str,
        side: int,
        amount: D,
        price: D,
        fee: D,
        in_base: bool,
        at: datetime,
    ) -> None:
        with localcontext(CTX):
            fee_value = price * fee if in_base else fee
            qty = amount - fee * side if in_base else amount  # a base fee comes out of the fill
            held_side, lots = self.lots.get((bot, symbol), (0, []))
            realized = entry_fees = ZERO
            left = qty
            if held_side == -side:
                while lots and left > 0:
                    lot = lots[0]
                    take = min(left, lot[0])
                    part = share(lot[2], take, lot[0])
                    realized += (price - lot[1]) * take * held_side
                    entry_fees += part
                    lot[0] -= take
                    lot[2] -= part
                    left -= take
                    if lot[0] == 0:
                        lots.pop(0)
            closed = qty - left
            own = share(fee_value, closed, qty) if closed else ZERO
            if left > 0:
                lots.append([left, price, fee_value - own])
                held_side = side
            self.lots[(bot, symbol)] = (held_side if lots else 0, lots)
            net = realized - own - entry_fees
            for name in {"", bot}:
                s = self.scope(name)
                s.realized += realized
                s.fees += fee_value
                s.trades += 1 if closed else 0
                s.wins += 1 if closed and net > 0 else 0
                s.settle()
                for period, start in period_starts(at).items():
                    b = self.buckets.setdefault((name, period, start), [ZERO, ZERO, 0, 0])
                    b[0] += realized
                    b[1] += fee_value
                    b[2] += 1 if closed else 0
                    b[3] += 1 if closed and net > 0 else 0

    def positions(self) -> dict[tuple[str, str], tuple[D, D]]:
        """(bot, symbol) -> (signed amount, average price) of the open positions."""
        out = {}
        with localcontext(CTX):
            for key, (side, lots) in self.lots.items():
                if lots:
                    qty = sum((lot[0] for lot in lots), ZERO)
                    cost = sum((lot[0] * lot[1] for lot in lots), ZERO)
                    out[key] = (qty * side, cost / qty)
        return out
