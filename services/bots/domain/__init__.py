"""Pure logic of the bots service: the lifecycle, bot definitions, strategies, promotion."""

from .lifecycle import Action, InvalidTransition, State, allowed, changes, next_state
from .promotion import Criterion, Facts, Requirements, evaluate
from .spec import MANUAL, STRATEGIES, BotSpec, validate_spec
from .strategies import BUY, HOLD, SELL, Candle, Decision, decide

__all__ = [
    "BUY",
    "HOLD",
    "MANUAL",
    "SELL",
    "STRATEGIES",
    "Action",
    "BotSpec",
    "Candle",
    "Criterion",
    "Decision",
    "Facts",
    "InvalidTransition",
    "Requirements",
    "State",
    "allowed",
    "changes",
    "decide",
    "evaluate",
    "next_state",
    "validate_spec",
]
