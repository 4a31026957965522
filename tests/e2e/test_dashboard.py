"""The web dashboard in a real headless Chromium against the suite started as processes.

One story, step by step (each test continues from the one before, on one browser page): sign up
(a bad password first: the error names the field), turn on 2FA (QR code, recovery codes), log
out and in again (asked for a code: a recovery code is used); fund the account and see the
equity; create and start a bot and watch its badge change live when the test pauses it through
the API; submit an order and see its gates, its fill and the equity move; see the breaker that
order tripped (the suite runs with a tiny MAX_DRAWDOWN_PERCENT) and reset it with a TOTP code;
promotion to live lists every criterion; every page at 390x844; a stopped service gives a
readable message.

A screenshot of each page goes to DASHBOARD_SCREENSHOTS (default: a temp folder, printed).
Runs only where Debian's chromium is installed (`make test-browser` installs it).
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP
from decimal import Decimal as D
from pathlib import Path

import httpx
import pyotp
import pytest

from tests.e2e.browser_suite import (
    CHROMIUM,
    CHROMIUM_ARGS,
    DESKTOP,
    PHONE,
    Screenshots,
    browser_missing,
    present_services,
    stop_service,
)
from tests.e2e.suite import Suite

MISSING = browser_missing()
pytestmark = [pytest.mark.browser, pytest.mark.skipif(MISSING is not None, reason=MISSING or "")]
if MISSING is None:
    from playwright.sync_api import Page, expect, sync_playwright

EMAIL = "dashboard@example.com"
PASSWORD = "a long enough password"
LOADING = "() => !document.querySelector('main').innerText.includes('Loading…')"


def money(value: D) -> str:
    """As the page shows it: 2 decimals, half away from zero, thousands separated."""
    return f"{value.quantize(D('0.01'), rounding=ROUND_HALF_UP):,.2f}"


class Totp:
    """Codes of unused time steps, oldest first: the server takes a step once, within +-1 step
    of now, so three codes are had at once (the step before, now and the next)."""

    def __init__(self, secret: str) -> None:
        self.totp = pyotp.TOTP(secret)
        self.last = -1

    def code(self) -> str:
        while True:
            t = time.time()
            now = int(t // 30)
            oldest = now - 1 if 30 - t % 30 > 3 else now  # still valid when the server checks it
            step = max(oldest, self.last + 1)
            if step <= now + 1:
                self.last = step
                return self.totp.at(step * 30)
            time.sleep(30 - t % 30 + 0.2)


@dataclass
class Story:
    suite: Suite
    page: Page
    shots: Screenshots
    serving: set[str]
    errors: list[str] = field(default_factory=list)
    state: dict = field(default_factory=dict)

    def console(self, message) -> None:
        """Script errors fail the test; the browser's line for each 4xx/5xx answer does not."""
        if message.type == "error" and "Failed to load resource" not in message.text:
            self.errors.append(f"console: {message.text}")

    def need(self, *keys: str) -> None:
        missing = [k for k in keys if k not in self.state]
        if missing:
            pytest.skip(f"an earlier step did not get {', '.join(missing)}")

    def open(self, label: str) -> None:
        self.page.get_by_role("navigation").get_by_role("link", name=label).click()
        expect(self.page.get_by_role("heading", level=1, name=label)).to_be_visible()
        self.settle()

    def settle(self) -> None:
        self.page.wait_for_function(LOADING, timeout=10_000)
        self.page.wait_for_timeout(250)  # charts draw at their container's width

    def shot(self, name: str) -> Path:
        self.settle()
        return self.shots.take(self.page, name)

    def token(self) -> str:
        raw = self.page.evaluate("sessionStorage.getItem('amarktai.session')")
        return json.loads(raw)["accessToken"]

    def api(self) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.token()}"}
        return httpx.Client(base_url=self.suite.url, headers=headers, timeout=10)

    def card(self, figure: str):
        return self.page.locator(f"[data-figure='{figure}'] .value")


