// Bots: the list with state badges kept live by the bots' event stream (read with fetch, see
// api.js), the lifecycle actions (stop asks first), pause-all and resume-all; the forms and
// dialogs (create, promote to live) are in botforms.js.

import { EventFeed, describe, failure, getAll, getSession, post } from "./api.js";
import { confirmDialog, createForm, promoteDialog } from "./botforms.js";
import { busy, button, enumLabel, facts, h, money, notice, replace, section, when } from "./dom.js";

const ACTIONS = [
  { name: "start", label: "Start", from: ["STOPPED", "ERROR"] },
  { name: "pause", label: "Pause", from: ["RUNNING"] },
  { name: "resume", label: "Resume", from: ["PAUSED"] },
  { name: "stop", label: "Stop", from: ["RUNNING", "PAUSED", "ERROR"], confirm: true },
];
const stateName = (s) => (s || "").replace("BOT_STATE_", "");
const stateLabel = (s) => enumLabel(s, "BOT_STATE_");

// Where the stream got to, per user, so that coming back to the page does not replay it all.
let resume = { userId: "", lastEventId: "" };

function badge(state) {
  return h(
    "span",
    { class: "badge", dataset: { state: stateName(state).toLowerCase() } },
    stateLabel(state),
  );
}

export function render(root) {
  const bots = new Map();
  const cards = new Map();
  const list = h("div", { class: "bot-list", "aria-live": "polite" }, notice("Loading…"));
  const live = h("span", { class: "live", dataset: { status: "connecting" } }, "Connecting…");
  const message = h("div", {});
  const session = getSession();
  if (resume.userId !== session?.user?.id) resume = { userId: session?.user?.id, lastEventId: "" };

  function setBot(bot) {
    const old = bots.get(bot.id);
    bots.set(bot.id, { ...old, ...bot });
    if (cards.has(bot.id)) updateCard(bot.id);
    else renderList();
  }

  async function act(bot, action, btn, errorSlot) {
    if (action.confirm) {
      const ok = await confirmDialog(
        `Stop ${bot.name}?`,
        "It places no more orders until started again. Open positions stay open.",
        "Stop bot",
      );
      if (!ok) return;
    }
    await busy(btn, async () => {
      const path = `/api/bots/${encodeURIComponent(bot.id)}/${action.name}`;
      try {
        setBot(await post(path, { reason: "from the dashboard" }));
        replace(errorSlot);
      } catch (err) {
        replace(errorSlot, failure(err));
      }
    });
    updateCard(bot.id);
  }

  function makeCard(bot) {
    const errorSlot = h("div", {});
    const buttons = ACTIONS.map((a) => {
      const b = button(a.label, () => act(bots.get(bot.id), a, b, errorSlot), {
        class: a.name === "stop" ? "danger small" : "small",
        dataset: { action: a.name },
      });
      return b;
    });
    const promote = button("Promote to live…", () => promoteDialog(bots.get(bot.id), setBot), {
      class: "secondary small",
      dataset: { action: "promote" },
    });
    const el = h("article", { class: "bot", dataset: { botId: bot.id } });
    cards.set(bot.id, { el, buttons, promote, errorSlot });
    updateCard(bot.id);
    return el;
  }

  function updateCard(id) {
    const bot = bots.get(id);
    const card = cards.get(id);
    if (!bot || !card) return;
    const state = stateName(bot.state);
    card.buttons.forEach((b, i) => {
      if (!b.hasAttribute("aria-busy")) b.disabled = !ACTIONS[i].from.includes(state);
    });
    card.promote.hidden = bot.mode === "BOT_MODE_LIVE";
    const params = Object.entries(bot.params || {})
      .map(([k, v]) => `${k}=${v}`)
      .join(", ");
    replace(
      card.el,
      h(
        "header",
        {},
        h("h3", {}, bot.name),
        badge(bot.state),
        h("span", { class: "mode", dataset: { mode: bot.mode } }, enumLabel(bot.mode, "BOT_MODE_")),
      ),
      h(
        "p",
        { class: "muted" },
        `${bot.symbol} on ${bot.exchange} · ${bot.strategy}${params ? ` (${params})` : ""}`,
      ),
      facts([
        ["Capital", money(bot.allocatedCapital)],
        ["State reason", h("span", { class: "reason" }, bot.stateReason || "—")],
        ["Created", when(bot.createdAt)],
      ]),
      h("div", { class: "actions" }, card.buttons, card.promote),
      card.errorSlot,
    );
  }

  function renderList() {
    cards.clear();
    const sorted = [...bots.values()].sort((a, b) => (a.createdAt < b.createdAt ? 1 : -1));
    replace(list, sorted.length ? sorted.map(makeCard) : notice("No bots yet: create one above."));
  }

  // Events that arrive while the list loads are applied again on the fresh list.
  let pending = null;
  let refreshing = null;
  async function load() {
    pending = [];
    try {
      const items = await getAll("/api/bots");
      bots.clear();
      for (const b of items) bots.set(b.id, b);
      renderList();
      const missed = pending;
      pending = null;
      missed.forEach(apply);
    } catch (err) {
      pending = null;
      replace(list, failure(err));
    }
  }
  const refreshSoon = () => {
    if (refreshing) return;
    refreshing = setTimeout(async () => {
      await load();
      refreshing = null;
    }, 300);
  };

  function apply(ev) {
    const bot = bots.get(ev.botId);
    if (!bot) {
      if (!pending) refreshSoon(); // a bot made elsewhere
      return;
    }
    bots.set(bot.id, { ...bot, state: ev.toState, stateReason: ev.reason });
    updateCard(bot.id);
    cards.get(bot.id)?.el.querySelector(".badge")?.classList.add("changed");
  }

  const feed = new EventFeed("/api/bots/events", {
    lastEventId: resume.lastEventId,
    onEvent: (name, ev) => {
      if (name !== "bot_state") return;
      resume.lastEventId = feed.lastEventId;
      if (pending) pending.push(ev);
      apply(ev);
    },
    onStatus: (status, err) => {
      live.dataset.status = status;
      live.textContent =
        status === "live" ? "Live" : status === "stopped" ? "Stopped" : "Reconnecting…";
      live.title = err ? describe(err) : "";
    },
  });

  async function all(action) {
    try {
      const answer = await post(`/api/bots/${action}-all`, { reason: "from the dashboard" });
      const n = answer.changed || 0;
      const done = action === "pause" ? "paused" : "resumed";
      replace(message, notice(`${n} bot${n === 1 ? "" : "s"} ${done}.`, "success"));
    } catch (err) {
      replace(message, failure(err));
    }
  }

  const pauseAll = button("Pause all", () => busy(pauseAll, () => all("pause")), {
    class: "secondary",
  });
  const resumeAll = button("Resume all", () => busy(resumeAll, () => all("resume")), {
    class: "secondary",
  });
  replace(
    root,
    h(
      "div",
      { class: "view-head" },
      h("h1", { tabindex: "-1" }, "Bots"),
      live,
      h("div", { class: "actions" }, pauseAll, resumeAll),
    ),
    h(
      "div",
      { class: "stack" },
      message,
      createForm((bot) => setBot(bot)),
      section("Your bots", list),
    ),
  );
  load();
  feed.start();
  return () => {
    resume.lastEventId = feed.lastEventId;
    feed.stop();
  };
}
