// Small DOM and formatting helpers shared by every view. Text from the API is always set as
// text (never as HTML).

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  append(el, children); // children first, so that a <select>'s value can pick an option
  setAttrs(el, attrs);
  return el;
}

export function setAttrs(el, attrs) {
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2), value);
    } else if (key === "class") {
      el.className = value;
    } else if (key === "dataset") {
      Object.assign(el.dataset, value);
    } else if (key === "value") {
      setDefault(el, String(value));
    } else if (key === "checked") {
      el.checked = el.defaultChecked = Boolean(value);
    } else {
      el.setAttribute(key, value === true ? "" : String(value));
    }
  }
}

// The value a control starts with and goes back to on form.reset().
function setDefault(el, value) {
  if (el instanceof HTMLSelectElement) {
    for (const o of el.options) o.defaultSelected = o.value === value;
    el.value = value;
  } else if ("defaultValue" in el) {
    el.defaultValue = value;
    el.value = value;
  } else {
    el.setAttribute("value", value);
  }
}

export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function replace(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

let idCounter = 0;
export function uid(prefix = "f") {
  idCounter += 1;
  return `${prefix}-${idCounter}`;
}

// A labelled form control: field("Amount", {name: "amount", required: true}).
export function field(label, attrs = {}, hint = "") {
  const { tag = "input", options = [], ...rest } = attrs;
  const id = rest.id || uid(rest.name || "f");
  const control = h(tag, { ...rest, id }, ...options.map(option));
  const hintEl = hint ? h("small", { id: `${id}-hint`, class: "hint" }, hint) : null;
  if (hintEl) control.setAttribute("aria-describedby", hintEl.id);
  return h("div", { class: "field" }, h("label", { for: id }, label), control, hintEl);
}

function option(o) {
  const [value, label] = Array.isArray(o) ? o : [o, o];
  return h("option", { value }, label);
}

export function button(label, onclick, attrs = {}) {
  return h("button", { type: "button", onclick, ...attrs }, label);
}

// Runs an async action while the button is disabled and marked busy.
export async function busy(btn, action) {
  if (btn) {
    btn.disabled = true;
    btn.setAttribute("aria-busy", "true");
  }
  try {
    return await action();
  } finally {
    if (btn) {
      btn.disabled = false;
      btn.removeAttribute("aria-busy");
    }
  }
}

export function formValues(form) {
  const out = {};
  for (const el of form.elements) {
    if (!el.name || el.disabled) continue;
    if (el.type === "checkbox") out[el.name] = el.checked;
    else out[el.name] = el.value.trim();
  }
  return out;
}

// ---- formatting: decimal strings are formatted exactly (Intl formats strings as decimals)

const money2 = new Intl.NumberFormat("en-US", {
  minimumFractionDigits: 2,
  maximumFractionDigits: 2,
});
const qty8 = new Intl.NumberFormat("en-US", { maximumFractionDigits: 8 });
const pct2 = new Intl.NumberFormat("en-US", {
  style: "percent",
  minimumFractionDigits: 2,
  maximumFractionDigits: 4,
});

const missing = (v) => v === undefined || v === null || v === "";

export const money = (v) => (missing(v) ? "—" : money2.format(v));
export const qty = (v) => (missing(v) ? "—" : qty8.format(v));
export const pct = (v) => (missing(v) ? "—" : pct2.format(v));

export function signClass(v) {
  if (missing(v)) return "";
  const s = String(v).trim();
  if (s.startsWith("-")) return "neg";
  return /[1-9]/.test(s) ? "pos" : "";
}

export function when(ts) {
  if (!ts) return "—";
  return `${ts.replace("T", " ").slice(0, 19)} UTC`;
}

// "BOT_STATE_CIRCUIT_TRIPPED" -> "Circuit tripped"
export function enumLabel(value, prefix) {
  if (!value) return "—";
  const rest = value.startsWith(prefix) ? value.slice(prefix.length) : value;
  const text = rest.toLowerCase().replaceAll("_", " ");
  return text.charAt(0).toUpperCase() + text.slice(1);
}

// "allocated_capital" / "allocatedCapital" / "params.amount" -> "Allocated capital" / "Amount"
export function fieldLabel(name) {
  const last = String(name).split(".").pop();
  const words = last
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replaceAll("_", " ")
    .toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

export const short = (id, n = 8) => (id && id.length > n ? `${id.slice(0, n)}…` : id || "—");

export function newKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) =>
    b.toString(16).padStart(2, "0"),
  ).join("");
}

// A message block: kind "error" is announced at once (role=alert), others politely.
export function notice(text, kind = "info") {
  const role = kind === "error" ? "alert" : "status";
  return h("p", { class: `notice ${kind}`, role }, text);
}

// Shows a form's error in its .form-error slot and marks the named inputs invalid.
export function reportError(form, message, fields = new Set()) {
  for (const el of form.elements) {
    if (!el.name) continue;
    if (fields.has(el.name)) el.setAttribute("aria-invalid", "true");
    else el.removeAttribute("aria-invalid");
  }
  let slot = form.querySelector(".form-error");
  if (!slot) {
    slot = h("div", { class: "form-error" });
    form.append(slot);
  }
  replace(slot, message ? notice(message, "error") : null);
  const first = [...form.elements].find((el) => fields.has(el.name));
  if (first) first.focus();
}

// A definition list from [label, value] pairs.
export function facts(pairs) {
  return h(
    "dl",
    { class: "facts" },
    pairs.map(([label, value]) => [h("dt", {}, label), h("dd", {}, value)]),
  );
}

// A table row; a cell is a value, or [value, className].
export function row(cells, attrs = {}) {
  return h(
    "tr",
    attrs,
    cells.map((c) => (Array.isArray(c) ? h("td", { class: c[1] }, c[0]) : h("td", {}, c))),
  );
}

export function section(title, ...children) {
  const id = uid("sec");
  return h("section", { class: "panel", "aria-labelledby": id }, h("h2", { id }, title), children);
}

export function table(headers, rows, { caption, empty = "Nothing yet." } = {}) {
  if (!rows.length) return h("p", { class: "empty" }, empty);
  return h(
    "div",
    {
      class: "table-wrap",
      tabindex: "0",
      role: "region",
      "aria-label": `${caption || headers.join(", ")} table`,
    },
    h(
      "table",
      {},
      caption ? h("caption", { class: "visually-hidden" }, caption) : null,
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          headers.map((t) => h("th", { scope: "col" }, t)),
        ),
      ),
      h("tbody", {}, rows),
    ),
  );
}