@pytest.fixture(scope="module")
def story(tmp_path_factory) -> Iterator[Story]:
    tmp = tmp_path_factory.mktemp("dashboard")
    folder = os.environ.get("DASHBOARD_SCREENSHOTS") or str(tmp / "screenshots")
    # The first order's fee is a drawdown above this: the breaker trips, to be reset in the UI.
    suite = Suite(tmp, present_services(), env={"MAX_DRAWDOWN_PERCENT": "0.00001"})
    suite.start()
    try:
        with httpx.Client(base_url=suite.url, timeout=10) as client:
            suite.wait_ready(client, timeout=40)
            services = client.get("/readyz").json()["services"]
        serving = {x["name"] for x in services if x["status"] == "SERVING"}
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            page = browser.new_page(viewport=DESKTOP)
            page.set_default_timeout(10_000)
            s = Story(suite, page, Screenshots(Path(folder)), serving)
            page.on("pageerror", lambda exc: s.errors.append(f"page error: {exc}"))
            page.on("console", s.console)
            yield s
            print(f"\ndashboard screenshots: {folder}")
            browser.close()
    finally:
        suite.stop()


@pytest.fixture(autouse=True)
def no_script_errors(story):
    yield
    assert story.errors == [], story.errors


HELPERS = """async () => {
  const { equityPoints } = await import('/ui/portfolio.js');
  const { ApiError, describe } = await import('/ui/api.js');
  const { money, pct } = await import('/ui/dom.js');
  const fill = (o) => ({
    fill: { symbol: 'BTC/USDT', feeCurrency: 'USDT', realizedPnl: '0', ...o },
  });
  const event = (type, amount, currency = 'USDT') => ({ event: { type, amount, currency } });
  const entries = [
    event('LEDGER_EVENT_TYPE_FUNDING', '1000'),
    fill({ price: '100', fee: '0.001', feeCurrency: 'BTC' }),
    fill({ price: '110', fee: '0.2', realizedPnl: '10' }),
    event('LEDGER_EVENT_TYPE_ALLOCATION', '500'),
    fill({ symbol: 'ETH/BTC', price: '0.05', fee: '1' }),
    event('LEDGER_EVENT_TYPE_WITHDRAWAL', '100'),
    event('LEDGER_EVENT_TYPE_FUNDING', '7', 'EUR'),
  ];
  const bad = new ApiError(400, { code: 3, message: 'x', details: [
    { '@type': 'type.googleapis.com/google.rpc.BadRequest', fieldViolations: [
      { field: 'allocated_capital', description: 'must be greater than zero' },
      { field: 'params.amount', description: 'is required' }] }] });
  const down = new ApiError(503, { code: 14, message: 'the bots service (x) is unavailable',
    details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
      reason: 'SERVICE_UNAVAILABLE', metadata: { service: 'bots' } }] });
  return {
    curve: equityPoints(entries, 'USDT').map((p) => Math.round(p.value * 1e6) / 1e6),
    bad: describe(bad), fields: [...bad.fields].sort(), down: describe(down),
    money: [money('-1234.565'), money('0.005'), money('10000'), money('')],
    pct: pct('0.0107'),
  };
}"""


def test_page_helpers_compute_what_the_pages_show(story):
    """The equity curve's arithmetic, error messages and number formats, in the page itself."""
    story.page.goto(story.suite.url + "/")
    out = story.page.evaluate(HELPERS)
    # 1000; base-currency fee 0.001 BTC at 100 = 0.1; +10 realized - 0.2 fee; the allocation
    # and the ETH/BTC fill do not move USDT equity; -100 withdrawn; EUR is another curve.
    assert out["curve"] == [1000, 999.9, 1009.7, 909.7]
    assert out["bad"] == "Allocated capital: must be greater than zero; Amount: is required"
    assert out["fields"] == ["allocatedCapital", "allocated_capital", "amount", "params.amount"]
    assert out["down"] == "The bots service is unavailable right now. Try again shortly."
    assert out["money"] == ["-1,234.57", "0.01", "10,000.00", "—"]
    assert out["pct"] == "1.07%"


