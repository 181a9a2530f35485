// What push sent the reader: the portal inbox (each digest with its works and each work's one-line reason; mark
// read, delete a digest; per work: delete, not interested, mute its class, author or series), the mutes with an
// undo, and the push history.

import { api, el, fill, formatDate, formatNumber, state, t } from "./core.js";
import { act, keyParts, me, reload, section, stableId } from "./me-common.js";
import { serviceName, services } from "./me-subscriptions.js";

const MUTE_CLASSES = 3;
const MUTE_AUTHORS = 2;
const HISTORY_PAGE = 20;

/** The reason a work was chosen, in Chinese when the hub wrote one, else as written (marked English). */
function reason(item) {
  if (state.lang === "zh" && item.reason_zh) return el("span", { text: item.reason_zh });
  return el("span", { lang: state.lang === "en" ? null : "en", text: item.reason });
}

function itemAction(item, action, doneKey) {
  return async () => {
    const path = `${me.path}/push/items/${encodeURIComponent(item.cluster_id)}`;
    if (await act(() => api(path, { method: "POST", body: { action } }), t(doneKey, { title: item.title }))) {
      reload("inbox", "history", ...(action === "not_interested" ? ["interests"] : []));
    }
  };
}

function muteButton(kind, key, text) {
  return el(
    "li",
    {},
    el("button", {
      type: "button",
      class: "link",
      onclick: async () => {
        if (await act(() => api(`${me.path}/push/mutes`, { method: "PUT", body: { kind, key } }), t("me.mute.done", { what: text }))) reload("inbox");
      },
      text: t(`me.mute.${kind}`, { what: text }),
    }),
  );
}

function muteMenu(item) {
  const choices = [
    ...item.classes.slice(0, MUTE_CLASSES).map((key) => muteButton("class", key, keyParts(key).text)),
    ...item.authors.slice(0, MUTE_AUTHORS).map((name) => muteButton("author", name, name)),
    item.series ? muteButton("series", item.series, item.series) : null,
  ].filter(Boolean);
  if (!choices.length) return null;
  return el(
    "details",
    { class: "menu" },
    el("summary", {}, t("me.mute.menu"), el("span", { class: "visually-hidden", text: ` ${item.title}` })),
    el("ul", {}, choices),
  );
}

function itemRow(item) {
  const hidden = (text) => el("span", { class: "visually-hidden", text: ` ${text}` });
  return el(
    "li",
    { class: item.not_interested ? "item not-wanted" : "item" },
    el("h4", {}, el("a", { href: `work.html?id=${encodeURIComponent(item.cluster_id)}`, text: item.title })),
    item.authors.length ? el("p", { class: "authors", text: item.authors.join("; ") }) : null,
    el(
      "p",
      { class: "meta" },
      item.year ? el("span", { text: String(item.year) }) : null,
      item.at_home && !item.reason_zh ? el("span", { text: t("me.inbox.at_home") }) : null,
      item.not_interested ? el("span", { class: "tag", text: t("me.inbox.not_wanted") }) : null,
    ),
    el("p", { class: "reason" }, el("span", { class: "why", text: t("me.inbox.why") }), " ", reason(item)),
    el(
      "div",
      { class: "actions" },
      el("button", { type: "button", id: stableId("del", item.cluster_id), class: "secondary small", onclick: itemAction(item, "delete", "me.inbox.deleted") }, t("me.delete"), hidden(item.title)),
      item.not_interested
        ? null
        : el("button", { type: "button", id: stableId("nope", item.cluster_id), class: "secondary small", onclick: itemAction(item, "not_interested", "me.inbox.marked") }, t("me.inbox.not_interested"), hidden(item.title)),
      muteMenu(item),
    ),
  );
}

function digestBlock(entry, catalog) {
  const digest = entry.digest;
  const id = digest.digest_id;
  const base = `${me.path}/push/inbox/${encodeURIComponent(id)}`;
  const headingId = `digest-${id}`;
  const name = serviceName(catalog[digest.service], digest.service);
  const markRead = async () => {
    if (await act(() => api(`${base}/read`, { method: "POST" }), t("me.inbox.read_done"))) reload("inbox");
  };
  const remove = async () => {
    if (await act(() => api(base, { method: "DELETE" }), t("me.inbox.digest_deleted", { service: name }))) reload("inbox");
  };
  return el(
    "article",
    { class: entry.read ? "digest" : "digest unread", "aria-labelledby": headingId },
    el("h3", { id: headingId }, name, " · ", formatDate(digest.window_end), entry.read ? null : el("span", { class: "badge", text: t("me.inbox.unread") })),
    el("p", { class: "meta", text: t("me.inbox.window", { from: formatDate(digest.window_start), to: formatDate(digest.window_end), count: digest.items.length }) }),
    digest.items.length ? el("ol", { class: "items" }, digest.items.map(itemRow)) : el("p", { class: "empty", text: t("me.inbox.emptied") }),
    el(
      "div",
      { class: "actions" },
      entry.read ? null : el("button", { type: "button", id: `read-${id}`, class: "small", onclick: markRead, text: t("me.inbox.mark_read") }),
      el("button", { type: "button", id: `drop-${id}`, class: "secondary small", onclick: remove, text: t("me.inbox.delete_digest") }),
    ),
  );
}

