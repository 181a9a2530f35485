// The push services and the reader's subscriptions: a form per service (channel, the address for email,
// frequency, the most items a digest holds, the saved search), subscribe or change, unsubscribe. An Atom
// subscription's private feed address is shown once, when it is made.

import { api, describeError, el, fill, formatDate, formatNumber, state, t } from "./core.js";
import { act, me, reload, section } from "./me-common.js";

const CHANNELS = ["inbox", "atom", "email"];
const FREQUENCIES = ["daily", "weekly", "monthly"];
const MAX_ITEMS = 50;
const FIRST_WINDOW_DAYS = 30;

let catalogue = null;
/** The push services by id, fetched once. */
export function services() {
  catalogue ??= api("/push/services").then((answer) => Object.fromEntries(answer.services.map((s) => [s.service, s])));
  return catalogue;
}

export function serviceName(info, id) {
  if (!info) return id;
  return state.lang === "zh" ? info.name_zh : info.name_en;
}

function select(id, labelKey, values, chosen, prefix) {
  return el(
    "div",
    { class: "field" },
    el("label", { for: id, text: t(labelKey) }),
    el("select", { id, name: id }, values.map((v) => el("option", { value: v, selected: v === chosen, text: t(`${prefix}.${v}`) }))),
  );
}

function serviceForm(info, current, stored) {
  const id = info.service;
  const active = current && current.active ? current : null;
  const message = el("p", { class: "error", role: "alert" });
  const channel = select(`channel-${id}`, "me.subs.channel", CHANNELS, active?.channel || "inbox", "me.channel");
  const frequency = select(`frequency-${id}`, "me.subs.frequency", FREQUENCIES, active?.frequency || info.default_frequency, "me.frequency");
  const emailInput = el("input", { id: `email-${id}`, type: "email", autocomplete: "email", value: active?.email || stored || "" });
  const email = el("div", { class: "field", hidden: channel.querySelector("select").value !== "email" }, el("label", { for: emailInput.id, text: t("me.subs.email") }), emailInput);
  channel.querySelector("select").addEventListener("change", (event) => {
    email.hidden = event.target.value !== "email";
    emailInput.required = !email.hidden;
  });
  emailInput.required = !email.hidden;
  const capInput = el("input", { id: `cap-${id}`, type: "number", min: "1", max: String(MAX_ITEMS), step: "1", required: true, value: String(active?.max_items ?? 10) });
  const cap = el("div", { class: "field" }, el("label", { for: capInput.id, text: t("me.subs.cap") }), capInput);
  const queryInput = el("input", { id: `query-${id}`, type: "text", required: true, value: active?.query || "", "aria-describedby": `query-help-${id}` });
  const query =
    id === "saved_search"
      ? el("div", { class: "field wide" }, el("label", { for: queryInput.id, text: t("me.subs.query") }), queryInput, el("p", { id: `query-help-${id}`, class: "help", text: t("me.subs.query_help") }))
      : null;
  const recent = active ? null : el("label", { class: "check" }, el("input", { type: "checkbox", id: `recent-${id}`, checked: true }), " ", t("me.subs.recent", { days: formatNumber(FIRST_WINDOW_DAYS) }));
  const form = el(
    "form",
    {
      class: "subscription-form",
      onsubmit: async (event) => {
        event.preventDefault();
        fill(message);
        if (!form.reportValidity()) return;
        const body = { channel: channel.querySelector("select").value, frequency: frequency.querySelector("select").value, max_items: Number(capInput.value) };
        if (body.channel === "email") body.email = emailInput.value.trim();
        if (query) body.query = queryInput.value.trim();
        if (recent?.querySelector("input").checked) body.first_window_days = FIRST_WINDOW_DAYS;
        let answer;
        try {
          answer = await api(`${me.path}/subscriptions/${id}`, { method: "PUT", body });
        } catch (error) {
          const reason = error.code === "consent_required" ? t("me.subs.need_consent") : describeError(error);
          return fill(message, reason);
        }
        await act(() => reload("subscriptions"), t(active ? "me.subs.changed" : "me.subs.subscribed", { service: serviceName(info, id) }));
        if (answer.feed_url) document.getElementById(`service-${id}`)?.append(feedBox(id, answer.feed_url));
        return null;
      },
    },
    el("div", { class: "fields" }, channel, email, frequency, cap, query),
    recent,
    el(
      "div",
      { class: "actions" },
      el("button", { type: "submit", id: `subscribe-${id}`, text: t(active ? "me.subs.save" : "me.subs.subscribe") }),
      active
        ? el("button", {
            type: "button",
            id: `unsubscribe-${id}`,
            class: "secondary",
            onclick: async () => {
              if (await act(() => api(`${me.path}/subscriptions/${id}`, { method: "DELETE" }), t("me.subs.unsubscribed", { service: serviceName(info, id) }))) reload("subscriptions");
            },
            text: t("me.subs.unsubscribe"),
          })
        : null,
    ),
    message,
  );
  return form;
}

function feedBox(id, url) {
  const input = el("input", { id: `feed-${id}`, type: "text", readonly: true, value: url, class: "feed-url" });
  return el("div", { class: "notice" }, el("label", { for: input.id, text: t("me.subs.feed") }), input, el("p", { class: "help", text: t("me.subs.feed_help") }));
}

function serviceBlock(info, current, stored) {
  const active = current && current.active;
  const status = active
    ? t("me.subs.active", {
        channel: t(`me.channel.${current.channel}`),
        frequency: t(`me.frequency.${current.frequency}`),
        cap: formatNumber(current.max_items),
        since: formatDate(current.created_at),
      })
    : t("me.subs.none");
  return el(
    "div",
    { class: "service", id: `service-${info.service}`, role: "group", "aria-labelledby": `service-heading-${info.service}` },
    el("h3", { id: `service-heading-${info.service}`, text: serviceName(info, info.service) }),
    el("p", { text: state.lang === "zh" ? info.description_zh : info.description_en }),
    info.notice ? null : info.available ? el("p", { class: active ? "state on" : "state", text: status }) : el("p", { class: "state", text: t("me.subs.coming") }),
    info.available && !info.notice ? serviceForm(info, current, stored) : null,
  );
}

/** The address in the reader's own profile (what their library gave the hub), to prefill an email subscription
 * with; null when the profile has none (or there is no profile: the reader then types one). */
async function storedAddress() {
  try {
    const { profile } = await api(`${me.path}/profile`);
    return typeof profile.email === "string" ? profile.email : null;
  } catch {
    return null;
  }
}

async function drawSubscriptions(body) {
  const [catalog, mine, consents, stored] = await Promise.all([services(), api(`${me.path}/subscriptions`), api(`${me.path}/consents`), storedAddress()]);
  const byService = Object.fromEntries(mine.subscriptions.map((s) => [s.service, s]));
  const note = consents.current.push
    ? null
    : el("p", { class: "notice" }, t("me.subs.need_consent"), " ", el("a", { href: "#consents", text: t("me.subs.to_consents") }));
  fill(body, el("p", { class: "help", text: t("me.subs.intro") }), note, el("div", { class: "services" }, Object.values(catalog).map((info) => serviceBlock(info, byService[info.service], stored))));
}

export function subscriptionsSection() {
  return section("subscriptions", "me.subs.title", drawSubscriptions);
}
