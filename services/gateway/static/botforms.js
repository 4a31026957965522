// The Bots page's forms and dialogs: create a bot (with its strategy's parameters), confirm a
// stop, and promote a bot to live showing every criterion with its value and requirement.

import { clearError, getSession, post, showError } from "./api.js";
import { totpField } from "./auth.js";
import { busy, button, field, fieldLabel, formValues, h, newKey, notice, replace } from "./dom.js";

const PARAMS = {
  manual: [],
  sma_crossover: [
    ["fast", "Fast SMA", "10"],
    ["slow", "Slow SMA", "30"],
    ["amount", "Order amount", ""],
  ],
  rsi_reversion: [
    ["period", "RSI period", "14"],
    ["oversold", "Oversold", "30"],
    ["overbought", "Overbought", "70"],
    ["amount", "Order amount", ""],
  ],
};
const CRITERIA = {
  two_factor_enabled: "Two-factor authentication",
  totp_code: "TOTP code",
  paper_days: "Days in paper",
  closed_trades: "Closed trades",
  win_rate: "Win rate",
  net_profit_pct: "Net profit (share of capital)",
  exchange_keys: "Exchange API keys",
};
// A modal question; resolves true when confirmed.
export function confirmDialog(title, text, confirmLabel) {
  return new Promise((resolve) => {
    const dialog = h("dialog", { class: "dialog", "aria-labelledby": "confirm-title" });
    const close = (answer) => {
      dialog.close();
      dialog.remove();
      resolve(answer);
    };
    replace(
      dialog,
      h("h2", { id: "confirm-title" }, title),
      h("p", {}, text),
      h(
        "div",
        { class: "actions" },
        button("Cancel", () => close(false), { class: "secondary" }),
        button(confirmLabel, () => close(true), { class: "danger" }),
      ),
    );
    dialog.addEventListener("cancel", () => close(false));
    document.body.append(dialog);
    dialog.showModal();
  });
}

function criteriaList(criteria) {
  return h(
    "ul",
    { class: "criteria" },
    criteria.map((c) =>
      h(
        "li",
        { dataset: { met: String(c.met) } },
        h("span", { class: "mark", "aria-hidden": "true" }, c.met ? "✓" : "✗"),
        h("span", { class: "visually-hidden" }, c.met ? "met: " : "not met: "),
        h("strong", {}, CRITERIA[c.name] || fieldLabel(c.name)),
        ` ${c.value} `,
        h("span", { class: "muted" }, `(needs ${c.requirement})`),
      ),
    ),
  );
}

export function promoteDialog(bot, onChanged) {
  const dialog = h("dialog", { class: "dialog", "aria-labelledby": "promote-title" });
  const result = h("div", { "aria-live": "polite" });
  const twoFactor = getSession()?.user?.totpEnabled;
  const form = h(
    "form",
    { method: "dialog" },
    twoFactor
      ? totpField()
      : notice("Promotion to live needs 2FA: turn it on on the Security page.", "warn"),
    result,
    h(
      "div",
      { class: "actions" },
      button("Close", () => dialog.close(), { class: "secondary" }),
      h("button", { type: "submit" }, "Promote to live"),
    ),
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    await busy(form.querySelector("button[type=submit]"), async () => {
      try {
        const answer = await post(
          `/api/bots/${encodeURIComponent(bot.id)}/promote`,
          formValues(form),
        );
        clearError(form);
        if (answer.bot) onChanged(answer.bot);
        replace(
          result,
          answer.promoted
            ? notice(`${bot.name} is now LIVE.`, "success")
            : notice("Not promoted: every criterion must be met.", "warn"),
          criteriaList(answer.criteria || []),
        );
      } catch (err) {
        showError(form, err);
      }
    });
  });
  replace(
    dialog,
    h("h2", { id: "promote-title" }, `Promote ${bot.name} to live`),
    h(
      "p",
      { class: "muted" },
      "Live bots trade real money on the exchange with your stored API keys.",
    ),
    form,
  );
  dialog.addEventListener("close", () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
}

export function createForm(onCreated) {
  let key = newKey();
  const params = h("div", { class: "params" });
  const strategy = field(
    "Strategy",
    { tag: "select", name: "strategy", options: Object.keys(PARAMS) },
    "manual places orders only when you (or the API) submit them.",
  );
  const showParams = () => {
    const name = strategy.querySelector("select").value;
    replace(
      params,
      PARAMS[name].map(([p, label, value]) =>
        field(label, {
          name: `params.${p}`,
          value,
          inputmode: "decimal",
          required: p === "amount",
        }),
      ),
    );
  };
  strategy.querySelector("select").addEventListener("change", showParams);
  const form = h(
    "form",
    { class: "grid-form", novalidate: true },
    field("Name", { name: "name", required: true, maxlength: "100" }),
    field(
      "Exchange",
      { name: "exchange", value: "binance", required: true },
      "A ccxt exchange id.",
    ),
    field("Symbol", { name: "symbol", value: "BTC/USDT", required: true }, "BASE/QUOTE"),
    strategy,
    params,
    field("Allocated capital", {
      name: "allocatedCapital",
      inputmode: "decimal",
      required: true,
      value: "1000",
    }),
    field("Interval (seconds)", {
      name: "intervalSeconds",
      type: "number",
      min: "5",
      max: "86400",
      value: "60",
    }),
    h("button", { type: "submit" }, "Create bot"),
  );
  showParams();
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const values = formValues(form);
    const body = { params: {}, idempotencyKey: key };
    for (const [name, value] of Object.entries(values)) {
      if (name.startsWith("params.")) {
        if (value !== "") body.params[name.slice(7)] = value;
      } else if (value !== "") body[name] = name === "intervalSeconds" ? Number(value) : value;
    }
    await busy(form.querySelector("button[type=submit]"), async () => {
      try {
        const bot = await post("/api/bots", body);
        key = newKey();
        form.reset();
        showParams();
        clearError(form);
        onCreated(bot);
      } catch (err) {
        if (err.status && err.status < 500) key = newKey(); // refused: a new try is a new bot
        showError(form, err);
      }
    });
  });
  return h("details", { class: "panel create" }, h("summary", {}, "New bot"), form);
}
