"""The lifecycle of DESIGN 5.3: every (state, action) pair, and a stateful property test."""

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from services.bots.domain import Action, InvalidTransition, State, changes, next_state

S, A = State, Action

# Written out by hand from DESIGN 5.3: (state, action) -> resulting state; missing = refused.
EXPECTED = {
    (S.STOPPED, A.START): S.RUNNING,
    (S.ERROR, A.START): S.RUNNING,
    (S.RUNNING, A.PAUSE): S.PAUSED,
    (S.PAUSED, A.RESUME): S.RUNNING,
    (S.STOPPED, A.STOP): S.STOPPED,  # allowed, a no-op
    (S.RUNNING, A.STOP): S.STOPPED,
    (S.PAUSED, A.STOP): S.STOPPED,
    (S.ERROR, A.STOP): S.STOPPED,
    (S.STOPPED, A.TRIP): S.CIRCUIT_TRIPPED,
    (S.RUNNING, A.TRIP): S.CIRCUIT_TRIPPED,
    (S.PAUSED, A.TRIP): S.CIRCUIT_TRIPPED,
    (S.ERROR, A.TRIP): S.CIRCUIT_TRIPPED,
    (S.CIRCUIT_TRIPPED, A.TRIP): S.CIRCUIT_TRIPPED,  # a no-op
    (S.CIRCUIT_TRIPPED, A.CLEAR): S.PAUSED,
    (S.RUNNING, A.FAIL): S.ERROR,
}


@pytest.mark.parametrize("state", list(State))
@pytest.mark.parametrize("action", list(Action))
def test_every_state_and_action(state, action):
    if (state, action) in EXPECTED:
        assert next_state(state, action) == EXPECTED[(state, action)]
        assert changes(state, action) == (EXPECTED[(state, action)] != state)
    else:
        with pytest.raises(InvalidTransition) as err:
            next_state(state, action)
        assert state.value in str(err.value)  # the message names the current state
        assert not changes(state, action)


def test_tripped_bot_leaves_only_by_clear_and_never_straight_to_running():
    for action in Action:
        if action in (A.CLEAR, A.TRIP):
            continue
        with pytest.raises(InvalidTransition):
            next_state(S.CIRCUIT_TRIPPED, action)
    assert next_state(S.CIRCUIT_TRIPPED, A.CLEAR) == S.PAUSED


class Lifecycle(RuleBasedStateMachine):
    """Several bots driven by random moves; a plain model written independently of MOVES."""

    def __init__(self) -> None:
        super().__init__()
        self.real = [S.STOPPED] * 3
        self.model = ["stopped"] * 3
        self.events = 0
        self.model_events = 0

    def _model_move(self, cur: str, action: str) -> str | None:
        if action == "start":
            return "running" if cur in ("stopped", "error") else None
        if action == "pause":
            return "paused" if cur == "running" else None
        if action == "resume":
            return "running" if cur == "paused" else None
        if action == "stop":
            return None if cur == "circuit_tripped" else "stopped"
        if action == "trip":
            return "circuit_tripped"
        if action == "clear":
            return "paused" if cur == "circuit_tripped" else None
        if action == "fail":
            return "error" if cur == "running" else None
        raise AssertionError(action)

    @rule(i=st.integers(0, 2), action=st.sampled_from(list(Action)))
    def move(self, i, action):
        expected = self._model_move(self.model[i], action.value)
        before = self.real[i]
        try:
            after = next_state(before, action)
        except InvalidTransition as exc:
            assert expected is None
            assert exc.state == before
            return
        assert expected is not None
        assert after.value.lower() == expected
        if after != before:
            self.events += 1
        if expected != self.model[i]:
            self.model_events += 1
        self.real[i] = after
        self.model[i] = expected

    @invariant()
    def agree(self):
        assert [s.value.lower() for s in self.real] == self.model
        assert self.events == self.model_events


TestLifecycle = Lifecycle.TestCase
TestLifecycle.settings = settings(max_examples=150, stateful_step_count=40, deadline=None)
