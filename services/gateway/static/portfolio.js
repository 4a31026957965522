// Portfolio: the summary figures, the equity curve (from the audit trail), profit bars per
// day, week or month, open positions (marked at market when the orders service can price
// them) and the countdown to a target equity.

import { describe, failure, get, getAll, showError, clearError } from "./api.js";
import { barChart, lineChart } from "./charts.js";
import {
  busy,
  field,
  formValues,
  h,
  money,
  notice,
  pct,
  qty,
  replace,
  section,
  signClass,
  table,
  when,
} from "./dom.js";

const PERIODS = [
  ["daily", "Daily"],
  ["weekly", "Weekly"],
  ["monthly", "Monthly"],
];

function card(key, label, value, sub = "", cls = "") {
  return h(
    "div",
    { class: "card", dataset: { figure: key } },
    h("span", { class: "label" }, label),
    h("strong", { class: `value ${cls}` }, value),
    sub ? h("span", { class: "sub" }, sub) : null,
  );
}

// Equity after every entry of the audit trail, in one quote currency: funding, withdrawals and
// adjustments move it; a fill adds its realized PnL less its fee (DESIGN 5.1).
export function equityPoints(entries, currency) {
  let equity = 0;
  const points = [];
  for (const entry of entries) {
    if (entry.event) {
      const ev = entry.event;
      if (ev.currency !== currency) continue;
      const amount = Number(ev.amount);
      if (ev.type === "LEDGER_EVENT_TYPE_FUNDING" || ev.type === "LEDGER_EVENT_TYPE_ADJUSTMENT") {
        equity += amount;
      } else if (ev.type === "LEDGER_EVENT_TYPE_WITHDRAWAL") {
        equity -= amount;
      } else {
        continue; // transfers and allocations move money between the account and its bots
      }
    } else if (entry.fill) {
      const f = entry.fill;
      const [base, quote] = f.symbol.split("/");
      if (quote !== currency) continue;
      let fee = Number(f.fee || 0);
      if (f.feeCurrency === base) fee *= Number(f.price);
      else if (f.feeCurrency && f.feeCurrency !== quote) fee = Number(f.feeQuote || 0);
      equity += Number(f.realizedPnl || 0) - fee;
    } else {
      continue;
    }
    points.push({ value: equity, label: when(entry.recordedAt).slice(0, 10) });
  }
  return points;
}

// Marks for the open positions: the last price of each symbol on its bot's exchange.
async function marksFor(positions) {
  if (!positions.length) return [];
  const bots = await getAll("/api/bots");
  const exchangeOf = new Map(bots.map((b) => [b.id, b.exchange]));
  const pairs = new Map();
  for (const p of positions) {
    const exchange = exchangeOf.get(p.botId);
    if (exchange) pairs.set(p.symbol, exchange);
  }
  const tickers = await Promise.all(
    [...pairs].map(([symbol, exchange]) => get("/api/market/ticker", { exchange, symbol })),
  );
  return tickers.map((t) => `${t.symbol}=${t.last}`);
}

function summaryCards(s, marked) {
  return [
    card(
      "equity",
      `Equity (${s.currency})`,
      money(s.equity),
      marked ? "open positions at market" : "open positions at cost",
    ),
    card("net-pnl", "Net PnL", money(s.netPnl), "realized less fees", signClass(s.netPnl)),
    card("realized", "Realized PnL", money(s.realizedPnl), "before fees", signClass(s.realizedPnl)),
    card("fees", "Fees", money(s.fees)),
    card(
      "unrealized",
      "Unrealized PnL",
      money(s.unrealizedPnl),
      marked ? "" : "no market prices",
      signClass(s.unrealizedPnl),
    ),
    card("drawdown", "Drawdown", pct(s.currentDrawdown), "from the peak"),
    card("max-drawdown", "Max drawdown", pct(s.maxDrawdown)),
    card("funding", "Net funding", money(s.netFunding), "deposits less withdrawals"),
    card("trades", "Trades won", `${s.winningTrades} / ${s.trades}`, "closing trades"),
  ];
}

function positionsTable(positions, botNames) {
  const rows = positions.map((p) =>
    h(
      "tr",
      {},
      h("td", {}, botNames.get(p.botId) || p.botId || "—"),
      h("td", {}, p.symbol),
      h("td", { class: `num ${signClass(p.amount)}` }, qty(p.amount)),
      h("td", { class: "num" }, money(p.averagePrice)),
      h("td", { class: "num" }, money(p.markPrice)),
      h("td", { class: `num ${signClass(p.unrealizedPnl)}` }, money(p.unrealizedPnl)),
    ),
  );
  return table(["Bot", "Symbol", "Amount", "Average price", "Mark", "Unrealized"], rows, {
    caption: "Open positions",
    empty: "No open positions.",
  });
}

