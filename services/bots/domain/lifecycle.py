"""The bot lifecycle: states, the moves between them, and which move is allowed from where.

    start   STOPPED, ERROR           -> RUNNING
    pause   RUNNING                  -> PAUSED
    resume  PAUSED                   -> RUNNING
    stop    any but CIRCUIT_TRIPPED  -> STOPPED   (from STOPPED: allowed, a no-op)
    trip    any                      -> CIRCUIT_TRIPPED (from CIRCUIT_TRIPPED: a no-op)
    clear   CIRCUIT_TRIPPED          -> PAUSED    (after a breaker reset; never to RUNNING)
    fail    RUNNING                  -> ERROR     (the runner, when a bot cannot run)

Any other move is refused and changes nothing. A no-op is not a state change: it records no
event. ``trip`` and ``clear`` are for the orders service only (the service checks the token).
"""

from __future__ import annotations

from enum import StrEnum


class State(StrEnum):
    STOPPED = "STOPPED"
    RUNNING = "RUNNING"
    PAUSED = "PAUSED"
    ERROR = "ERROR"
    CIRCUIT_TRIPPED = "CIRCUIT_TRIPPED"


class Action(StrEnum):
    START = "start"
    PAUSE = "pause"
    RESUME = "resume"
    STOP = "stop"
    TRIP = "trip"
    CLEAR = "clear"
    FAIL = "fail"


ALL = frozenset(State)

# action -> (the states it may start from, the state it leads to)
MOVES: dict[Action, tuple[frozenset[State], State]] = {
    Action.START: (frozenset({State.STOPPED, State.ERROR}), State.RUNNING),
    Action.PAUSE: (frozenset({State.RUNNING}), State.PAUSED),
    Action.RESUME: (frozenset({State.PAUSED}), State.RUNNING),
    Action.STOP: (ALL - {State.CIRCUIT_TRIPPED}, State.STOPPED),
    Action.TRIP: (ALL, State.CIRCUIT_TRIPPED),
    Action.CLEAR: (frozenset({State.CIRCUIT_TRIPPED}), State.PAUSED),
    Action.FAIL: (frozenset({State.RUNNING}), State.ERROR),
}


class InvalidTransition(Exception):
    def __init__(self, action: Action, state: State) -> None:
        super().__init__(f"cannot {action.value} a bot that is {state.value}")
        self.action = action
        self.state = state


def allowed(state: State, action: Action) -> bool:
    return state in MOVES[action][0]


def next_state(state: State, action: Action) -> State:
    """The state ``action`` leads to from ``state`` (the same state for a no-op), or
    InvalidTransition."""
    sources, target = MOVES[action]
    if state not in sources:
        raise InvalidTransition(action, state)
    return target


def changes(state: State, action: Action) -> bool:
    """True when ``action`` is allowed from ``state`` and really moves the bot."""
    return allowed(state, action) and MOVES[action][1] != state
