"""make demo: the suite with a demo user, a funded paper account and a running paper bot.

Everything goes through the gateway's public HTTP API, like the frontend, and is idempotent:
running the demo again on the same DATA_DIR logs the same user in and reuses what exists.
"""

from __future__ import annotations

import time

import httpx

EMAIL = "demo@amarktai.local"
PASSWORD = "demo-password-123"

# The sim market's one-minute moves give a strategy an expected edge of a few bps, below
# the default trading costs (maker/taker fees, spread, buffers): gate B would refuse every
# order. The demo sets the costs to zero so that the paper bot trades; unset them to watch
# gate B refuse.
ZERO_COSTS = {
    "FEE_OVERRIDES_BPS": "binance=0/0",
    "SPREAD_BPS": "BTC/USDT=0",
    "SLIPPAGE_BUFFER_BPS": "0",
    "SAFETY_MARGIN_BPS": "0",
    "MIN_EDGE_BPS": "0",
}


def wait_ready(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"the suite did not get ready at {url} within {timeout:.0f} s")


def _ok(r: httpx.Response) -> dict:
    if r.status_code >= 400:
        raise RuntimeError(f"{r.request.method} {r.request.url.path}: {r.status_code} {r.text}")
    return r.json()


def seed(url: str) -> str:
    """Create (or find) the demo user, account and bot; return the bot's id."""
    http = httpx.Client(base_url=url, timeout=15)
    creds = {"email": EMAIL, "password": PASSWORD}
    r = http.post("/api/auth/register", json=creds)
    if r.status_code == 409:  # registered on an earlier run
        r = http.post("/api/auth/login", json=creds)
    http.headers["Authorization"] = f"Bearer {_ok(r)['accessToken']}"
    _ok(
        http.post(
            "/api/ledger/events",
            json={
                "eventId": "demo-funding",
                "type": "LEDGER_EVENT_TYPE_FUNDING",
                "amount": "10000",
                "currency": "USDT",
                "description": "demo paper account",
            },
        )
    )
    bots = _ok(http.get("/api/bots"))["items"]
    bot = next((b for b in bots if b["name"] == "demo-sma"), None)
    if bot is None:
        bot = _ok(
            http.post(
                "/api/bots",
                json={
                    "name": "demo-sma",
                    "exchange": "binance",
                    "symbol": "BTC/USDT",
                    "strategy": "sma_crossover",
                    "params": {"fast": "3", "slow": "8", "amount": "0.01"},
                    "allocatedCapital": "10000",
                    "intervalSeconds": 5,
                },
            )
        )
    if bot["state"] != "BOT_STATE_RUNNING":
        action = "resume" if bot["state"] == "BOT_STATE_PAUSED" else "start"
        bot = _ok(http.post(f"/api/bots/{bot['id']}/{action}", json={}))
    return bot["id"]


def banner(url: str, bot_id: str) -> str:
    return (
        f"\namarktai demo ready\n"
        f"  dashboard and API: {url}/   (OpenAPI: {url}/openapi.json)\n"
        f"  log in as {EMAIL} / {PASSWORD}\n"
        f"  paper bot demo-sma ({bot_id}) runs sma_crossover on the sim BTC/USDT market;\n"
        f"  trading costs are zero in the demo (see services/demo.py); every order is one\n"
        f"  log line 'event=order' with its trace_id\n"
    )