function profitsPanel(currency) {
  const chartBox = h("div", { class: "chart-box" });
  const buttons = PERIODS.map(([value, label]) =>
    h("button", { type: "button", "aria-pressed": "false", onclick: () => show(value) }, label),
  );
  async function show(period) {
    buttons.forEach((b, i) => b.setAttribute("aria-pressed", String(PERIODS[i][0] === period)));
    replace(chartBox, notice("Loading…"));
    try {
      const answer = await get("/api/profits", { period, currency });
      const buckets = answer.buckets || [];
      const bars = buckets.map((b) => ({
        value: Number(b.netPnl),
        label: b.periodStart.slice(0, period === "monthly" ? 7 : 10),
        title: `${b.periodStart.slice(0, 10)}: net ${money(b.netPnl)} (${b.trades} trades)`,
      }));
      const rows = buckets.map((b) =>
        h(
          "tr",
          {},
          h("td", {}, b.periodStart.slice(0, 10)),
          h("td", { class: `num ${signClass(b.netPnl)}` }, money(b.netPnl)),
          h("td", { class: "num" }, money(b.realizedPnl)),
          h("td", { class: "num" }, money(b.fees)),
          h("td", { class: "num" }, `${b.winningTrades} / ${b.trades}`),
        ),
      );
      replace(
        chartBox,
        barChart(bars, {
          label: `${period} net profit in ${currency}`,
          emptyText: "No entries yet.",
        }),
        rows.length
          ? h(
              "details",
              {},
              h("summary", {}, "Figures"),
              table(["Period", "Net", "Realized", "Fees", "Won / trades"], rows),
            )
          : null,
      );
    } catch (err) {
      replace(chartBox, failure(err));
    }
  }
  show("daily");
  return section(
    "Profit",
    h("div", { class: "segmented", role: "group", "aria-label": "Period" }, buttons),
    chartBox,
  );
}

function countdownPanel(currency) {
  const out = h("div", { "aria-live": "polite" });
  const form = h(
    "form",
    { class: "inline-form" },
    field("Target equity", {
      name: "target",
      inputmode: "decimal",
      required: true,
      placeholder: "20000",
    }),
    h("button", { type: "submit" }, "Project"),
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const { target } = formValues(form);
    await busy(form.querySelector("button"), async () => {
      try {
        const c = await get("/api/countdown/status", { target, currency });
        clearError(form);
        let text = "No projection: equity has not grown over the last 30 days.";
        if (c.reached) {
          text = `Reached: equity ${money(c.currentEquity)} is at or above ${money(c.target)}.`;
        } else if (c.daysToTarget) {
          const days = qty(Math.ceil(Number(c.daysToTarget)));
          text = `About ${days} days at ${pct(c.dailyGrowth)} a day.`;
        }
        replace(out, notice(text));
      } catch (err) {
        replace(out);
        showError(form, err);
      }
    });
  });
  return section("Countdown to a target", form, out);
}

export function render(root) {
  let currency = "USDT";
  const head = h("div", { class: "view-head" }, h("h1", { tabindex: "-1" }, "Portfolio"));
  const currencyForm = h(
    "form",
    { class: "inline-form" },
    field("Currency", { name: "currency", value: currency, size: 6, required: true }),
    h("button", { type: "submit", class: "secondary" }, "Show"),
  );
  const body = h("div", { class: "stack" });
  head.append(currencyForm);
  replace(root, head, body);

  async function load() {
    replace(body, notice("Loading…"));
    try {
      let summary = await get("/api/portfolio/summary", { currency });
      let note = null;
      let bots = [];
      try {
        bots = summary.positions.length ? await getAll("/api/bots") : [];
        const marks = await marksFor(summary.positions);
        if (marks.length) summary = await get("/api/portfolio/summary", { currency, marks });
      } catch (err) {
        note = notice(
          `Market prices unavailable (${describe(err)}): positions are shown at cost.`,
          "warn",
        );
      }
      const marked = summary.positions.some((p) => p.markPrice);
      const botNames = new Map(bots.map((b) => [b.id, b.name]));
      const cards = h("div", { class: "cards" }, summaryCards(summary, marked));
      const curveBox = h("div", {}, notice("Loading…"));
      replace(
        body,
        note,
        cards,
        section("Equity curve", curveBox),
        profitsPanel(currency),
        section("Open positions", positionsTable(summary.positions, botNames)),
        countdownPanel(currency),
      );
      try {
        const points = equityPoints(await getAll("/api/ledger/audit-trail"), currency);
        let label = `Equity in ${currency} after each ledger entry (realized, after fees)`;
        if (marked && points.length) {
          points.push({ value: Number(summary.equity), label: "now, at market" });
          label += ", then now at market";
        }
        replace(
          curveBox,
          lineChart(points, {
            label,
            emptyText: "No ledger entries yet: record a funding event on the Ledger page.",
          }),
        );
      } catch (err) {
        replace(curveBox, failure(err));
      }
    } catch (err) {
      replace(body, failure(err));
    }
  }

  currencyForm.addEventListener("submit", (e) => {
    e.preventDefault();
    currency = formValues(currencyForm).currency.toUpperCase() || "USDT";
    load();
  });
  load();
}
