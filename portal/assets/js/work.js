// A work's page: the merged record, every member's holdings (the reader's own library first), the other editions
// and translations, subjects and classes as links to searches, a permalink, and export (RIS, BibTeX, MARC); and,
// when the reader's own library has no copy available and another member may lend one, a button asking for it
// through inter-library loan (signed out, an invitation to sign in first).

import { ApiError, announce, api, boot, describeError, el, fill, formatDate, members, memberName, session, state, t } from "./core.js";
import { askRefusal, chances, openRequest, refusedBy, stateLabel, whereItWent } from "./ill.js";
import { formatLabel, languageLabel, recordEvent } from "./labels.js";

const EXPORTS = [
  ["ris", "export.ris"],
  ["bibtex", "export.bibtex"],
  ["marcxml", "export.marcxml"],
  ["marc", "export.marc"],
];

function searchLink(term, text) {
  return el("a", { href: `index.html?${new URLSearchParams({ f: term })}`, text });
}

function quoted(prefix, value) {
  return /\s/.test(value) ? `${prefix}:"${value}"` : `${prefix}:${value}`;
}

function row(label, ...value) {
  const shown = value.flat().filter((v) => v !== null && v !== undefined && v !== "");
  if (!shown.length) return null;
  return [el("dt", { text: label }), el("dd", {}, shown)];
}

function joined(nodes, separator = "; ") {
  return nodes.flatMap((node, index) => (index ? [separator, node] : [node]));
}

function details(work) {
  const isbns = work.identifiers.filter((i) => i.scheme === "isbn").map((i) => i.value);
  const issns = work.identifiers.filter((i) => i.scheme === "issn").map((i) => i.value);
  return el(
    "dl",
    { class: "record" },
    row(t("field.author"), joined(work.authors.map((name) => searchLink(quoted("author", name), name)))),
    row(t("work.original_title"), work.uniform_title),
    row(t("work.edition"), work.edition),
    row(t("work.publisher"), work.publisher),
    row(t("field.year"), work.year ? String(work.year) : null),
    row(t("field.format"), formatLabel(work.format)),
    row(t("field.language"), work.language ? languageLabel(work.language) : null),
    row(t("work.pages"), work.pages ? String(work.pages) : null),
    row(t("work.series"), work.series ? `${work.series}${work.series_number ? ` ; ${work.series_number}` : ""}` : null),
    row(t("field.isbn"), isbns.join(", ")),
    row("ISSN", issns.join(", ")),
    row(t("field.subject"), joined(work.subjects.map((s) => searchLink(quoted("heading", s), s)))),
    row(
      t("field.class"),
      joined(
        work.classifications.map((c) => searchLink(`class:${c.scheme}:${c.code}`, `${c.scheme.toUpperCase()} ${c.code}`)),
        ", ",
      ),
    ),
  );
}

function holdingsTable(holdings, all, own) {
  if (!holdings.length) return el("p", { text: t("work.no_holdings") });
  return el(
    "div",
    { class: "table-wrap", role: "region", "aria-labelledby": "holdings-heading", tabindex: "0" },
    el(
      "table",
      { class: "holdings" },
      el("caption", { class: "visually-hidden", text: t("work.holdings") }),
      el(
        "thead",
        {},
        el(
          "tr",
          {},
          ["work.library", "work.location", "work.call_number", "work.availability"].map((key) => el("th", { scope: "col", text: t(key) })),
        ),
      ),
      el(
        "tbody",
        {},
        holdings.map((h) =>
          el(
            "tr",
            { class: h.member === own ? "own" : null },
            el("th", { scope: "row" }, memberName(all, h.member), h.member === own ? el("span", { class: "badge", text: t("work.your_library") }) : null),
            el("td", { "data-label": t("work.location"), text: [h.location, h.coverage].filter(Boolean).join(" · ") }),
            el("td", { "data-label": t("work.call_number"), text: h.call_number || "" }),
            el(
              "td",
              { "data-label": t("work.availability") },
              el("span", { class: `availability ${h.availability}`, text: t(`availability.${h.availability}`) }),
              h.url ? [" ", el("a", { href: h.url, rel: "noopener noreferrer", text: t("work.online") })] : null,
            ),
          ),
        ),
      ),
    ),
  );
}

