// Sign up, log in (asking for a TOTP or recovery code when 2FA is on), and the Security page:
// 2FA enrollment with its QR code, the recovery codes shown once, disabling 2FA, and the
// exchange API keys (stored encrypted, never shown again).

import {
  ApiError,
  api,
  clearError,
  failure,
  get,
  post,
  saveSession,
  showError,
  updateUser,
} from "./api.js";
import {
  busy,
  button,
  field,
  formValues,
  h,
  notice,
  replace,
  section,
  table,
  when,
} from "./dom.js";

const CODE_ATTRS = {
  inputmode: "numeric",
  autocomplete: "one-time-code",
  pattern: "[0-9]{6}",
  maxlength: "6",
  placeholder: "123456",
};

export function totpField(name = "totpCode", label = "Authenticator code") {
  return field(
    label,
    { name, ...CODE_ATTRS },
    "The 6-digit code your authenticator app shows now.",
  );
}

function card(title, intro, form, links) {
  return h(
    "div",
    { class: "auth-card" },
    h("h1", { tabindex: "-1" }, title),
    intro ? h("p", { class: "muted" }, intro) : null,
    form,
    h("p", { class: "auth-links" }, links),
  );
}

export function renderSignup(root, { onSignedIn }) {
  const form = h(
    "form",
    { novalidate: true },
    field("Email", { name: "email", type: "email", autocomplete: "email", required: true }),
    field(
      "Password",
      {
        name: "password",
        type: "password",
        autocomplete: "new-password",
        minlength: "12",
        required: true,
      },
      "At least 12 characters.",
    ),
    h("button", { type: "submit" }, "Create account"),
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    await busy(form.querySelector("button[type=submit]"), async () => {
      try {
        saveSession(await post("/api/auth/register", formValues(form)));
        onSignedIn();
      } catch (err) {
        showError(form, err);
      }
    });
  });
  replace(
    root,
    card("Create your account", "Run and watch your trading bots.", form, [
      "Already have an account? ",
      h("a", { href: "#/login" }, "Log in"),
    ]),
  );
}

export function renderLogin(root, { onSignedIn, message }) {
  const codeBox = h(
    "fieldset",
    { class: "code-box", hidden: true },
    h("legend", {}, "Two-factor authentication"),
  );
  let useRecovery = false;
  const showCode = () => {
    const control = useRecovery
      ? field(
          "Recovery code",
          { name: "recoveryCode", autocomplete: "off", required: true },
          "One of the codes you saved when you turned on 2FA; each works once.",
        )
      : totpField();
    const toggle = button(
      useRecovery ? "Use the authenticator code instead" : "Use a recovery code instead",
      () => {
        useRecovery = !useRecovery;
        showCode();
      },
      { class: "link" },
    );
    replace(codeBox, h("legend", {}, "Two-factor authentication"), control, toggle);
    codeBox.hidden = false;
    control.querySelector("input").focus();
  };
  const form = h(
    "form",
    { novalidate: true },
    message ? notice(message, "warn") : null,
    field("Email", { name: "email", type: "email", autocomplete: "username", required: true }),
    field("Password", {
      name: "password",
      type: "password",
      autocomplete: "current-password",
      required: true,
    }),
    codeBox,
    h("button", { type: "submit" }, "Log in"),
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    await busy(form.querySelector("button[type=submit]"), async () => {
      try {
        saveSession(await post("/api/auth/login", formValues(form)));
        onSignedIn();
      } catch (err) {
        if (err instanceof ApiError && err.reason === "TOTP_REQUIRED") {
          showCode();
          showError(
            form,
            new Error("Two-factor authentication is on: enter the code from your app."),
          );
        } else if (err instanceof ApiError && err.reason === "INVALID_CREDENTIALS") {
          showError(form, new Error("Wrong email or password."));
        } else {
          showError(form, err);
        }
      }
    });
  });
  replace(
    root,
    card("Log in", "", form, ["New here? ", h("a", { href: "#/signup" }, "Create an account")]),
  );
}

// ---- Security page

function recoveryCodesBlock(codes, onDone) {
  return h(
    "div",
    { class: "recovery", role: "region", "aria-label": "Recovery codes" },
    notice(
      "2FA is on. Save these recovery codes now: they are shown only once. " +
        "Each logs you in once if you lose your authenticator.",
      "success",
    ),
    h(
      "ol",
      { class: "codes" },
      codes.map((c) => h("li", {}, h("code", {}, c))),
    ),
    button("I have saved my recovery codes", onDone),
  );
}

