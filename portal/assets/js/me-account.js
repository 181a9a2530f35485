// The reader's consents (each purpose as the policy describes it, given or withdrawn in one click, with the date),
// a download of everything the hub keeps about them, and erasure behind a confirmation that says what is lost.

import { announce, api, describeError, el, fill, formatDate, formatNumber, signOut, state, t } from "./core.js";
import { act, me, reload, section } from "./me-common.js";

/** What a change of consent may change elsewhere on the page (a withdrawal deletes what was kept for it). */
const AFFECTED = ["consents", "prompt", "interests", "subscriptions", "inbox", "history"];
const ERASE_WORDS = ["ERASE"];

const CHANGES_PAGE = 10;

/** A policy version as a date in the reader's locale when it is one (2026-12-03), else as written. */
function policyDate(version) {
  return /^\d{4}-\d{2}-\d{2}$/.test(version || "") ? formatDate(`${version}T12:00:00Z`) : version;
}

function purposeBlock(purpose, answer) {
  const name = purpose.purpose;
  const granted = Boolean(answer.current[name]);
  const last = answer.history.filter((event) => event.purpose === name).at(-1);
  const status = granted
    ? t("me.consents.given", { date: formatDate(last?.at) })
    : last
      ? t("me.consents.withdrawn", { date: formatDate(last.at) })
      : t("me.consents.never");
  const statusId = `consent-state-${name}`;
  const separator = state.lang === "zh" ? "、" : ", ";
  const description = state.lang === "zh" ? purpose.description_zh : purpose.description_en;
  const toggle = async () => {
    let done = t(granted ? "me.consents.withdraw_done" : "me.consents.give_done", { purpose: t(`me.purpose.${name}`) });
    if (granted) done = [done, t(`me.consents.withdrawn_effect.${name}`)].join(state.lang === "zh" ? "" : " ");
    const ok = await act(() => api(`${me.path}/consents`, { method: "POST", body: { purpose: name, granted: !granted } }), done);
    if (ok) reload(...AFFECTED);
  };
  return el(
    "li",
    { class: granted ? "consent on" : "consent" },
    el("h3", { id: `consent-${name}`, text: t(`me.purpose.${name}`) }),
    description ? el("p", { text: description }) : null,
    purpose.data ? el("p", { class: "meta", text: t("me.consents.uses", { data: purpose.data.map((kind) => t(`me.data.${kind}`)).join(separator) }) }) : null,
    purpose.retention_days ? el("p", { class: "meta", text: t("me.consents.kept", { days: formatNumber(purpose.retention_days) }) }) : null,
    el("p", { id: statusId, class: "state", text: status }),
    granted ? el("p", { id: `consent-effect-${name}`, class: "meta", text: t(`me.consents.withdraw_effect.${name}`) }) : null,
    el("button", {
      type: "button",
      id: `consent-toggle-${name}`,
      class: granted ? "secondary" : null,
      "aria-describedby": granted ? `consent-${name} ${statusId} consent-effect-${name}` : `consent-${name} ${statusId}`,
      onclick: toggle,
      text: t(granted ? "me.consents.withdraw" : "me.consents.give"),
    }),
  );
}

function changeRow(event) {
  const key = event.granted ? "me.consents.change_given" : "me.consents.change_withdrawn";
  return el(
    "li",
    {},
    el("time", { datetime: event.at, text: formatDate(event.at, true) }),
    " ",
    el("span", { text: t(key, { purpose: t(`me.purpose.${event.purpose}`) }) }),
    " ",
    el("span", { class: "meta", text: t("me.consents.change_policy", { date: policyDate(event.policy_version) }) }),
  );
}

/** Every grant and withdrawal, newest first, a page at a time. */
function changesBlock(history) {
  const changes = [...history].reverse(); // the API gives them oldest first
  const list = el("ol", { id: "consent-changes", class: "history", "aria-labelledby": "consent-changes-heading" });
  const shown = el("p", { class: "help", id: "consent-changes-shown" });
  const more = el("button", { type: "button", id: "consent-changes-more", class: "secondary more" });
  const page = (focus) => {
    const start = list.children.length;
    list.append(...changes.slice(start, start + CHANGES_PAGE).map(changeRow));
    fill(shown, t("me.history.shown", { shown: formatNumber(list.children.length), total: formatNumber(changes.length) }));
    const left = changes.length - list.children.length;
    more.hidden = left <= 0;
    fill(more, t("me.history.more", { count: formatNumber(Math.min(left, CHANGES_PAGE)) }));
    if (focus) {
      list.children[start].tabIndex = -1;
      list.children[start].focus();
    }
  };
  more.addEventListener("click", () => page(true));
  const heading = el("h3", { id: "consent-changes-heading", text: t("me.consents.changes") });
  if (!changes.length) return [heading, el("p", { class: "empty", text: t("me.consents.no_changes") })];
  page(false);
  return [heading, list, shown, more];
}

