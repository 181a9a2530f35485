// The portal's shared parts: its configuration, the API client, the reader's session, the two languages, the page
// frame (header, navigation, language switch, footer) and a safe way to build elements.
//
// Nothing here writes harvested text as HTML: every value goes in through textContent (el()), so a title with
// markup in it stays text. The session token lives in sessionStorage (gone when the tab closes); the language
// choice in localStorage, and only once the reader picks one. No cookie is ever set.

const TOKEN_KEY = "consortium.token";
const LANG_KEY = "consortium.lang";
export const LANGS = { en: "English", zh: "中文" };
const LOCALES = { en: "en-GB", zh: "zh-CN" };

export const state = { config: { api: "", auth: { mode: "token" } }, lang: "en", messages: {}, fallback: {} };

// ---- elements -------------------------------------------------------------------------------------------------

/** An element with attributes (on* handlers as functions, `class`, `dataset` as an object) and children. */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") node.addEventListener(name.slice(2), value);
    else if (name === "dataset") Object.assign(node.dataset, value);
    else if (name === "text") node.textContent = value;
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replace the children of `node`. */
export function fill(node, ...children) {
  node.replaceChildren();
  append(node, children);
  return node;
}

// ---- languages ------------------------------------------------------------------------------------------------

/** Whether the page's messages have `key` (in the reader's language or in English). */
export function has(key) {
  return key in state.messages || key in state.fallback;
}

/** The message `key` in the reader's language, with {name} placeholders filled from `vars`. */
export function t(key, vars = {}) {
  const text = state.messages[key] ?? state.fallback[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (name in vars ? String(vars[name]) : `{${name}}`));
}

export function locale() {
  return LOCALES[state.lang] || LOCALES.en;
}

export function formatNumber(value) {
  return new Intl.NumberFormat(locale()).format(value);
}

/** `iso` as a date (and time) in the reader's locale; text that is no date stays as it is (Intl would throw). */
export function formatDate(iso, withTime = false) {
  if (!iso) return "";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso);
  const options = withTime ? { dateStyle: "medium", timeStyle: "short" } : { dateStyle: "medium" };
  return new Intl.DateTimeFormat(locale(), options).format(date);
}

function chosenLanguage() {
  const asked = new URLSearchParams(location.search).get("lang");
  if (asked in LANGS) return asked;
  let kept = null;
  try {
    kept = localStorage.getItem(LANG_KEY);
  } catch {
    kept = null;
  }
  if (kept in LANGS) return kept;
  const browser = (navigator.languages || [navigator.language || "en"]).map((l) => l.toLowerCase());
  for (const tag of browser) {
    if (tag.startsWith("zh")) return "zh";
    if (tag.startsWith("en")) return "en";
  }
  return "en";
}

async function loadBundle(name) {
  const answer = await fetch(`assets/i18n/${name}.json`);
  return answer.ok ? answer.json() : {};
}

/** The messages of `lang`: the shared file, then each of the page's own bundles (`me` → i18n/me.zh.json). */
async function loadMessages(lang, bundles) {
  const parts = await Promise.all([loadBundle(lang), ...bundles.map((bundle) => loadBundle(`${bundle}.${lang}`))]);
  return Object.assign({}, ...parts);
}

