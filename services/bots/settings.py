"""The bots service's settings: the common ones, the promotion criteria and the runner's."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from services.bots.domain import Requirements
from services.common.settings import CommonSettings, Env, SettingsError


@dataclass(frozen=True)
class BotsSettings:
    common: CommonSettings
    # LIVE_MIN_PAPER_DAYS, LIVE_MIN_TRADES, LIVE_MIN_WIN_RATE, LIVE_MIN_PROFIT_PCT
    promotion: Requirements
    # BOT_RUNNER: on | off (off: this replica serves the API but runs no bot)
    runner_enabled: bool
    # BOT_LEASE_SECONDS: how long a replica holds a bot without renewing (renewed every third)
    lease_seconds: float
    # BOT_EVENTS_POLL_SECONDS: how often an event stream looks for changes made elsewhere
    events_poll_seconds: float
    # CALL_DEADLINE_SECONDS: the deadline of every call to the ledger, auth and orders
    call_deadline_seconds: float

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> BotsSettings:
        common = CommonSettings.from_env("bots", env)
        e = Env(env)
        win_rate = e.decimal("LIVE_MIN_WIN_RATE", "0.52")
        if win_rate > 1:
            raise SettingsError("LIVE_MIN_WIN_RATE", f"{win_rate} is above 1")
        promotion = Requirements(
            min_paper_days=e.int("LIVE_MIN_PAPER_DAYS", 7),
            min_trades=e.int("LIVE_MIN_TRADES", 25),
            min_win_rate=win_rate,
            min_profit_pct=e.decimal("LIVE_MIN_PROFIT_PCT", "0.03"),
        )
        lease = e.int("BOT_LEASE_SECONDS", 15, minimum=3)
        poll = e.decimal("BOT_EVENTS_POLL_SECONDS", "0.25", minimum="0.05")
        if poll > 10:
            raise SettingsError("BOT_EVENTS_POLL_SECONDS", f"{poll} is above 10")
        deadline = e.decimal("CALL_DEADLINE_SECONDS", "5", minimum="0.1")
        if deadline > 60:
            raise SettingsError("CALL_DEADLINE_SECONDS", f"{deadline} is above 60")
        return cls(
            common=common,
            promotion=promotion,
            runner_enabled=e.choice("BOT_RUNNER", "on", ("on", "off")) == "on",
            lease_seconds=float(lease),
            events_poll_seconds=float(poll),
            call_deadline_seconds=float(deadline),
        )