def test_sign_up_turn_on_2fa_and_log_in_with_a_code(story):
    page = story.page
    page.goto(story.suite.url + "/")
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    story.shot("login")
    page.get_by_role("link", name="Create an account").click()
    expect(page.get_by_role("heading", name="Create your account")).to_be_visible()
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill("too short")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("alert")).to_have_text("Password: must be at least 12 characters")
    expect(page.get_by_label("Password")).to_have_attribute("aria-invalid", "true")
    story.shot("signup-error")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", level=1, name="Portfolio")).to_be_visible()
    expect(story.card("equity")).to_have_text("0.00")

    story.open("Security")
    page.get_by_role("button", name="Set up two-factor authentication").click()
    qr = page.get_by_role("img", name="QR code of your 2FA secret")
    expect(qr).to_be_visible()
    assert page.evaluate("document.querySelector('img.qr').naturalWidth") > 0
    totp = Totp(page.locator("code.secret").get_attribute("data-secret"))
    story.shot("security-enroll-qr")
    page.locator(".enroll").get_by_label("Authenticator code").fill(totp.code())
    page.get_by_role("button", name="Turn on 2FA").click()
    expect(page.locator("ol.codes li")).to_have_count(10)
    codes = page.locator("ol.codes li").all_inner_texts()
    story.shot("security-recovery-codes")
    page.get_by_role("button", name="I have saved my recovery codes").click()
    expect(page.locator("ol.codes")).to_have_count(0)  # shown once
    expect(page.get_by_text("10 recovery codes left.")).to_be_visible()

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text("enter the code from your app")
    story.shot("login-asks-for-code")
    expect(page.get_by_label("Authenticator code")).to_be_focused()
    page.get_by_role("button", name="Use a recovery code instead").click()
    page.get_by_label("Recovery code").fill(codes[0])
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1, name="Portfolio")).to_be_visible()
    story.open("Security")
    expect(page.get_by_text("9 recovery codes left.")).to_be_visible()  # that one is spent
    story.state["totp"] = totp


def test_funding_shows_in_the_equity_and_the_ledger(story):
    story.need("totp")
    page = story.page
    story.open("Ledger")
    page.get_by_label("Amount").fill("-5")
    page.get_by_role("button", name="Record").click()
    expect(page.get_by_role("alert")).to_have_text("Amount: must be greater than zero")
    expect(page.get_by_label("Amount")).to_have_attribute("aria-invalid", "true")
    page.get_by_label("Amount").fill("10000")
    page.get_by_role("button", name="Record").click()
    expect(page.get_by_role("status").filter(has_text="Recorded")).to_have_text(
        "Recorded: funding of 10,000.00 USDT (entry #1)."
    )
    trail = page.get_by_role("region", name="Audit trail", exact=True)
    expect(trail).to_contain_text("Funding: 10,000.00 USDT")
    story.shot("ledger-funded")

    story.open("Portfolio")
    expect(story.card("equity")).to_have_text("10,000.00")
    expect(story.card("funding")).to_have_text("10,000.00")
    expect(page.get_by_role("img", name=re.compile("^Equity in USDT"))).to_be_visible()
    story.shot("portfolio-funded")
    story.state["funded"] = True


def test_bot_badge_follows_the_event_stream_live(story):
    story.need("funded")
    page = story.page
    story.open("Bots")
    expect(page.locator(".live")).to_have_text("Live")
    page.get_by_text("New bot").click()
    page.get_by_label("Name").fill("Manual BTC")
    page.get_by_label("Symbol").fill("BTCUSDT")
    page.get_by_role("button", name="Create bot").click()
    expect(page.get_by_role("alert")).to_contain_text("Symbol: 'BTCUSDT' is not BASE/QUOTE")
    expect(page.get_by_label("Symbol")).to_have_attribute("aria-invalid", "true")
    page.get_by_label("Symbol").fill("BTC/USDT")
    page.get_by_role("button", name="Create bot").click()
    bot = page.locator("article.bot", has_text="Manual BTC")
    expect(bot.locator(".badge")).to_have_text("Stopped")
    bot_id = bot.get_attribute("data-bot-id")

    bot.get_by_role("button", name="Start").click()
    expect(bot.locator(".badge")).to_have_text("Running")
    page.evaluate("window.notReloaded = true")
    with story.api() as api:
        r = api.post(f"/api/bots/{bot_id}/pause", json={"reason": "paused by the e2e test"})
        assert r.status_code == 200, r.text
    expect(bot.locator(".badge")).to_have_text("Paused")  # pushed by the stream, no reload
    expect(bot.locator(".reason")).to_have_text("paused by the e2e test")
    assert page.evaluate("window.notReloaded") is True
    story.shot("bots-paused-from-api")

    bot.get_by_role("button", name="Stop").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Stop Manual BTC?")
    dialog.get_by_role("button", name="Cancel").click()
    expect(bot.locator(".badge")).to_have_text("Paused")
    page.get_by_role("button", name="Resume all").click()
    expect(page.get_by_role("status").filter(has_text="resumed")).to_have_text("1 bot resumed.")
    expect(bot.locator(".badge")).to_have_text("Running")
    story.state["bot_id"] = bot_id


