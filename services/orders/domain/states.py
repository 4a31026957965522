"""Order state transitions: which moves are allowed. Final states allow none."""

from __future__ import annotations

from decimal import Decimal

from services.orders.domain.model import FINAL_STATES, State

TRANSITIONS: dict[State, frozenset[State]] = {
    State.RECEIVED: frozenset({State.REJECTED, State.ACCEPTED, State.FAILED}),
    State.ACCEPTED: frozenset(
        {State.SUBMITTED, State.PARTIALLY_FILLED, State.FILLED, State.CANCELED, State.FAILED}
    ),
    State.SUBMITTED: frozenset(
        {State.PARTIALLY_FILLED, State.FILLED, State.CANCELED, State.FAILED}
    ),
    State.PARTIALLY_FILLED: frozenset({State.PARTIALLY_FILLED, State.FILLED, State.CANCELED}),
}


class IllegalTransition(ValueError):
    def __init__(self, from_state: State, to_state: State) -> None:
        super().__init__(f"an order cannot go from {from_state} to {to_state}")
        self.from_state = from_state
        self.to_state = to_state


def can_move(from_state: State, to_state: State) -> bool:
    return to_state in TRANSITIONS.get(from_state, frozenset())


def check_move(from_state: State, to_state: State) -> None:
    if not can_move(from_state, to_state):
        raise IllegalTransition(from_state, to_state)


def is_final(state: State) -> bool:
    return state in FINAL_STATES


def state_after_fill(filled: Decimal, amount: Decimal) -> State:
    """FILLED once the filled amount reaches the order's amount, else PARTIALLY_FILLED."""
    return State.FILLED if filled >= amount else State.PARTIALLY_FILLED