function editionsList(editions, headingKey, id) {
  if (!editions.length) return null;
  return [
    el("h2", { id, text: t(headingKey, { count: editions.length }) }),
    el(
      "ul",
      { class: "editions", "aria-labelledby": id },
      editions.map((e) =>
        el(
          "li",
          {},
          el("a", { href: `work.html?id=${encodeURIComponent(e.cluster_id)}`, text: e.title }),
          " ",
          el(
            "span",
            { class: "meta" },
            [e.language ? languageLabel(e.language) : null, e.edition, e.publisher, e.year, formatLabel(e.format)].filter(Boolean).join(" · "),
            " · ",
            t(e.members.length === 1 ? "search.held_one" : "search.held_many", { count: e.members.length }),
          ),
        ),
      ),
    ),
  ];
}

// The work group: other editions and translations listed apart, and a search for all of them.
function workGroup(group) {
  const editions = group.editions || [];
  const translations = group.translations || [];
  if (!editions.length && !translations.length) return null;
  return [
    editionsList(editions, "work.other_editions", "editions-heading"),
    editionsList(translations, "work.translations", "translations-heading"),
    group.work_id ? el("p", {}, searchLink(`work:${group.work_id}`, t("work.all_editions"))) : null,
  ];
}

// ---- inter-library loan ---------------------------------------------------------------------------------------

function myRequestsLink() {
  return el("a", { href: "me.html#loans", text: t("ill.my_requests") });
}

/** The reader's request for the work under way: where it went, its state, and where to follow it. */
function askedAlready(request, all) {
  return [
    el("p", { class: "notice", id: "ill-open" }, t("ill.asked_on", { library: memberName(all, request.lender), date: formatDate(request.created_at), state: stateLabel(request.state) })),
    el("p", {}, myRequestsLink()),
  ];
}

/** The note field and the button; the answer (where the request went, or why the hub refused it) in `result`, and
 * once asked, the link to the reader's requests in `after`. With `again` (the members that refused the reader's
 * earlier requests, once every possible lender has), the reader chooses one of them (a list when there are
 * several) and the button asks it again by name (the API's `lender`). */
function askForm(work, who, all, slots, { again = [], noteText = "" } = {}) {
  const { body, result, after } = slots;
  const path = `/readers/${encodeURIComponent(who.reader)}/ill`;
  const note = el("input", { id: "ill-note", type: "text", maxlength: "500", value: noteText, "aria-describedby": "ill-note-help" });
  const button = el("button", { type: "submit", id: "ill-ask" });
  const choice = again.length > 1
    ? el("select", { id: "ill-lender", onchange: () => named() }, again.map((id) => el("option", { value: id, text: memberName(all, id) })))
    : null;
  const lender = () => (choice ? choice.value : again[0] || null);
  const named = () => {
    button.textContent = lender() ? t("ill.ask_named_again", { library: memberName(all, lender()) }) : t("ill.ask");
  };
  named();
  const say = (text, error) => {
    result.className = error ? "ill-result error" : "ill-result notice";
    result.textContent = text;
  };
  return el(
    "form",
    {
      class: "ill-ask",
      onsubmit: async (event) => {
        event.preventDefault();
        button.disabled = true;
        say(t("ill.asking"), false);
        const asked = lender();
        try {
          const made = await api(path, { method: "POST", body: { cluster_id: work.cluster_id, note: note.value.trim() || null, ...(asked ? { lender: asked } : {}) } });
          fill(body);
          say(whereItWent(made, all), false);
          fill(after, myRequestsLink());
          result.focus();
        } catch (error) {
          const mine = await api(path).then((answer) => answer.requests).catch(() => []);
          say(askRefusal(error, work.cluster_id, mine, all, who.member, asked), true);
          const open = openRequest(mine, work.cluster_id);
          const refused = error instanceof ApiError && error.status === 409 && !asked ? refusedBy(mine, work.cluster_id) : [];
          if (open) fill(body, askedAlready(open, all));
          else if (refused.length) {
            fill(body, askForm(work, who, all, slots, { again: refused, noteText: note.value }));
            result.focus(); // the button pressed is gone: the reader reads why; the choice is just above
          } else button.disabled = false;
        }
      },
    },
    el("p", { class: "help", text: again.length ? t("ill.explain_again") : t("ill.explain") }),
    choice ? el("div", { class: "field" }, el("label", { for: "ill-lender", text: t("ill.lender_again") }), choice) : null,
    el("div", { class: "field" }, el("label", { for: "ill-note", text: t("ill.note") }), note, el("p", { id: "ill-note-help", class: "help", text: t("ill.note_help") })),
    el("div", { class: "actions" }, button),
  );
}