def test_an_order_shows_its_gates_and_fill_and_moves_the_equity(story):
    story.need("bot_id")
    if "orders" not in story.serving:
        pytest.skip("the orders service is not part of this suite yet (no services/orders)")
    page = story.page
    story.open("Orders")
    page.get_by_label("Amount").fill("0.01")
    page.get_by_role("button", name="Submit order").click()
    result = page.locator(".last-order")
    expect(result.locator(".badge")).to_have_text("Filled")
    expect(result.locator(".gates li[data-passed='true']")).to_have_count(4)
    trace_id = result.locator("code.trace").inner_text()
    assert re.fullmatch(r"[0-9a-f]{32}", trace_id), trace_id
    story.shot("orders-filled")

    with story.api() as api:
        [order] = api.get("/api/orders").json()["items"]
    assert order["traceId"] == trace_id and order["state"] == "ORDER_STATE_FILLED"
    [fill] = order["fills"]
    fee = D(fill["fee"])
    recent = page.locator(f"details.order[data-order-id='{order['id']}']")
    expect(recent).to_be_visible()

    story.open("Portfolio")
    expect(story.card("fees")).to_have_text(money(fee))
    expect(story.card("net-pnl")).to_have_text(money(-fee))
    positions = page.get_by_role("region", name="Open positions", exact=True)
    expect(positions).to_contain_text("Manual BTC")
    expect(positions).to_contain_text("0.01")
    # The equity shown: funding - fee + the position marked at the price the page got.
    mark = D(positions.locator("td").nth(4).inner_text().replace(",", ""))
    price = D(fill["price"])
    expected = D(10000) - fee + D("0.01") * (mark - price)
    shown = D(story.card("equity").inner_text().replace(",", ""))
    assert shown != D(10000)
    assert abs(shown - expected) <= D("0.01") + D("0.01") * D("0.005"), (shown, expected)
    page.get_by_role("button", name="Monthly").click()
    month = page.get_by_role("img", name="monthly net profit in USDT")
    expect(month.locator("rect.bar.neg")).to_have_count(1)  # this month: the fee, a loss
    page.get_by_label("Target equity").fill("20000")
    page.get_by_role("button", name="Project").click()
    expect(page.get_by_role("status").filter(has_text="projection")).to_have_text(
        "No projection: equity has not grown over the last 30 days."
    )
    story.shot("portfolio-after-order")

    story.open("Ledger")
    expect(page.locator(f"tr[data-fill-id='{fill['fillId']}']")).to_contain_text("Paper")
    story.shot("ledger-fill")
    story.state["order"] = order


def test_the_tripped_breaker_is_reset_with_a_totp_code(story):
    story.need("order")
    page = story.page
    story.open("Orders")
    tripped = page.locator(".breaker[data-tripped='true']")
    if tripped.count() == 0:
        pytest.skip("the first order did not trip a breaker (MAX_DRAWDOWN_PERCENT not honoured)")
    story.open("Bots")
    bot = page.locator(f"article.bot[data-bot-id='{story.state['bot_id']}']")
    expect(bot.locator(".badge")).to_have_text("Circuit tripped")
    story.open("Orders")
    expect(page.get_by_role("heading", name="Circuit breakers")).to_be_visible()
    story.shot("orders-breaker-tripped")
    card = page.locator(".breaker[data-tripped='true']").first
    card.get_by_label("Reason").fill("checked by the e2e test")
    card.get_by_label("Authenticator code").fill("000000")
    card.get_by_role("button", name="Reset breaker").click()
    expect(card.get_by_role("alert")).to_contain_text("wrong")  # a wrong code is refused
    card.get_by_label("Authenticator code").fill(story.state["totp"].code())
    card.get_by_role("button", name="Reset breaker").click()
    expect(page.get_by_role("status").filter(has_text="Breaker reset")).to_be_visible()
    expect(page.locator(".breaker[data-tripped='true']")).to_have_count(0)
    story.open("Bots")
    expect(bot.locator(".badge")).to_have_text("Paused")  # a reset never restarts a bot