function muteText(mute) {
  if (mute.kind === "series") return mute.key;
  return keyParts(mute.key).text;
}

function mutesBlock(mutes) {
  return el(
    "div",
    { class: "mutes" },
    el("h3", { id: "mutes-heading", text: t("me.mute.title") }),
    mutes.length
      ? el(
          "ul",
          { class: "mute-list", "aria-labelledby": "mutes-heading" },
          mutes.map((mute) =>
            el(
              "li",
              {},
              el("span", { class: "kind", text: t(`me.kind.${mute.kind}`) }),
              " ",
              el("span", { class: `key-text key-${mute.kind}`, text: muteText(mute) }),
              " ",
              el("span", { class: "count", text: t("me.mute.since", { date: formatDate(mute.at) }) }),
              " ",
              el(
                "button",
                {
                  type: "button",
                  id: stableId("unmute", `${mute.kind}:${mute.key}`),
                  class: "secondary small",
                  onclick: async () => {
                    const done = t("me.mute.undone", { what: muteText(mute) });
                    if (await act(() => api(`${me.path}/push/mutes`, { method: "DELETE", query: { kind: mute.kind, key: mute.key } }), done)) reload("inbox");
                  },
                },
                t("me.mute.undo"),
                el("span", { class: "visually-hidden", text: ` ${muteText(mute)}` }),
              ),
            ),
          ),
        )
      : el("p", { class: "empty", text: t("me.mute.none") }),
  );
}

async function drawInbox(body) {
  const [inbox, mutes, catalog, consents] = await Promise.all([api(`${me.path}/push/inbox`), api(`${me.path}/push/mutes`), services(), api(`${me.path}/consents`)]);
  const unread = inbox.digests.filter((d) => !d.read).length;
  const count = t(inbox.digests.length === 1 ? "me.inbox.count_one" : "me.inbox.count", { count: inbox.digests.length, unread });
  // empty without the push consent, subscribing cannot work yet: say that the consent comes first, and where
  const empty = consents.current.push
    ? el("p", { class: "help", text: t("me.inbox.empty") })
    : el("p", { class: "help", id: "inbox-needs-consent" }, t("me.inbox.empty_no_consent"), " ", el("a", { href: "#consents", text: t("me.subs.to_consents") }));
  fill(
    body,
    inbox.digests.length ? el("p", { class: "help", text: count }) : empty,
    inbox.digests.map((entry) => digestBlock(entry, catalog)),
    mutesBlock(mutes.mutes),
  );
}

export function inboxSection() {
  return section("inbox", "me.inbox.title", drawInbox);
}

// ---- history --------------------------------------------------------------------------------------------------

function historyRow(item, catalog) {
  return el(
    "li",
    {},
    el("a", { href: `work.html?id=${encodeURIComponent(item.cluster_id)}`, text: item.title }),
    el(
      "p",
      { class: "meta" },
      el("span", { text: formatDate(item.at, true) }),
      el("span", { text: serviceName(catalog[item.service], item.service) }),
      el("span", { text: t(`me.channel.${item.channel}`) }),
      item.not_interested ? el("span", { class: "tag", text: t("me.inbox.not_wanted") }) : null,
    ),
    el("p", { class: "reason" }, el("span", { class: "why", text: t("me.inbox.why") }), " ", reason(item)),
  );
}

async function drawHistory(body) {
  const [history, catalog] = await Promise.all([api(`${me.path}/push/history`), services()]);
  const items = history.items;
  if (!items.length) return fill(body, el("p", { class: "empty", text: t("me.history.empty") }));
  const list = el("ol", { class: "history" });
  const shown = el("p", { class: "help" });
  const more = el("button", { type: "button", id: "history-more", class: "secondary more" });
  const page = (focus) => {
    const start = list.children.length;
    list.append(...items.slice(start, start + HISTORY_PAGE).map((item) => historyRow(item, catalog)));
    fill(shown, t("me.history.shown", { shown: formatNumber(list.children.length), total: formatNumber(items.length) }));
    const left = items.length - list.children.length;
    more.hidden = left <= 0;
    fill(more, t("me.history.more", { count: formatNumber(Math.min(left, HISTORY_PAGE)) }));
    if (focus) list.children[start].querySelector("a").focus();
  };
  more.addEventListener("click", () => page(true));
  fill(body, el("p", { class: "help", text: t("me.history.intro") }), list, shown, more);
  page(false);
  return null;
}

export function historySection() {
  return section("history", "me.history.title", drawHistory);
}
