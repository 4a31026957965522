// The dashboard's shell: hash routes, the header and navigation, the session.

import { clearSession, describe, getSession } from "./api.js";
import { renderLogin, renderSecurity, renderSignup } from "./auth.js";
import * as bots from "./bots.js";
import { h, notice, replace } from "./dom.js";
import * as ledger from "./ledger.js";
import * as orders from "./orders.js";
import * as portfolio from "./portfolio.js";

const VIEWS = {
  portfolio: ["Portfolio", portfolio.render],
  bots: ["Bots", bots.render],
  orders: ["Orders", orders.render],
  ledger: ["Ledger", ledger.render],
  security: ["Security", renderSecurity],
};

const main = document.getElementById("view");
const nav = document.getElementById("nav");
const account = document.getElementById("account");
const banner = document.getElementById("banner");
let cleanup = null;
let loginMessage = "";

function header(session, current) {
  nav.hidden = !session;
  account.hidden = !session;
  if (!session) return;
  replace(
    nav,
    h(
      "ul",
      {},
      Object.entries(VIEWS).map(([name, [label]]) =>
        h(
          "li",
          {},
          h("a", { href: `#/${name}`, "aria-current": name === current ? "page" : false }, label),
        ),
      ),
    ),
  );
  replace(
    account,
    h("span", { class: "email" }, session.user?.email || ""),
    h("button", { type: "button", class: "secondary small", onclick: logOut }, "Log out"),
  );
}

function logOut() {
  clearSession();
  loginMessage = "";
  location.hash = "#/login";
}

function go(name) {
  location.hash = `#/${name}`;
}

function route() {
  if (cleanup) cleanup();
  cleanup = null;
  replace(banner);
  const name = location.hash.replace(/^#\/?/, "").split("?")[0] || "portfolio";
  const session = getSession();
  header(session, name);
  if (!session) {
    document.title = "Amarktai";
    const target = VIEWS[name] ? name : "portfolio"; // back where the visitor was going
    const onSignedIn = () => (location.hash === `#/${target}` ? route() : go(target));
    if (name === "signup") renderSignup(main, { onSignedIn });
    else renderLogin(main, { onSignedIn, message: loginMessage });
    loginMessage = "";
  } else if (!VIEWS[name]) {
    go("portfolio");
    return;
  } else {
    const [label, render] = VIEWS[name];
    document.title = `${label} · Amarktai`;
    cleanup = render(main) || null;
  }
  main.querySelector("h1")?.focus({ preventScroll: true });
}

window.addEventListener("hashchange", route);
window.addEventListener("session-expired", () => {
  loginMessage = "Your session has ended: please log in again.";
  if (location.hash === "#/login") route();
  else location.hash = "#/login";
});
window.addEventListener("unhandledrejection", (e) => {
  replace(banner, notice(`Something went wrong: ${describe(e.reason)}`, "error"));
});
route();
