// The gateway's HTTP API (DESIGN section 6): the session token, JSON calls, readable errors and
// the bot events stream (server-sent events read with fetch, so that the token goes in the
// Authorization header: EventSource cannot send one).

import { fieldLabel, notice, reportError } from "./dom.js";

const SESSION_KEY = "amarktai.session";

export function getSession() {
  const raw = sessionStorage.getItem(SESSION_KEY);
  if (!raw) return null;
  const session = JSON.parse(raw);
  if (session.expiresAt && Date.parse(session.expiresAt) <= Date.now()) {
    sessionStorage.removeItem(SESSION_KEY);
    return null;
  }
  return session;
}

export function saveSession({ accessToken, expiresAt, user }) {
  sessionStorage.setItem(SESSION_KEY, JSON.stringify({ accessToken, expiresAt, user }));
}

export function updateUser(changes) {
  const session = getSession();
  if (session) saveSession({ ...session, user: { ...session.user, ...changes } });
}

export function clearSession() {
  sessionStorage.removeItem(SESSION_KEY);
}

// An answer other than 2xx, or no answer at all (status 0).
export class ApiError extends Error {
  constructor(status, body) {
    const details = Array.isArray(body?.details) ? body.details : [];
    super(body?.message || `HTTP ${status}`);
    this.status = status;
    this.code = body?.code;
    this.details = details;
    const info = details.find((d) => String(d["@type"]).endsWith("google.rpc.ErrorInfo")) || {};
    this.reason = info.reason || "";
    this.metadata = info.metadata || {};
    const bad = details.find((d) => String(d["@type"]).endsWith("google.rpc.BadRequest"));
    this.violations = bad?.fieldViolations || [];
  }

  // The request fields the server named, as a form's input names may spell them: as named,
  // in camelCase, and the last part of a path ("fill.amount" -> "amount").
  get fields() {
    const out = new Set();
    const camel = (name) => name.replace(/_([a-z])/g, (_, c) => c.toUpperCase());
    for (const { field } of this.violations) {
      const last = field.split(".").pop();
      for (const name of [field, last]) out.add(name).add(camel(name));
    }
    return out;
  }
}

// A message a person can read, naming the fields when the server named them.
export function describe(error) {
  if (!(error instanceof ApiError)) return String(error?.message || error);
  if (error.status === 0) return "Cannot reach the server. Check the connection and try again.";
  if (error.violations.length) {
    return error.violations.map((v) => `${fieldLabel(v.field)}: ${v.description}`).join("; ");
  }
  if (error.status === 503) {
    const service = error.metadata.service;
    if (service) return `The ${service} service is unavailable right now. Try again shortly.`;
    return `Unavailable: ${error.message}. Try again shortly.`;
  }
  if (error.status === 504) return `No answer in time: ${error.message}.`;
  if (error.reason === "TOTP_LOCKED") {
    return "Too many wrong codes: two-factor checks are locked for a while. Try again later.";
  }
  const text = error.message.charAt(0).toUpperCase() + error.message.slice(1);
  return text.endsWith(".") ? text : `${text}.`;
}

// The error as a message block, or in a form's error slot with the named inputs marked.
export const failure = (error) => notice(describe(error), "error");
export function showError(form, error) {
  reportError(form, describe(error), error instanceof ApiError ? error.fields : new Set());
}
export const clearError = (form) => reportError(form, "");

function authHeaders(extra = {}) {
  const session = getSession();
  const headers = { Accept: "application/json", ...extra };
  if (session) headers.Authorization = `Bearer ${session.accessToken}`;
  return headers;
}

function expired() {
  clearSession();
  window.dispatchEvent(new CustomEvent("session-expired"));
}

function withQuery(path, query) {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === "") continue;
    for (const v of Array.isArray(value) ? value : [value]) params.append(key, v);
  }
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

