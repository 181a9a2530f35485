// "My loan requests": the reader's inter-library loan requests, newest first, each with its work, state, the
// library asked (the lender), where its copy is shelved, when it was asked and last moved, its history with the
// libraries' notes, and a Cancel button while the lending library has not accepted it yet. A refused request says
// the reader may ask again (the hub then asks another library).

import { announce, api, el, fill, formatDate, members, memberName, t } from "./core.js";
import { CANCELLABLE, OPEN, cancelRefusal, stateLabel, whereItWent } from "./ill.js";
import { me, reload, section, stableId } from "./me-common.js";

function history(request) {
  return el(
    "details",
    { class: "ill-history" },
    el("summary", {}, t("ill.history", { steps: request.history.length }), el("span", { class: "visually-hidden", text: ` ${request.title}` })),
    el(
      "ol",
      {},
      request.history.map((step) =>
        el(
          "li",
          {},
          el("span", { class: "tag", text: stateLabel(step.state) }),
          " ",
          formatDate(step.at, true),
          step.note ? el("span", { class: "help", text: ` — ${step.note}` }) : null,
        ),
      ),
    ),
  );
}

function cancelButton(request) {
  if (!CANCELLABLE.includes(request.state)) return null;
  const cancel = async () => {
    try {
      await api(`${me.path}/ill/${encodeURIComponent(request.request_id)}/cancel`, { method: "POST" });
      announce(t("ill.cancelled", { title: request.title }));
    } catch (error) {
      announce(cancelRefusal(error));
    }
    await reload("loans");
  };
  return el(
    "div",
    { class: "actions" },
    el(
      "button",
      { type: "button", id: stableId("ill-cancel", request.request_id), class: "secondary small", onclick: cancel },
      t("ill.cancel"),
      el("span", { class: "visually-hidden", text: ` ${request.title}` }),
    ),
  );
}

function requestCard(request, all) {
  const headingId = stableId("loan-title", request.request_id);
  const moved = request.updated_at !== request.created_at;
  return el(
    "li",
    { class: `ill-request state-${request.state}`, "aria-labelledby": headingId },
    el(
      "h3",
      { id: headingId },
      el("a", { href: `work.html?id=${encodeURIComponent(request.cluster_id)}`, text: request.title }),
      " ",
      el("span", { class: OPEN.includes(request.state) ? "tag open" : "tag", text: stateLabel(request.state) }),
    ),
    el(
      "p",
      { class: "meta" },
      el("span", { text: t("ill.lender", { library: memberName(all, request.lender) }) }),
      request.call_number ? el("span", { text: t("ill.shelved", { location: request.location || "", call_number: request.call_number }) }) : null,
      el("span", { text: t("ill.asked", { date: formatDate(request.created_at) }) }),
      moved ? el("span", { text: t("ill.updated", { date: formatDate(request.updated_at) }) }) : null,
    ),
    el("p", { class: "ill-where", text: whereItWent(request, all) }),
    request.state === "refused"
      ? el(
          "p",
          {},
          el("a", { href: `work.html?id=${encodeURIComponent(request.cluster_id)}` }, t("ill.ask_again"), el("span", { class: "visually-hidden", text: ` ${request.title}` })),
        )
      : null,
    cancelButton(request),
    history(request),
  );
}

async function drawLoans(body) {
  const [answer, all] = await Promise.all([api(`${me.path}/ill`), members().catch(() => ({}))]);
  if (!answer.requests.length) return fill(body, el("p", { class: "empty", text: t("ill.none") }));
  const open = answer.requests.filter((r) => OPEN.includes(r.state)).length;
  return fill(
    body,
    el("p", { class: "help", text: t(answer.requests.length === 1 ? "ill.count_one" : "ill.count", { count: answer.requests.length, open }) }),
    el("ul", { class: "ill-list" }, answer.requests.map((request) => requestCard(request, all))),
  );
}

export function loansSection() {
  return section("loans", "ill.title", drawLoans);
}