async function drawConsents(body) {
  const answer = await api(`${me.path}/consents`);
  const purposes = answer.purposes?.length ? answer.purposes : Object.keys(answer.current).map((purpose) => ({ purpose }));
  fill(
    body,
    el("p", { class: "help", text: t("me.consents.intro") }),
    answer.policy_version ? el("p", { class: "help", text: t("me.consents.version", { date: policyDate(answer.policy_version) }) }) : null,
    el("ul", { class: "consents" }, purposes.map((purpose) => purposeBlock(purpose, answer))),
    changesBlock(answer.history || []),
  );
}

export function consentsSection() {
  return section("consents", "me.consents.title", drawConsents);
}

// ---- your data: export and erase ------------------------------------------------------------------------------

async function download() {
  const data = await api(`${me.path}/export`);
  const name = `my-library-${me.reader}-${new Date().toISOString().slice(0, 10)}.json`;
  const url = URL.createObjectURL(new Blob([JSON.stringify(data, null, 2)], { type: "application/json" }));
  const link = el("a", { href: url, download: name, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
  announce(t("me.export.done", { file: name }));
}

function eraseDialog() {
  const message = el("p", { class: "error", role: "alert" });
  const word = el("input", { id: "erase-word", type: "text", autocomplete: "off", spellcheck: "false", autofocus: true, "aria-describedby": "erase-word-help" });
  const dialog = el("dialog", { id: "erase-dialog", class: "erase", "aria-labelledby": "erase-title", "aria-describedby": "erase-what" });
  const words = [t("me.erase.word"), ...ERASE_WORDS];
  const confirm = async (event) => {
    event.preventDefault();
    if (!words.some((w) => word.value.trim().toLowerCase() === w.toLowerCase())) {
      fill(message, t("me.erase.mismatch", { word: t("me.erase.word") }));
      word.focus();
      return;
    }
    try {
      await api(me.path, { method: "DELETE" });
    } catch (error) {
      fill(message, describeError(error));
      return;
    }
    signOut();
    location.href = "me.html?erased=1";
  };
  fill(
    dialog,
    el(
      "form",
      { onsubmit: confirm },
      el("h2", { id: "erase-title", text: t("me.erase.confirm_title") }),
      el(
        "div",
        { id: "erase-what" },
        el("p", { text: t("me.erase.destroys") }),
        el("ul", {}, ["profile", "interests", "history", "consents", "inbox", "subscriptions"].map((k) => el("li", { text: t(`me.erase.what.${k}`) }))),
        el("p", { text: t("me.erase.key") }),
        el("p", {}, el("strong", { text: t("me.erase.final") })),
      ),
      el("label", { for: "erase-word", text: t("me.erase.type", { word: t("me.erase.word") }) }),
      el("p", { id: "erase-word-help", class: "help", text: t("me.erase.type_help") }),
      word,
      message,
      el(
        "div",
        { class: "actions" },
        el("button", { type: "submit", class: "danger", id: "erase-confirm", text: t("me.erase.submit") }),
        el("button", { type: "button", class: "secondary", id: "erase-cancel", onclick: () => dialog.close(), text: t("me.cancel") }),
      ),
    ),
  );
  return dialog;
}

function drawData(body) {
  const dialog = eraseDialog();
  const opener = el("button", {
    type: "button",
    id: "erase-open",
    class: "danger",
    "aria-haspopup": "dialog",
    onclick: () => {
      dialog.querySelector("#erase-word").value = "";
      fill(dialog.querySelector("[role=alert]"));
      dialog.showModal();
      dialog.querySelector("#erase-word").focus();
    },
    text: t("me.erase.open"),
  });
  dialog.addEventListener("close", () => opener.focus());
  fill(
    body,
    el("h3", { text: t("me.export.title") }),
    el("p", { text: t("me.export.explain") }),
    el("button", { type: "button", id: "export", onclick: () => act(download), text: t("me.export.button") }),
    el("h3", { text: t("me.erase.title") }),
    el("p", { text: t("me.erase.explain") }),
    opener,
    dialog,
  );
}

export function dataSection() {
  return section("data", "me.data.title", async (body) => drawData(body));
}