// JSON call; throws ApiError. A 401 on an authenticated call ends the session.
export async function api(method, path, { body, query, headers, signal } = {}) {
  const init = { method, headers: authHeaders(headers), signal };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers["Content-Type"] = "application/json";
  }
  let response;
  try {
    response = await fetch(withQuery(path, query), init);
  } catch (err) {
    if (err.name === "AbortError") throw err;
    throw new ApiError(0, { message: String(err.message || err) });
  }
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : {};
  } catch {
    data = { message: `unexpected answer (HTTP ${response.status})` };
  }
  if (!response.ok) {
    const error = new ApiError(response.status, data);
    if (response.status === 401 && init.headers.Authorization) expired();
    throw error;
  }
  return data;
}

export const get = (path, query, opts = {}) => api("GET", path, { ...opts, query });
export const post = (path, body = {}, opts = {}) => api("POST", path, { ...opts, body });

// Every page of a list (items + nextPageToken), up to maxPages pages.
export async function getAll(path, query = {}, maxPages = 10) {
  const items = [];
  let token = "";
  for (let i = 0; i < maxPages; i += 1) {
    const page = await get(path, { ...query, page_size: 1000, page_token: token });
    items.push(...(page.items || []));
    token = page.nextPageToken || "";
    if (!token) break;
  }
  return items;
}

// ---- server-sent events over fetch

function parseBlock(block) {
  const event = { id: null, event: "message", data: [] };
  for (const line of block.split("\n")) {
    if (!line || line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    const name = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (name === "data") event.data.push(value);
    else if (name === "id") event.id = value;
    else if (name === "event") event.event = value;
  }
  return event.data.length ? { ...event, data: event.data.join("\n") } : null;
}

// Follows an SSE route, resuming from the last id after a drop. onEvent(name, data) gets each
// event's parsed JSON; onStatus("live" | "reconnecting" | "stopped", error?) the connection's.
export class EventFeed {
  constructor(path, { onEvent, onStatus, lastEventId = "" }) {
    this.path = path;
    this.onEvent = onEvent;
    this.onStatus = onStatus || (() => {});
    this.lastEventId = lastEventId;
    this.controller = null;
    this.stopped = false;
  }

  start() {
    this.loop();
    return this;
  }

  stop() {
    this.stopped = true;
    this.controller?.abort();
  }

  async loop() {
    let delay = 1000;
    while (!this.stopped) {
      try {
        await this.once();
        delay = 1000;
        if (!this.stopped) this.onStatus("reconnecting");
      } catch (err) {
        if (this.stopped || err.name === "AbortError") return;
        if (err instanceof ApiError && err.status === 401) {
          this.onStatus("stopped", err);
          expired();
          return;
        }
        this.onStatus("reconnecting", err);
        delay = Math.min(delay * 2, 15000);
      }
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }

  async once() {
    this.controller = new AbortController();
    const extra = { Accept: "text/event-stream" };
    if (this.lastEventId) extra["Last-Event-ID"] = this.lastEventId;
    let response;
    try {
      response = await fetch(this.path, {
        headers: authHeaders(extra),
        signal: this.controller.signal,
        cache: "no-store",
      });
    } catch (err) {
      if (err.name === "AbortError") throw err;
      throw new ApiError(0, { message: String(err.message || err) });
    }
    if (!response.ok) {
      const body = await response.json().catch(() => ({}));
      throw new ApiError(response.status, body);
    }
    this.onStatus("live");
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value.replaceAll("\r\n", "\n");
      let cut = buffer.indexOf("\n\n");
      while (cut >= 0) {
        const event = parseBlock(buffer.slice(0, cut));
        buffer = buffer.slice(cut + 2);
        if (event) this.dispatch(event);
        cut = buffer.indexOf("\n\n");
      }
    }
  }

  dispatch(event) {
    if (event.id) this.lastEventId = event.id;
    const data = JSON.parse(event.data);
    if (event.event === "error") throw new ApiError(503, data);
    this.onEvent(event.event, data);
  }
}
