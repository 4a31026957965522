// Ledger: record a funding (or other) event, the fills and the audit trail page by page, and a
// verification of the hash chain.

import { clearError, describe, failure, get, getAll, post, showError } from "./api.js";
import {
  busy,
  button,
  enumLabel,
  field,
  formValues,
  h,
  money,
  newKey,
  notice,
  qty,
  replace,
  section,
  short,
  signClass,
  table,
  when,
} from "./dom.js";

const EVENT_TYPES = [
  ["LEDGER_EVENT_TYPE_FUNDING", "Funding (deposit)"],
  ["LEDGER_EVENT_TYPE_WITHDRAWAL", "Withdrawal"],
  ["LEDGER_EVENT_TYPE_ALLOCATION", "Allocation to a bot"],
  ["LEDGER_EVENT_TYPE_TRANSFER", "Transfer back from a bot"],
  ["LEDGER_EVENT_TYPE_ADJUSTMENT", "Adjustment (correction)"],
];
const PAGE = 20;

function eventForm(bots, onRecorded) {
  let key = newKey();
  const botOptions = [["", "Account (no bot)"], ...bots.map((b) => [b.id, b.name])];
  const corrects = field(
    "Corrects entry",
    { name: "corrects" },
    "The id of the entry this adjustment corrects.",
  );
  corrects.hidden = true;
  const form = h(
    "form",
    { class: "grid-form", novalidate: true },
    field("Type", { tag: "select", name: "type", options: EVENT_TYPES }),
    field("Amount", { name: "amount", inputmode: "decimal", required: true, placeholder: "10000" }),
    field("Currency", { name: "currency", value: "USDT", required: true }),
    field("Bot", { tag: "select", name: "botId", options: botOptions }),
    field("Description", { name: "description", maxlength: "200" }),
    corrects,
    h("button", { type: "submit" }, "Record"),
  );
  form.elements.type.addEventListener("change", () => {
    corrects.hidden = form.elements.type.value !== "LEDGER_EVENT_TYPE_ADJUSTMENT";
  });
  const result = h("div", { "aria-live": "polite" });
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const body = { ...formValues(form), eventId: key };
    if (corrects.hidden) delete body.corrects;
    await busy(form.querySelector("button[type=submit]"), async () => {
      try {
        const answer = await post("/api/ledger/events", body);
        key = newKey();
        const ev = answer.event;
        form.elements.amount.value = "";
        clearError(form);
        const what = enumLabel(ev.type, "LEDGER_EVENT_TYPE_").toLowerCase();
        const text = `Recorded: ${what} of ${money(ev.amount)} ${ev.currency} (entry #${ev.sequence}).`;
        replace(result, notice(text, "success"));
        onRecorded();
      } catch (err) {
        if (err.status && err.status !== 409 && err.status < 500) key = newKey();
        replace(result);
        showError(form, err);
      }
    });
  });
  return section("Record a funding event", form, result);
}

// A paged list: fetchPage(token) -> {items, nextPageToken}; rows(items) -> the table.
function paged(title, fetchPage, rows) {
  const box = h("div", {}, notice("Loading…"));
  const tokens = [""];
  async function load(i) {
    try {
      const page = await fetchPage(tokens[i]);
      tokens[i + 1] = page.nextPageToken || "";
      replace(
        box,
        rows(page.items || []),
        h(
          "div",
          { class: "pager" },
          h("span", { class: "muted" }, `Page ${i + 1}`),
          button("Previous", () => load(i - 1), { class: "secondary small", disabled: i === 0 }),
          button("Next", () => load(i + 1), {
            class: "secondary small",
            disabled: !page.nextPageToken,
          }),
        ),
      );
    } catch (err) {
      replace(box, failure(err));
    }
  }
  return { panel: section(title, box), reload: () => load(0) };
}