/** What the work page offers about inter-library loan, or null when there is nothing to offer (no other member
 * with a copy that may be on its shelf, or a staff account, which is no reader). Only members that lend to the
 * reader's library are offered: when the only ones with such a copy do not, the page says so instead. */
function loanSection(work, holdings, all, who) {
  if (who?.staff) return null;
  const { ownHas, others, closed } = chances(holdings, who?.member);
  if (!who) {
    if (!others.length) return null;
    const next = encodeURIComponent(location.pathname + location.search);
    return el(
      "section",
      { id: "ill", class: "ill", "aria-labelledby": "ill-heading" },
      el("h2", { id: "ill-heading", text: t("ill.heading") }),
      el("p", { text: t("ill.signed_out") }),
      el("p", {}, el("a", { href: `login.html?next=${next}`, class: "button", id: "ill-sign-in", text: t("ill.sign_in_to_ask") })),
    );
  }
  if (!ownHas && !others.length && !closed.length) return null;
  const body = el("div", { class: "ill-body", "aria-busy": "true" });
  const result = el("p", { id: "ill-result", class: "ill-result", role: "status", tabindex: "-1" });
  const after = el("p", { class: "ill-after" });
  const node = el("section", { id: "ill", class: "ill", "aria-labelledby": "ill-heading" }, el("h2", { id: "ill-heading", text: t("ill.heading") }), body, result, after);
  const library = memberName(all, who.member);
  if (ownHas) {
    body.removeAttribute("aria-busy");
    fill(body, el("p", { class: "notice", id: "ill-own", text: t("ill.own_has", { library }) }));
    return node;
  }
  // When only members that do not lend to the reader's library hold a copy that may be on the shelf, there is
  // nothing to ask and the page says so (a request made before one of them changed its policy is still shown).
  const closedNotice = () => el("p", { class: "notice", id: "ill-none-lend", text: t("ill.none_lend", { libraries: closed.map((id) => memberName(all, id)).join(", "), library }) });
  api(`/readers/${encodeURIComponent(who.reader)}/ill`)
    .then((answer) => {
      const open = openRequest(answer.requests, work.cluster_id);
      fill(body, open ? askedAlready(open, all) : others.length ? askForm(work, who, all, { body, result, after }) : closedNotice());
    })
    .catch((error) => fill(body, el("p", { class: "error", text: describeError(error) })))
    .finally(() => body.removeAttribute("aria-busy"));
  return node;
}

async function main() {
  await boot("work.html", "work.title");
  const id = new URLSearchParams(location.search).get("id");
  const main = document.getElementById("work");
  if (!id) {
    fill(main, el("h1", { text: t("error.not_found") }), el("p", {}, el("a", { href: "index.html", text: t("nav.search") })));
    return;
  }
  const who = session();
  try {
    const [answer, editions, all] = await Promise.all([
      api(`/works/${encodeURIComponent(id)}`, { query: { member: who?.member } }),
      api(`/works/${encodeURIComponent(id)}/editions`).catch(() => ({ editions: [], translations: [] })),
      members(),
    ]);
    const work = answer.work;
    document.title = `${work.title} · ${t("site.name")}`;
    const permalink = new URL(`work.html?id=${encodeURIComponent(work.cluster_id)}`, location.href).toString();
    const base = state.config.api || "";
    main.removeAttribute("aria-busy");
    fill(
      main,
      el("h1", {}, work.title, work.subtitle ? el("span", { class: "subtitle", text: `: ${work.subtitle}` }) : null),
      details(work),
      el("h2", { id: "holdings-heading", text: t(answer.holdings.length === 1 ? "work.holdings_count_one" : "work.holdings_count", { count: answer.holdings.length }) }),
      holdingsTable(answer.holdings, all, who?.member),
      loanSection(work, answer.holdings, all, who),
      workGroup(editions),
      el("h2", { text: t("work.share") }),
      el("p", {}, el("a", { href: permalink, class: "permalink", text: permalink })),
      el(
        "ul",
        { class: "exports", "aria-label": t("work.export") },
        EXPORTS.map(([format, key]) =>
          el("li", {}, el("a", { href: `${base}/works/${encodeURIComponent(work.cluster_id)}/export?format=${format}`, download: "", text: t(key) })),
        ),
      ),
    );
    announce(work.title);
    if (who) recordEvent(who, { type: "view", cluster_id: work.cluster_id });
  } catch (error) {
    main.removeAttribute("aria-busy");
    fill(main, el("h1", { text: t("work.title") }), el("p", { class: "error", role: "alert", text: describeError(error) }));
  }
}

main();
