"""Pure domain logic of the ledger: money, FIFO lots, figures, buckets, the hash chain."""

from .buckets import PERIODS, Bucket, Countdown, add_fill, bucket_start, bucket_starts, countdown
from .chain import GENESIS, canonical, entry_hash, verify_chain
from .fifo import SHARE_EXPONENT, FillIn, FillOutcome, Lot, Position, apply_fill
from .figures import (
    Figures,
    apply_fill_outcome,
    apply_funding,
    as_utc,
    reset_risk,
    roll_day,
    unrealized_pnl,
)
from .money import CTX, DomainError, fmt, to_decimal

__all__ = [
    "CTX",
    "GENESIS",
    "PERIODS",
    "SHARE_EXPONENT",
    "Bucket",
    "Countdown",
    "DomainError",
    "FillIn",
    "FillOutcome",
    "Figures",
    "Lot",
    "Position",
    "add_fill",
    "apply_fill",
    "apply_fill_outcome",
    "apply_funding",
    "as_utc",
    "bucket_start",
    "bucket_starts",
    "canonical",
    "countdown",
    "entry_hash",
    "fmt",
    "reset_risk",
    "roll_day",
    "to_decimal",
    "unrealized_pnl",
    "verify_chain",
]