def test_promotion_lists_every_criterion(story):
    story.need("bot_id", "totp")
    page = story.page
    story.open("Bots")
    bot = page.locator(f"article.bot[data-bot-id='{story.state['bot_id']}']")
    bot.get_by_role("button", name="Promote to live…").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Authenticator code").fill(story.state["totp"].code())
    dialog.get_by_role("button", name="Promote to live").click()
    expect(dialog.get_by_role("status").first).to_contain_text("Not promoted")
    criteria = dialog.locator(".criteria li")
    expect(criteria.first).to_be_visible()
    assert criteria.count() >= 6
    met = dialog.locator(".criteria li[data-met='true']")
    unmet = dialog.locator(".criteria li[data-met='false']")
    expect(met.filter(has_text="Two-factor authentication")).to_have_count(1)
    expect(unmet.filter(has_text="Days in paper")).to_have_count(1)
    story.shot("bots-promotion-criteria")
    dialog.get_by_role("button", name="Close").click()


def test_the_ledger_pages_through_its_entries_and_verifies_them(story):
    story.need("order")
    page = story.page
    with story.api() as api:
        for i in range(21):
            event = {"eventId": f"top-up-{i}", "type": "LEDGER_EVENT_TYPE_FUNDING", "amount": "1"}
            r = api.post("/api/ledger/events", json={**event, "currency": "USDT"})
            assert r.status_code == 200, r.text
    story.open("Ledger")
    trail = page.get_by_role("region", name="Audit trail", exact=True)
    rows = trail.locator("tbody tr")
    expect(rows).to_have_count(20)  # 23 entries: the funding, the fill, 21 top-ups
    expect(rows.first.locator("td").first).to_have_text("1")
    trail.get_by_role("button", name="Next").click()
    expect(trail.get_by_text("Page 2")).to_be_visible()
    expect(rows).to_have_count(3)
    expect(rows.last.locator("td").first).to_have_text("23")
    expect(trail.get_by_role("button", name="Next")).to_be_disabled()
    trail.get_by_role("button", name="Previous").click()
    expect(rows).to_have_count(20)
    page.get_by_role("button", name="Verify the hash chain").click()
    expect(page.get_by_role("status").filter(has_text="Verified")).to_have_text(
        "Verified: 23 entries, hashes and figures all match."
    )
    story.shot("ledger-paged-verified")


def test_every_page_on_a_small_screen(story):
    story.need("funded")
    session = story.page.evaluate("sessionStorage.getItem('amarktai.session')")
    context = story.page.context.browser.new_context(viewport=PHONE, device_scale_factor=1)
    context.add_init_script(f"sessionStorage.setItem('amarktai.session', {json.dumps(session)})")
    phone = context.new_page()
    phone.on("pageerror", lambda exc: story.errors.append(f"page error (phone): {exc}"))
    try:
        for name in ("portfolio", "bots", "orders", "ledger", "security"):
            phone.goto(f"{story.suite.url}/#/{name}")
            expect(phone.get_by_role("heading", level=1)).to_have_text(name.capitalize())
            phone.wait_for_function(LOADING, timeout=10_000)
            phone.wait_for_timeout(250)
            width = phone.evaluate("document.documentElement.scrollWidth")
            assert width <= PHONE["width"], f"{name} scrolls sideways on a phone ({width}px)"
            story.shots.take(phone, f"phone-{name}")
    finally:
        context.close()


def test_a_stopped_service_gives_a_readable_message(story):
    story.need("funded")
    if "orders" not in story.serving:
        pytest.skip("the orders service is not part of this suite yet (no services/orders)")
    stop_service(story.suite, "orders")
    page = story.page
    story.open("Orders")
    expect(page.get_by_role("alert").first).to_have_text(
        "The orders service is unavailable right now. Try again shortly."
    )
    story.shot("orders-service-down")
