// Orders: submit a (manual) order through the four gates, recent and pending orders with their
// gate decisions, fills and trace ids; the risk panels (breakers, limits) come from risk.js.

import { clearError, failure, get, getAll, post, showError } from "./api.js";
import {
  busy,
  button,
  enumLabel,
  facts,
  field,
  formValues,
  h,
  money,
  newKey,
  notice,
  qty,
  replace,
  row,
  section,
  short,
  table,
  when,
} from "./dom.js";
import { breakerPanel, historyPanel, limitsPanel } from "./risk.js";

const stateOf = (o) => (o.state || "").replace("ORDER_STATE_", "").toLowerCase();
let botNames = new Map();
const botName = (id) => (id ? botNames.get(id) || short(id) : "Account");

function gatesList(gates) {
  const item = (g) =>
    h(
      "li",
      { dataset: { passed: String(g.passed) } },
      h("span", { class: "mark", "aria-hidden": "true" }, g.passed ? "✓" : "✗"),
      h("span", { class: "visually-hidden" }, g.passed ? "passed: " : "refused: "),
      h("strong", {}, enumLabel(g.gate, "GATE_")),
      ` ${g.reason}`,
    );
  return h("ol", { class: "gates" }, gates.map(item));
}

function fillsTable(fills) {
  const rows = fills.map((f) =>
    row([
      [qty(f.amount), "num"],
      [money(f.price), "num"],
      [`${qty(f.fee)} ${f.feeCurrency}`, "num"],
      [money(f.expectedPrice), "num"],
      [f.slippageBps ? `${qty(f.slippageBps)} bps` : "—", "num"],
      when(f.executedAt),
    ]),
  );
  const headers = ["Amount", "Price", "Fee", "Expected price", "Slippage", "Executed"];
  return table(headers, rows, { caption: "Fills", empty: "No fills." });
}

function rejection(r) {
  if (!r || !r.gate || r.gate === "GATE_UNSPECIFIED") return null;
  const gate = enumLabel(r.gate, "GATE_").toLowerCase();
  const retry = r.retryAfterSeconds ? ` (retry in ${r.retryAfterSeconds} s)` : "";
  return notice(`Refused by the ${gate} gate: ${r.reason}${retry}`, "warn");
}

function orderDetails(order) {
  const replayed = "This key was used before: this is the original order; nothing new ran.";
  return h(
    "div",
    { class: "order-details" },
    order.replayed ? notice(replayed) : null,
    rejection(order.rejection),
    order.stateReason ? notice(order.stateReason, "warn") : null,
    facts([
      ["Bot", botName(order.botId)],
      ["Mode", enumLabel(order.mode, "ORDER_MODE_")],
      ["Filled", `${qty(order.filledAmount)} of ${qty(order.amount)}`],
      ["Average price", money(order.averagePrice)],
      ["Expected edge", `${order.expectedEdgeBps || "0"} bps`],
      ["Trace id", h("code", { class: "trace" }, order.traceId || "—")],
      ["Order id", h("code", {}, order.id)],
    ]),
    h("h4", {}, "Gates"),
    gatesList(order.gates || []),
    h("h4", {}, "Fills"),
    fillsTable(order.fills || []),
  );
}

function orderSummary(o) {
  const type = enumLabel(o.type, "ORDER_TYPE_").toLowerCase();
  const price = o.type === "ORDER_TYPE_LIMIT" ? ` @ ${money(o.price)}` : "";
  const what = `${enumLabel(o.side, "SIDE_")} ${qty(o.amount)} ${o.symbol} ${type}${price}`;
  const badge = h(
    "span",
    { class: "badge", dataset: { state: stateOf(o) } },
    enumLabel(o.state, "ORDER_STATE_"),
  );
  return [
    h("span", { class: "when" }, when(o.createdAt)),
    badge,
    h("span", {}, what),
    h("span", { class: "muted" }, botName(o.botId)),
  ];
}

function orderItem(o) {
  return h(
    "details",
    { class: "order", dataset: { orderId: o.id, state: stateOf(o) } },
    h("summary", {}, orderSummary(o)),
    orderDetails(o),
  );
}

