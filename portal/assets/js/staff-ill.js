// The member's inter-library loan queue: the requests made of it (lending) or by its readers (borrowing), by
// state; each with the steps this member's staff may take next (the lending library accepts or refuses, ships, and
// confirms the return; the borrowing library confirms it received the copy, or cancels before acceptance), a note
// for the reader, and its history. The API checks every step; a refused one says why. A request for a copy whose
// shelf status the lender's catalogue does not give says so: the lending library checks its shelf first.

import { api, el, fill, formatDate, formatNumber, members, memberName, t } from "./core.js";
import { OPEN, STATES } from "./ill.js";
import { act, reload, stableId } from "./me-common.js";
import { staff } from "./staff-common.js";

/** The steps each side's staff take, from each state (the rules of consortium.cooperation.rules). */
const NEXT = {
  lending: { requested: ["accepted", "refused"], accepted: ["shipped"], received: ["returned"] },
  borrowing: { requested: ["cancelled"], shipped: ["received"] },
};

const view = { side: "lending", state: "" };

function controls() {
  const sides = el(
    "fieldset",
    { class: "choices" },
    el("legend", { text: t("staff.ill.side") }),
    ["lending", "borrowing"].map((side) =>
      el(
        "label",
        { class: "check" },
        el("input", {
          type: "radio",
          name: "ill-side",
          id: `ill-side-${side}`,
          value: side,
          checked: view.side === side,
          onchange: () => {
            view.side = side;
            reload("ill");
          },
        }),
        " ",
        t(`staff.ill.${side}_long`),
      ),
    ),
  );
  const state = el(
    "div",
    { class: "field" },
    el("label", { for: "ill-state", text: t("staff.ill.state_label") }),
    el(
      "select",
      {
        id: "ill-state",
        onchange: (event) => {
          view.state = event.target.value;
          reload("ill");
        },
      },
      el("option", { value: "", selected: view.state === "", text: t("staff.ill.any_state") }),
      STATES.map((s) => el("option", { value: s, selected: view.state === s, text: t(`staff.ill.state.${s}`) })),
    ),
  );
  return el("div", { class: "toolbar" }, sides, state);
}

function history(request) {
  return el(
    "details",
    { class: "ill-history" },
    el("summary", { text: t("staff.ill.history", { steps: request.history.length }) }),
    el(
      "ol",
      {},
      request.history.map((step) =>
        el(
          "li",
          {},
          el("span", { class: "tag", text: t(`staff.ill.state.${step.state}`) }),
          " ",
          formatDate(step.at, true),
          " · ",
          step.actor_id === "reader" ? t("staff.ill.the_reader") : step.actor_id,
          step.note ? el("span", { class: "help", text: ` — ${step.note}` }) : null,
        ),
      ),
    ),
  );
}

function actions(request) {
  const steps = (NEXT[view.side] || {})[request.state] || [];
  if (!steps.length) return null;
  const noteId = stableId("ill-note", request.request_id);
  const note = el("input", { id: noteId, type: "text", maxlength: "500", "aria-describedby": `${noteId}-help` });
  const move = (state) => () =>
    act(async () => {
      await api(`${staff.path}/ill/${encodeURIComponent(request.request_id)}`, { method: "POST", body: { state, note: note.value.trim() || null } });
      await reload("ill", "contribution");
    }, t("staff.ill.moved", { title: request.title, state: t(`staff.ill.state.${state}`) }));
  return el(
    "div",
    { class: "ill-actions" },
    el("div", { class: "field" }, el("label", { for: noteId, text: t("staff.ill.note") }), note, el("p", { id: `${noteId}-help`, class: "help", text: t("staff.ill.note_help") })),
    el(
      "div",
      { class: "actions" },
      steps.map((state) =>
        el("button", {
          type: "button",
          id: stableId(`ill-${state}`, request.request_id),
          class: state === "refused" || state === "cancelled" ? "secondary" : null,
          onclick: move(state),
          text: t(`staff.ill.do.${state}`),
        }),
      ),
    ),
  );
}

function requestCard(request, all) {
  const other = view.side === "lending" ? request.borrower : request.lender;
  const headingId = stableId("ill-title", request.request_id);
  return el(
    "li",
    { class: `ill-request state-${request.state}`, "aria-labelledby": headingId },
    el(
      "h3",
      { id: headingId },
      el("a", { href: `work.html?id=${encodeURIComponent(request.cluster_id)}`, text: request.title }),
      " ",
      el("span", { class: OPEN.includes(request.state) ? "tag open" : "tag", text: t(`staff.ill.state.${request.state}`) }),
    ),
    el(
      "p",
      { class: "meta" },
      el("span", { text: t(view.side === "lending" ? "staff.ill.for_library" : "staff.ill.from_library", { library: memberName(all, other) }) }),
      request.call_number ? el("span", { text: t("staff.ill.shelved", { location: request.location || "", call_number: request.call_number }) }) : null,
      request.state === "requested" && request.availability === "unknown"
        ? el("span", { class: "tag", text: t(view.side === "lending" ? "staff.ill.check_shelf" : "staff.ill.lender_checks") })
        : null,
      request.reader_id ? el("span", { text: t("staff.ill.reader", { reader: request.reader_id }) }) : null,
      el("span", { text: t("staff.ill.asked", { at: formatDate(request.created_at) }) }),
    ),
    actions(request),
    history(request),
  );
}

function balanceLine(balance) {
  const shown = balance.balance > 0 ? `+${formatNumber(balance.balance)}` : formatNumber(balance.balance);
  const open = (counts) => OPEN.reduce((sum, s) => sum + (counts[s] || 0), 0);
  return el(
    "p",
    { class: "notice", id: "ill-summary" },
    t("staff.ill.summary", {
      lent: formatNumber(balance.lent),
      borrowed: formatNumber(balance.borrowed),
      balance: shown,
      lending: formatNumber(open(balance.lending)),
      borrowing: formatNumber(open(balance.borrowing)),
    }),
  );
}

export async function illSection(body) {
  const [answer, balance, all] = await Promise.all([
    api(`${staff.path}/ill`, { query: { side: view.side, state: view.state } }),
    api(`${staff.path}/ill-balance`),
    members().catch(() => ({})),
  ]);
  const list = answer.requests.length
    ? el("ul", { class: "ill-list" }, answer.requests.map((request) => requestCard(request, all)))
    : el("p", { class: "empty", text: t(view.state ? "staff.ill.none_in_state" : `staff.ill.none_${view.side}`) });
  fill(body, balanceLine(balance), el("p", { class: "help", text: t(`staff.ill.intro_${view.side}`) }), controls(), list);
}
