// The Orders page's risk panels: the circuit breakers (reset with a reason, and a TOTP code when
// 2FA is on), their trips and resets, and the trade limits in use.

import { failure, get, getSession, post, showError } from "./api.js";
import { totpField } from "./auth.js";
import {
  busy,
  enumLabel,
  facts,
  field,
  formValues,
  h,
  notice,
  pct,
  replace,
  row,
  section,
  table,
  when,
} from "./dom.js";

const scopeName = (scope, botId, botName) =>
  scope === "BREAKER_SCOPE_ACCOUNT" ? "Account" : `Bot ${botName(botId)}`;

function breakerCard(b, max, resetForm, botName) {
  const m = b.metrics || {};
  const state = b.tripped ? "circuit_tripped" : "ok";
  const trigger = `${enumLabel(b.trigger, "BREAKER_TRIGGER_")}: ${b.reason}`;
  return h(
    "div",
    { class: "card breaker", dataset: { tripped: String(b.tripped) } },
    h(
      "h3",
      {},
      scopeName(b.scope, b.botId, botName),
      " ",
      h("span", { class: "badge", dataset: { state } }, b.tripped ? "Tripped" : "OK"),
    ),
    b.tripped ? h("p", {}, `${trigger} (${when(b.trippedAt)})`) : null,
    facts([
      ["Drawdown", `${pct(m.drawdown)} of max ${pct(max.maxDrawdown)}`],
      ["Today's loss", `${pct(m.dailyLoss)} of max ${pct(max.maxDailyLoss)}`],
      ["Losing streak", `${m.consecutiveLosses ?? 0} of max ${max.maxConsecutiveLosses}`],
      ["Errors last hour", `${m.errorsLastHour ?? 0} of max ${max.maxErrorsPerHour}`],
    ]),
    b.tripped ? resetForm(b) : null,
  );
}

export function breakerPanel(botName, onReset) {
  const box = h("div", {}, notice("Loading…"));
  async function load() {
    try {
      const status = await get("/api/circuit-breaker/status");
      const cards = (status.items || []).map((b) => breakerCard(b, status, resetForm, botName));
      replace(box, h("div", { class: "breakers" }, cards));
    } catch (err) {
      replace(box, failure(err));
    }
  }
  function resetForm(b) {
    const form = h(
      "form",
      { class: "grid-form" },
      field("Reason", { name: "reason", required: true }, "Why it is safe to trade again."),
      getSession()?.user?.totpEnabled ? totpField() : null,
      h("button", { type: "submit", class: "danger" }, "Reset breaker"),
    );
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const body = { ...formValues(form), botId: b.botId };
      await busy(form.querySelector("button"), async () => {
        try {
          const answer = await post("/api/circuit-breaker/reset", body);
          const cleared = answer.botsCleared || 0;
          box.before(notice(`Breaker reset; ${cleared} bot(s) now paused.`, "success"));
          load();
          onReset();
        } catch (err) {
          showError(form, err);
        }
      });
    });
    return form;
  }
  return { panel: section("Circuit breakers", box), reload: load };
}

export function historyPanel(botName) {
  const box = h("div", {}, notice("Loading…"));
  async function load() {
    try {
      const page = await get("/api/circuit-breaker/history", { page_size: 20 });
      const rows = (page.items || []).map((e) =>
        row([
          when(e.at),
          enumLabel(e.kind, "BREAKER_EVENT_KIND_"),
          scopeName(e.scope, e.botId, botName),
          e.kind === "BREAKER_EVENT_KIND_TRIP" ? enumLabel(e.trigger, "BREAKER_TRIGGER_") : "",
          e.reason,
        ]),
      );
      const headers = ["When", "What", "Scope", "Trigger", "Reason"];
      replace(box, table(headers, rows, { empty: "No trips or resets." }));
    } catch (err) {
      replace(box, failure(err));
    }
  }
  return { panel: section("Breaker history", box), reload: load };
}

function limitName(l, botName) {
  if (l.name === "trades_per_bot_daily") return `Orders today, bot ${botName(l.botId)}`;
  if (l.name === "trades_per_user_daily") return "Orders today, account";
  if (l.name === "burst_per_exchange") return `Burst on ${l.exchange}`;
  return l.name;
}

function limitItem(l, botName) {
  const name = limitName(l, botName);
  return h(
    "li",
    {},
    h("span", {}, name),
    h("meter", { min: "0", max: String(l.capacity), value: String(l.used), "aria-label": name }),
    h("span", { class: "num" }, `${l.used} / ${l.capacity}`),
    h("span", { class: "muted" }, l.resetsAt ? `resets ${when(l.resetsAt)}` : ""),
  );
}

export function limitsPanel(botName) {
  const box = h("div", {}, notice("Loading…"));
  async function load() {
    try {
      const items = (await get("/api/limits/status")).items || [];
      const list = h(
        "ul",
        { class: "limits" },
        items.map((l) => limitItem(l, botName)),
      );
      replace(box, items.length ? list : notice("No limits in use."));
    } catch (err) {
      replace(box, failure(err));
    }
  }
  return { panel: section("Trade limits in use", box), reload: load };
}