function fillRows(botNames) {
  return (items) =>
    table(
      ["Time", "Bot", "Side", "Amount", "Symbol", "Price", "Fee", "Net PnL", "Source"],
      items.map((f) =>
        h(
          "tr",
          { dataset: { fillId: f.fillId } },
          h("td", {}, when(f.executedAt)),
          h("td", {}, botNames.get(f.botId) || short(f.botId)),
          h("td", {}, enumLabel(f.side, "SIDE_")),
          h("td", { class: "num" }, qty(f.amount)),
          h("td", {}, f.symbol),
          h("td", { class: "num" }, money(f.price)),
          h("td", { class: "num" }, `${qty(f.fee)} ${f.feeCurrency || ""}`),
          h("td", { class: `num ${signClass(f.netPnl)}` }, f.netPnl ? money(f.netPnl) : "—"),
          h("td", {}, enumLabel(f.source, "FILL_SOURCE_")),
        ),
      ),
      { caption: "Fills", empty: "No fills yet." },
    );
}

function describeEntry(entry) {
  if (entry.fill) {
    const f = entry.fill;
    const side = enumLabel(f.side, "SIDE_").toLowerCase();
    const fee = `fee ${qty(f.fee)} ${f.feeCurrency || ""}`;
    return `Fill: ${side} ${qty(f.amount)} ${f.symbol} @ ${money(f.price)}, ${fee}`;
  }
  if (entry.event) {
    const ev = entry.event;
    const what = enumLabel(ev.type, "LEDGER_EVENT_TYPE_");
    const note = ev.description ? ` (${ev.description})` : "";
    return `${what}: ${money(ev.amount)} ${ev.currency}${note}`;
  }
  return "—";
}

function auditRows(items) {
  return table(
    ["#", "Recorded", "Entry", "What", "Hash", "Previous hash"],
    items.map((e) =>
      h(
        "tr",
        {},
        h("td", { class: "num" }, e.sequence),
        h("td", {}, when(e.recordedAt)),
        h("td", {}, h("code", { title: e.entryId }, short(e.entryId, 12))),
        h("td", {}, describeEntry(e)),
        h("td", {}, h("code", { title: e.hash }, short(e.hash, 12))),
        h("td", {}, h("code", { title: e.prevHash }, short(e.prevHash, 12))),
      ),
    ),
    { caption: "Audit trail", empty: "No entries yet." },
  );
}

function verifyBlock() {
  const out = h("div", { "aria-live": "polite" });
  const btn = button(
    "Verify the hash chain",
    () =>
      busy(btn, async () => {
        try {
          const v = await get("/api/ledger/verify");
          replace(
            out,
            v.ok
              ? notice(
                  `Verified: ${v.entriesChecked} entries, hashes and figures all match.`,
                  "success",
                )
              : h(
                  "div",
                  {},
                  notice("Verification found problems:", "error"),
                  h(
                    "ul",
                    {},
                    (v.problems || []).map((p) => h("li", {}, p)),
                  ),
                ),
          );
        } catch (err) {
          replace(out, failure(err));
        }
      }),
    { class: "secondary" },
  );
  return h("div", { class: "verify" }, btn, out);
}

export function render(root) {
  const top = h("div", {}, notice("Loading…"));
  let botNames = new Map();
  const fills = paged(
    "Fills",
    (token) => get("/api/ledger/fills", { page_size: PAGE, page_token: token }),
    (items) => fillRows(botNames)(items),
  );
  const audit = paged(
    "Audit trail",
    (token) => get("/api/ledger/audit-trail", { page_size: PAGE, page_token: token }),
    auditRows,
  );
  const reload = () => {
    fills.reload();
    audit.reload();
  };
  replace(
    root,
    h("div", { class: "view-head" }, h("h1", { tabindex: "-1" }, "Ledger")),
    h("div", { class: "stack" }, top, fills.panel, audit.panel),
  );
  audit.panel.append(verifyBlock());
  const start = (bots) => {
    botNames = new Map(bots.map((b) => [b.id, b.name]));
    replace(top, eventForm(bots, reload));
    reload();
  };
  getAll("/api/bots").then(start, (err) => {
    start([]);
    top.prepend(
      notice(
        `Bots unavailable (${describe(err)}): events can still be recorded for the account.`,
        "warn",
      ),
    );
  });
}