function orderForm(bots) {
  const options = bots.map((b) => [
    b.id,
    `${b.name} · ${b.symbol} · ${enumLabel(b.state, "BOT_STATE_")}`,
  ]);
  const manual = bots.find((b) => b.strategy === "manual") || bots[0];
  const sides = [
    ["SIDE_BUY", "Buy"],
    ["SIDE_SELL", "Sell"],
  ];
  const types = [
    ["ORDER_TYPE_MARKET", "Market"],
    ["ORDER_TYPE_LIMIT", "Limit"],
  ];
  const form = h(
    "form",
    { class: "grid-form", novalidate: true },
    field(
      "Bot",
      { tag: "select", name: "botId", options, value: manual.id },
      "An order that is not reduce-only needs the bot running.",
    ),
    field("Side", { tag: "select", name: "side", options: sides }),
    field("Type", { tag: "select", name: "type", options: types }),
    field(
      "Amount",
      { name: "amount", inputmode: "decimal", required: true, placeholder: "0.01" },
      "In the base currency.",
    ),
    field("Limit price", { name: "price", inputmode: "decimal", disabled: true }),
    field(
      "Expected edge (bps)",
      { name: "expectedEdgeBps", inputmode: "decimal", value: "100" },
      "The fee gate refuses an order whose edge does not cover fees, spread and margins.",
    ),
    h(
      "div",
      { class: "field check" },
      h("input", { type: "checkbox", name: "reduceOnly", id: "reduce-only" }),
      h("label", { for: "reduce-only" }, "Reduce only (closes a position)"),
    ),
    h("button", { type: "submit" }, "Submit order"),
  );
  form.elements.type.addEventListener("change", () => {
    form.elements.price.disabled = form.elements.type.value !== "ORDER_TYPE_LIMIT";
  });
  return form;
}

function submitPanel(bots, onSubmitted) {
  if (!bots.length) return section("Submit an order", notice("Create a bot on the Bots page."));
  let key = newKey(); // kept when no answer came, so that a retry cannot place a second order
  const result = h("div", { "aria-live": "polite" });
  const form = orderForm(bots);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const values = formValues(form);
    const bot = bots.find((b) => b.id === values.botId);
    const body = { ...values, exchange: bot.exchange, symbol: bot.symbol, idempotencyKey: key };
    await busy(form.querySelector("button[type=submit]"), async () => {
      try {
        const order = await post("/api/orders/submit", body);
        key = newKey();
        clearError(form);
        const verdict = stateOf(order) === "rejected" ? "warn" : "success";
        const state = enumLabel(order.state, "ORDER_STATE_").toLowerCase();
        replace(
          result,
          notice(`Order ${state}.`, verdict),
          h(
            "div",
            { class: "order last-order", dataset: { state: stateOf(order) } },
            h("p", { class: "order-line" }, orderSummary(order)),
            orderDetails(order),
          ),
        );
        onSubmitted();
      } catch (err) {
        if (err.status && err.status !== 409 && err.status < 500) key = newKey();
        replace(result);
        showError(form, err);
      }
    });
  });
  return section("Submit an order", form, result);
}

function recentPanel() {
  const box = h("div", {});
  const tokens = [""];
  async function load(i) {
    try {
      const page = await get("/api/orders", { page_size: 20, page_token: tokens[i] });
      const items = page.items || [];
      tokens[i + 1] = page.nextPageToken || "";
      const small = "secondary small";
      const newer = button("Newer", () => load(i - 1), { class: small, disabled: i === 0 });
      const older = button("Older", () => load(i + 1), {
        class: small,
        disabled: !page.nextPageToken,
      });
      replace(
        box,
        items.length ? items.map(orderItem) : notice("No orders yet."),
        h("div", { class: "pager" }, newer, older),
      );
    } catch (err) {
      replace(box, failure(err));
    }
  }
  return { panel: section("Recent orders", box), reload: () => load(0) };
}

function pendingPanel() {
  const box = h("div", {});
  async function load() {
    try {
      const items = (await get("/api/orders/pending", { page_size: 50 })).items || [];
      replace(box, items.length ? items.map(orderItem) : notice("No orders waiting."));
    } catch (err) {
      replace(box, failure(err));
    }
  }
  return { panel: section("Pending orders", box), reload: load };
}

export function render(root) {
  const top = h("div", {}, notice("Loading…"));
  const recent = recentPanel();
  const history = historyPanel(botName);
  const panels = [
    recent,
    pendingPanel(),
    breakerPanel(botName, () => [recent, history].forEach((p) => p.reload())),
    limitsPanel(botName),
    history,
  ];
  const refresh = () => panels.forEach((p) => p.reload());
  replace(
    root,
    h("div", { class: "view-head" }, h("h1", { tabindex: "-1" }, "Orders")),
    h(
      "div",
      { class: "stack" },
      top,
      panels.map((p) => p.panel),
    ),
  );
  getAll("/api/bots").then(
    (bots) => {
      botNames = new Map(bots.map((b) => [b.id, b.name]));
      replace(top, submitPanel(bots, refresh));
      refresh();
    },
    (err) => {
      replace(top, section("Submit an order", failure(err)));
      refresh();
    },
  );
}