/** Put every [data-i18n] text and [data-i18n-attr="attr:key,..."] attribute of the page in the reader's language. */
export function translatePage(root = document) {
  for (const node of root.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
  for (const node of root.querySelectorAll("[data-i18n-attr]")) {
    for (const pair of node.dataset.i18nAttr.split(",")) {
      const [attr, key] = pair.split(":");
      node.setAttribute(attr.trim(), t(key.trim()));
    }
  }
}

// ---- session --------------------------------------------------------------------------------------------------

function decodeClaims(token) {
  try {
    const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const bytes = Uint8Array.from(atob(part), (c) => c.charCodeAt(0));
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return null;
  }
}

let expired = false;

/** Whether this page found the reader's token expired (and dropped it): they were signed in, and must sign in again. */
export function sessionExpired() {
  return expired;
}

/** The signed-in reader or staff account ({token, reader, member, roles, staff, expires}) or null. A staff token
 * carries its member and its roles (`member-admin`, `subject-librarian`). The API checks the token; this only reads
 * it, to choose what the pages offer. */
export function session() {
  let token = null;
  try {
    token = sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
  if (!token) return null;
  const claims = decodeClaims(token);
  if (!claims || !claims.sub || (claims.exp && claims.exp * 1000 < Date.now())) {
    expired = Boolean(claims && claims.sub);
    sessionStorage.removeItem(TOKEN_KEY);
    return null;
  }
  const roles = Array.isArray(claims["cognito:groups"]) ? claims["cognito:groups"] : [];
  const staff = roles.some((role) => STAFF_ROLES.includes(role));
  return { token, reader: claims.sub, member: claims["custom:member"] || null, roles, staff, expires: claims.exp };
}

export function signIn(token) {
  sessionStorage.setItem(TOKEN_KEY, token);
}

export function signOut() {
  sessionStorage.removeItem(TOKEN_KEY);
}

// ---- API ------------------------------------------------------------------------------------------------------

/** An error answer of the API: its status, its English `message`, and what the API names for programs: `code`
 * (README, "Error codes"), the `field` at fault, the records in `details`, each bad field in `errors`. */
export class ApiError extends Error {
  constructor(status, message, body = {}) {
    super(message);
    this.status = status;
    this.code = typeof body.code === "string" ? body.code : null;
    this.field = typeof body.field === "string" ? body.field : null;
    this.details = body.details && typeof body.details === "object" ? body.details : {};
    this.errors = Array.isArray(body.errors) ? body.errors : [];
  }
}

/** Call the API: `path` with a query object, a JSON body; the reader's token when signed in. */
export async function api(path, { method = "GET", query = null, body = undefined, raw = false } = {}) {
  const url = new URL(state.config.api + path, location.href);
  for (const [name, value] of Object.entries(query || {})) {
    for (const one of [value].flat()) if (one !== null && one !== undefined && one !== "") url.searchParams.append(name, one);
  }
  const headers = { Accept: "application/json" };
  const current = session();
  if (current) headers.Authorization = `Bearer ${current.token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const answer = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  if (answer.status === 401 && current) signOut();
  if (!answer.ok) {
    let found = {};
    try {
      found = (await answer.json()) || {};
    } catch {
      // not JSON: keep the status text
    }
    throw new ApiError(answer.status, found.Message || answer.statusText, found);
  }
  if (raw) return answer;
  return answer.status === 204 ? null : answer.json();
}

/** The member libraries, by id ({id: {id, name, name_zh}}), fetched once per page. */
let membersPromise = null;
export function members() {
  membersPromise ??= api("/members").then((data) => Object.fromEntries(data.members.map((m) => [m.id, m])));
  return membersPromise;
}

export function memberName(all, id) {
  const member = all[id];
  if (!member) return id;
  return state.lang === "zh" && member.name_zh ? member.name_zh : member.name;
}

// ---- the page frame -------------------------------------------------------------------------------------------

/** The roles of a staff account (a reader's token has none). */
export const STAFF_ROLES = ["member-admin", "subject-librarian", "consortium-office"];

const NAV = [
  ["index.html", "nav.search"],
  ["new.html", "nav.new"],
];

function header(current) {
  const who = session();
  // a reader has "My library"; a library's staff its staff pages instead (a staff account is no reader)
  // (and every staff account reads the consortium's reader analytics)
  const own = who && who.staff ? [["staff.html", "nav.staff"], ["analytics.html", "nav.analytics"]] : [["me.html", "nav.me"]];
  const links = [...NAV, ...own];
  const nav = el(
    "nav",
    { "aria-label": t("nav.label") },
    el(
      "ul",
      {},
      links.map(([href, key]) =>
        el("li", {}, el("a", { href, "aria-current": href === current ? "page" : null, text: t(key) })),
      ),
    ),
  );
  const account = who
    ? el(
        "div",
        { class: "account" },
        el("span", { class: "who", text: t("account.signed_in", { reader: who.reader }) }),
        el("button", { type: "button", class: "link", onclick: () => { signOut(); location.href = "index.html"; }, text: t("account.sign_out") }),
      )
    : el("div", { class: "account" }, el("a", { href: `login.html?next=${encodeURIComponent(location.pathname + location.search)}`, text: t("account.sign_in") }));
  const switcher = el(
    "div",
    { class: "languages", role: "group", "aria-label": t("lang.label") },
    Object.entries(LANGS).map(([code, name]) =>
      el("button", {
        type: "button",
        lang: code,
        class: "link",
        "aria-pressed": code === state.lang ? "true" : "false",
        onclick: () => chooseLanguage(code),
        text: name,
      }),
    ),
  );
  return [el("a", { href: "index.html", class: "brand", text: t("site.name") }), nav, account, switcher];
}

function chooseLanguage(code) {
  try {
    localStorage.setItem(LANG_KEY, code);
  } catch {
    // storage refused: the choice lasts for this page only
  }
  const url = new URL(location.href);
  url.searchParams.delete("lang");
  location.href = url.toString();
}

/** Load the configuration and the language, draw the frame; `page` is this page's file, `titleKey` its title,
 * `bundles` the page's own message files beside the shared ones. */
export async function boot(page, titleKey, bundles = []) {
  try {
    const answer = await fetch("config.json");
    if (answer.ok) state.config = await answer.json();
  } catch {
    // no config.json: the API is at this address
  }
  state.lang = chosenLanguage();
  const [messages, fallback] = await Promise.all([
    loadMessages(state.lang, bundles),
    state.lang === "en" ? null : loadMessages("en", bundles),
  ]);
  state.messages = messages;
  state.fallback = fallback || messages;
  document.documentElement.lang = state.lang === "zh" ? "zh-Hans" : "en";
  document.title = `${t(titleKey)} · ${t("site.name")}`;
  fill(document.getElementById("site-header"), header(page));
  fill(document.getElementById("site-footer"), el("p", { text: t("site.footer") }));
  translatePage();
}

/** Show `message` in the page's status region (announced by screen readers). */
export function announce(message) {
  const region = document.getElementById("status");
  if (region) region.textContent = message;
}

/** A field the API names, as the reader knows it: its label (`error.field.<name>`), else its name. */
export function fieldLabel(name) {
  return has(`error.field.${name}`) ? t(`error.field.${name}`) : name;
}

/** What went wrong with a field, in the reader's language when the page knows pydantic's reason for it
 * (`error.reason.<reason>`), else the API's English words (without the "field 'x': " they start with). */
function fieldDetail(error) {
  const problem = error.errors.find((one) => one.field === error.field) || error.errors[0];
  const english = (problem ? problem.message : error.message).replace(/^field '[^']*': /, "");
  const key = `error.reason.${problem ? problem.reason : "other"}`;
  if (state.lang === "en" || !has(key)) return english;
  return t(key, { detail: english });
}

/** A short description of an API error for the reader, in their language: by the answer's `code` (and its field
 * and records), the page's own words for each; an answer without a code the page knows (an older or newer hub)
 * by its status, with the API's English message where the status alone says too little. */
export function describeError(error) {
  if (!(error instanceof ApiError)) return t("error.network");
  if (error.code && has(`error.code.${error.code}`)) {
    const purpose = error.details.purpose;
    return t(`error.code.${error.code}`, {
      ...error.details,
      status: error.status,
      reason: error.message,
      field: fieldLabel(error.field || (error.errors[0] && error.errors[0].field) || ""),
      detail: fieldDetail(error),
      purpose: purpose && has(`purpose.${purpose}`) ? t(`purpose.${purpose}`) : purpose || "",
    });
  }
  if (error.status === 401) return t("error.sign_in");
  if (error.status === 403) return t("error.forbidden");
  if (error.status === 404) return t("error.not_found");
  if (error.status >= 500) return t("error.server", { status: error.status });
  return t("error.unknown", { status: error.status, reason: error.message });
}
