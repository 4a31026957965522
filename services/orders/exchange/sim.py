"""The sim feed's price path: a seeded random walk, a pure function of (seed, symbol, minute).

Time is cut into blocks of one UTC day. Each block boundary has an anchor drawn from
(seed, symbol, block) alone, within +-5% of the symbol's base price; inside a block the
log-price walks minute by minute (steps of about 0.1%) and is pinned to both anchors (a
Brownian bridge). So a minute's price never depends on which minutes were asked before, nor
on hash randomisation: every process with the same seed sees the same prices. All arithmetic
is on integers (log-price in basis points) and Decimal; no floats.
"""

from __future__ import annotations

import hashlib
import random
from collections import OrderedDict
from dataclasses import dataclass
from decimal import Context, Decimal, DivisionByZero, InvalidOperation, Overflow, localcontext

BLOCK = 1440  # minutes in a block (one UTC day)
STEP_BP = 17  # a minute's move: uniform integer in [-17, 17] bp, standard deviation ~10 bp
ANCHOR_BP = 500  # a block's anchor: uniform integer in [-500, 500] bp around the base price
WICK_BP = 5  # high/low reach up to 5 bp beyond a candle's open/close
_CTX = Context(prec=34, traps=[InvalidOperation, DivisionByZero, Overflow])

# Plausible reference prices in USD; anything else is worth 100, USD stablecoins 1.
_USD = {
    "BTC": Decimal(60000),
    "ETH": Decimal(3000),
    "BNB": Decimal(600),
    "SOL": Decimal(150),
    "XRP": Decimal("0.6"),
    "ADA": Decimal("0.45"),
    "DOGE": Decimal("0.15"),
}
_STABLE = {"USD", "USDT", "USDC", "BUSD", "FDUSD", "DAI", "TUSD"}


def _usd(asset: str) -> Decimal:
    return Decimal(1) if asset in _STABLE else _USD.get(asset, Decimal(100))


def split_symbol(symbol: str) -> tuple[str, str] | None:
    base, slash, quote = symbol.partition("/")
    if not slash or not base.isalnum() or not quote.isalnum():
        return None
    return base.upper(), quote.upper()


@dataclass(frozen=True)
class SymbolPath:
    base_price: Decimal  # the price at offset 0
    quantum: Decimal  # 0.01 for prices from 1 up, 0.000001 below

    @classmethod
    def for_symbol(cls, base: str, quote: str) -> SymbolPath:
        with localcontext(_CTX):
            price = _usd(base) / _usd(quote)
        return cls(price, Decimal("0.01") if price >= 1 else Decimal("0.000001"))

    def price(self, offset_bp: int) -> Decimal:
        """base_price * e^(offset/10000), quantized."""
        with localcontext(_CTX):
            return (self.base_price * (Decimal(offset_bp) / 10000).exp()).quantize(self.quantum)


@dataclass(frozen=True)
class Block:
    offsets: tuple[int, ...]  # BLOCK + 1 log-price offsets (bp) at each minute of the block
    wicks_up: tuple[int, ...]  # per minute, bp above max(open, close)
    wicks_down: tuple[int, ...]  # per minute, bp below min(open, close)
    volumes: tuple[int, ...]  # per minute, in hundredths of a unit of the base asset


def _rng(seed: int, symbol: str, kind: str, block: int) -> random.Random:
    digest = hashlib.sha256(f"{seed}|{symbol}|{kind}|{block}".encode()).digest()
    return random.Random(int.from_bytes(digest[:16], "big"))


def _anchor(seed: int, symbol: str, block: int) -> int:
    return _rng(seed, symbol, "anchor", block).randint(-ANCHOR_BP, ANCHOR_BP)


def make_block(seed: int, symbol: str, block: int) -> Block:
    rng = _rng(seed, symbol, "walk", block)
    walk = [0]
    for _ in range(BLOCK):
        walk.append(walk[-1] + rng.randint(-STEP_BP, STEP_BP))
    start, end, drift = _anchor(seed, symbol, block), _anchor(seed, symbol, block + 1), walk[-1]
    offsets = tuple(
        start + (end - start) * k // BLOCK + walk[k] - drift * k // BLOCK for k in range(BLOCK + 1)
    )
    return Block(
        offsets,
        tuple(rng.randint(0, WICK_BP) for _ in range(BLOCK)),
        tuple(rng.randint(0, WICK_BP) for _ in range(BLOCK)),
        tuple(rng.randint(1, 10000) for _ in range(BLOCK)),
    )


class PathCache:
    """Blocks per (symbol, block), least recently used dropped beyond ``size``."""

    def __init__(self, seed: int, size: int = 64) -> None:
        self.seed = seed
        self._size = size
        self._blocks: OrderedDict[tuple[str, int], Block] = OrderedDict()

    def block(self, symbol: str, block: int) -> Block:
        key = (symbol, block)
        found = self._blocks.get(key)
        if found is None:
            found = self._blocks[key] = make_block(self.seed, symbol, block)
            if len(self._blocks) > self._size:
                self._blocks.popitem(last=False)
        else:
            self._blocks.move_to_end(key)
        return found

    def offset(self, symbol: str, minute: int) -> int:
        """Log-price offset (bp) at the given minute since the Unix epoch."""
        return self.block(symbol, minute // BLOCK).offsets[minute % BLOCK]

    def minute(self, symbol: str, minute: int) -> tuple[int, int, int, int, int]:
        """(open, high, low, close) offsets and the volume of one minute's candle: it opens at
        the previous minute's price and closes at this minute's."""
        b = self.block(symbol, minute // BLOCK)
        k = minute % BLOCK
        o, c = self.offset(symbol, minute - 1), b.offsets[k]
        return o, max(o, c) + b.wicks_up[k], min(o, c) - b.wicks_down[k], c, b.volumes[k]