function enrollBlock(enrollment, onEnabled) {
  const src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(enrollment.qrSvg)}`;
  const form = h(
    "form",
    { class: "inline-form" },
    totpField(),
    h("button", { type: "submit" }, "Turn on 2FA"),
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    await busy(form.querySelector("button"), async () => {
      try {
        const answer = await post("/api/auth/2fa/confirm", formValues(form));
        updateUser({ totpEnabled: true });
        onEnabled(answer.recoveryCodes || []);
      } catch (err) {
        showError(form, err);
      }
    });
  });
  return h(
    "div",
    { class: "enroll" },
    h("p", {}, "Scan this QR code with your authenticator app, then enter the code it shows."),
    h("img", { src, alt: "QR code of your 2FA secret", class: "qr", width: "220", height: "220" }),
    h(
      "p",
      {},
      "Or type this secret: ",
      h("code", { class: "secret", dataset: { secret: enrollment.secret } }, enrollment.secret),
    ),
    form,
  );
}

function twoFactorPanel() {
  const body = h("div", {}, notice("Loading…"));
  async function load() {
    try {
      const status = await get("/api/auth/2fa/status");
      updateUser({ totpEnabled: status.enabled });
      if (status.enabled) showEnabled(status);
      else showDisabled();
    } catch (err) {
      replace(body, failure(err));
    }
  }
  function showDisabled() {
    const start = button("Set up two-factor authentication", async () => {
      await busy(start, async () => {
        try {
          const enrollment = await post("/api/auth/2fa/enroll");
          replace(
            body,
            enrollBlock(enrollment, (codes) => replace(body, recoveryCodesBlock(codes, load))),
          );
        } catch (err) {
          replace(body, failure(err), start);
        }
      });
    });
    replace(
      body,
      h(
        "p",
        {},
        h("span", { class: "badge", dataset: { state: "off" } }, "Off"),
        " Critical actions (promotion to live, breaker reset, API keys) are safer with 2FA.",
      ),
      start,
    );
  }
  function showEnabled(status) {
    const form = h(
      "form",
      { class: "inline-form" },
      totpField(),
      h("button", { type: "submit", class: "danger" }, "Turn off 2FA"),
    );
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      await busy(form.querySelector("button"), async () => {
        try {
          await post("/api/auth/2fa/disable", formValues(form));
          updateUser({ totpEnabled: false });
          load();
        } catch (err) {
          showError(form, err);
        }
      });
    });
    const locked = status.lockedUntil
      ? notice(`Checks locked until ${when(status.lockedUntil)}.`, "warn")
      : null;
    replace(
      body,
      h(
        "p",
        {},
        h("span", { class: "badge", dataset: { state: "on" } }, "On"),
        ` ${status.recoveryCodesRemaining} recovery codes left.`,
      ),
      locked,
      form,
    );
  }
  load();
  return section("Two-factor authentication", body);
}

function keysPanel() {
  const list = h("div", {}, notice("Loading…"));
  async function load() {
    try {
      const keys = (await get("/api/keys")).items || [];
      const rows = keys.map((k) =>
        h(
          "tr",
          {},
          h("td", {}, k.exchange),
          h("td", {}, `…${k.apiKeyMasked}`),
          h("td", {}, when(k.updatedAt || k.createdAt)),
          h(
            "td",
            {},
            button(
              "Delete",
              async (e) => {
                await busy(e.currentTarget, async () => {
                  try {
                    await api("DELETE", `/api/keys/${encodeURIComponent(k.exchange)}`);
                    load();
                  } catch (err) {
                    list.prepend(failure(err));
                  }
                });
              },
              { class: "secondary small", "aria-label": `Delete the ${k.exchange} keys` },
            ),
          ),
        ),
      );
      replace(
        list,
        table(["Exchange", "API key", "Stored", ""], rows, { empty: "No exchange keys stored." }),
      );
    } catch (err) {
      replace(list, failure(err));
    }
  }
  const form = h(
    "form",
    { class: "grid-form" },
    field("Exchange", { name: "exchange", value: "binance", required: true }),
    field("API key", { name: "apiKey", autocomplete: "off", required: true }),
    field("API secret", {
      name: "apiSecret",
      type: "password",
      autocomplete: "off",
      required: true,
    }),
    field(
      "Passphrase",
      { name: "passphrase", type: "password", autocomplete: "off" },
      "Only some exchanges use one.",
    ),
    totpField("totpCode", "Authenticator code (when 2FA is on)"),
    h("button", { type: "submit" }, "Store keys"),
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    await busy(form.querySelector("button[type=submit]"), async () => {
      try {
        const answer = await post("/api/keys", formValues(form));
        form.reset();
        clearError(form);
        list.before(notice(answer.replaced ? "Keys replaced." : "Keys stored.", "success"));
        load();
      } catch (err) {
        showError(form, err);
      }
    });
  });
  load();
  return section(
    "Exchange API keys",
    h(
      "p",
      { class: "muted" },
      "Needed to trade live. Stored encrypted; the secret is never shown again. " +
        "Needs your 2FA code when 2FA is on.",
    ),
    list,
    form,
  );
}

export function renderSecurity(root) {
  replace(
    root,
    h("div", { class: "view-head" }, h("h1", { tabindex: "-1" }, "Security")),
    h("div", { class: "stack" }, twoFactorPanel(), keysPanel()),
  );
}
