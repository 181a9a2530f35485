// The search page: one query box (with the query language's fields offered as you type, and an advanced form),
// results, facets, sort and paging. The page's address holds the whole search (q, f, sort, page), so the back
// button, a bookmark and a shared link all give the same results.

import { announce, api, boot, describeError, el, fill, formatNumber, members, memberName, session, state, t } from "./core.js";
import { fieldCompletion } from "./complete.js";
import { facetLabel, formatLabel, languageLabel, recordEvent } from "./labels.js";

const FACETS = ["member", "format", "language", "year", "class", "subject"];
const FILTER_PREFIX = { member: "member", format: "format", language: "language", year: "year", class: "class", subject: "heading" };
const SORTS = ["relevance", "newest", "year_desc", "year_asc", "title"];
const PAGE_SIZE = 20;

function current() {
  const params = new URLSearchParams(location.search);
  return {
    q: params.get("q") || "",
    filters: params.getAll("f"),
    sort: SORTS.includes(params.get("sort")) ? params.get("sort") : "relevance",
    page: Math.max(1, Math.min(500, parseInt(params.get("page") || "1", 10) || 1)),
  };
}

function address(search) {
  const params = new URLSearchParams();
  if (search.q) params.set("q", search.q);
  for (const filter of search.filters) params.append("f", filter);
  if (search.sort !== "relevance") params.set("sort", search.sort);
  if (search.page > 1) params.set("page", String(search.page));
  const text = params.toString();
  return text ? `?${text}` : location.pathname;
}

function go(search) {
  history.pushState(null, "", address(search));
  run();
}

/** `name:value`, quoted when the value has a space. */
function filterTerm(facet, value) {
  const prefix = FILTER_PREFIX[facet];
  return /\s/.test(value) ? `${prefix}:"${value}"` : `${prefix}:${value}`;
}

function queryText(search) {
  return [search.q, ...search.filters].filter(Boolean).join(" ");
}

function renderFilters(search) {
  const box = document.getElementById("active-filters");
  if (!search.filters.length) return fill(box);
  return fill(
    box,
    el("h2", { class: "visually-hidden", text: t("search.active_filters") }),
    el(
      "ul",
      { class: "chips" },
      search.filters.map((filter) =>
        el(
          "li",
          {},
          el("button", {
            type: "button",
            class: "chip",
            "aria-label": t("search.remove_filter", { filter }),
            onclick: () => go({ ...search, filters: search.filters.filter((f) => f !== filter), page: 1 }),
            text: `${filter} ✕`,
          }),
        ),
      ),
    ),
  );
}

const classLabels = {};

/** Labels of the top classes the class facet shows ({"clc:T": {en, zh}}), fetched once per scheme. */
async function labelClasses(values) {
  const schemes = [...new Set(values.map((v) => v.split(":")[0]))].filter((scheme) => ["clc", "lcc", "ddc"].includes(scheme) && !(scheme in classLabels));
  await Promise.all(
    schemes.map(async (scheme) => {
      classLabels[scheme] = true;
      try {
        const tree = await api("/classes", { query: { scheme } });
        for (const node of tree.classes) if (node.label) classLabels[node.key] = node.label;
      } catch {
        // a class shown by its code is still a class
      }
    }),
  );
}

function classLabel(value) {
  const label = classLabels[value];
  if (!label || label === true) return value;
  return `${value.split(":")[1]} ${label[state.lang] || label.en}`;
}

function renderFacets(search, facets, all) {
  const groups = FACETS.filter((name) => (facets[name] || []).length).map((name) => {
    const values = facets[name];
    return el(
      "section",
      { class: "facet", "aria-labelledby": `facet-${name}` },
      el("h3", { id: `facet-${name}`, text: t(`facet.${name}`) }),
      el(
        "ul",
        {},
        values.map(({ value, count }) => {
          const term = filterTerm(name, value);
          const active = search.filters.includes(term);
          const label = name === "class" ? classLabel(value) : facetLabel(name, value, all);
          return el(
            "li",
            {},
            el(
              "a",
              {
                href: address({ ...search, filters: active ? search.filters.filter((f) => f !== term) : [...search.filters, term], page: 1 }),
                "aria-current": active ? "true" : null,
                onclick: (event) => {
                  event.preventDefault();
                  go({ ...search, filters: active ? search.filters.filter((f) => f !== term) : [...search.filters, term], page: 1 });
                },
              },
              el("span", { class: "facet-value", text: label }),
              " ",
              el("span", { class: "count", text: formatNumber(count) }),
            ),
          );
        }),
      ),
    );
  });
  fill(document.getElementById("facets"), groups.length ? [el("h2", { text: t("search.refine") }), groups] : []);
}

function hitItem(hit, all) {
  const held = hit.members.length;
  return el(
    "li",
    { class: "hit" },
    el("h3", {}, el("a", { href: `work.html?id=${encodeURIComponent(hit.cluster_id)}`, text: hit.title })),
    hit.authors.length ? el("p", { class: "authors", text: hit.authors.join("; ") }) : null,
    el(
      "p",
      { class: "meta" },
      el("span", { class: "format", text: formatLabel(hit.format) }),
      hit.year ? el("span", { text: String(hit.year) }) : null,
      hit.language ? el("span", { text: languageLabel(hit.language) }) : null,
      el("span", {
        class: "holders",
        title: hit.members.map((m) => memberName(all, m)).join(", "),
        text: t(held === 1 ? "search.held_one" : "search.held_many", { count: formatNumber(held) }),
      }),
      hit.work_size > 1
        ? el("a", {
            class: "work-group",
            href: `index.html?${new URLSearchParams({ f: `work:${hit.work_id}` })}`,
            text: t(hit.work_size === 2 ? "search.work_group_one" : "search.work_group_many", { count: formatNumber(hit.work_size - 1) }),
          })
        : null,
    ),
  );
}

function renderPaging(search, total) {
  const pages = Math.min(500, Math.ceil(total / PAGE_SIZE));
  const nav = document.getElementById("paging");
  if (pages <= 1) return fill(nav);
  const link = (page, key) =>
    el("a", {
      href: address({ ...search, page }),
      onclick: (event) => {
        event.preventDefault();
        go({ ...search, page });
      },
      text: t(key),
    });
  return fill(
    nav,
    search.page > 1 ? link(search.page - 1, "paging.previous") : null,
    el("span", { text: t("paging.page_of", { page: formatNumber(search.page), pages: formatNumber(pages) }) }),
    search.page < pages ? link(search.page + 1, "paging.next") : null,
  );
}

function renderEmpty(search, answer) {
  const tips = [];
  const offered = (answer.suggestions || []).length > 0;
  for (const filter of offered ? [] : search.filters) {
    tips.push(
      el("li", {}, el("a", { href: address({ ...search, filters: search.filters.filter((f) => f !== filter), page: 1 }), text: t("empty.without", { filter }) })),
    );
  }
  for (const suggestion of answer.suggestions || []) {
    const text = t(`suggest.${suggestion.kind}`, { change: suggestion.change, replacement: suggestion.replacement ?? "", q: suggestion.q });
    tips.push(
      el(
        "li",
        { class: `suggestion ${suggestion.kind}` },
        el("a", { href: address({ q: suggestion.q, filters: [], sort: search.sort, page: 1 }), text }),
        ` (${t("suggest.count", { count: formatNumber(suggestion.count) })})`,
      ),
    );
  }
  if (/\w+:/.test(search.q)) tips.push(el("li", { text: t("empty.fields") }));
  tips.push(el("li", { text: t("empty.fewer_words") }));
  tips.push(el("li", {}, el("a", { href: "new.html", text: t("empty.browse_new") })));
  return el(
    "div",
    { class: "empty" },
    el("p", { text: search.q || search.filters.length ? t("empty.none_for", { query: queryText(search) }) : t("empty.catalogue") }),
    el("ul", {}, tips),
  );
}

let running = 0;

async function run() {
  const search = current();
  const ticket = ++running;
  document.getElementById("q").value = search.q;
  document.getElementById("sort").value = search.sort;
  renderFilters(search);
  const results = document.getElementById("results");
  results.setAttribute("aria-busy", "true");
  const who = session();
  try {
    const [answer, all] = await Promise.all([
      api("/search", {
        query: { q: queryText(search), sort: search.sort, page: search.page, page_size: PAGE_SIZE, facet: FACETS, member: who?.member },
      }),
      members(),
    ]);
    await labelClasses((answer.facets.class || []).map((f) => f.value));
    if (ticket !== running) return;
    const heading = el("h2", { id: "results-heading", tabindex: "-1", text: t(answer.total === 1 ? "search.count_one" : "search.count", { count: formatNumber(answer.total) }) });
    fill(results, heading, answer.hits.length ? el("ol", { class: "hits", start: (search.page - 1) * PAGE_SIZE + 1 }, answer.hits.map((hit) => hitItem(hit, all))) : renderEmpty(search, answer));
    renderFacets(search, answer.facets, all);
    renderPaging(search, answer.total);
    announce(t(answer.total === 1 ? "search.count_one" : "search.count", { count: formatNumber(answer.total) }));
    performance.mark("results-shown");
    try {
      performance.measure("search", "search-start", "results-shown");
    } catch {
      // the first load has no search-start mark
    }
    if (who && search.q) recordEvent(who, { type: "search", query: queryText(search) });
  } catch (error) {
    if (ticket !== running) return;
    fill(results, el("p", { class: "error", role: "alert", text: describeError(error) }));
    fill(document.getElementById("facets"));
    fill(document.getElementById("paging"));
  } finally {
    if (ticket === running) results.removeAttribute("aria-busy");
  }
}

function advancedQuery(form) {
  const data = new FormData(form);
  const parts = [];
  const words = String(data.get("words") || "").trim();
  if (words) parts.push(words);
  for (const field of ["title", "author", "subject", "isbn"]) {
    const value = String(data.get(field) || "").trim();
    if (value) parts.push(/\s/.test(value) ? `${field}:"${value.replace(/"/g, "")}"` : `${field}:${value}`);
  }
  const from = String(data.get("year_from") || "").trim();
  const to = String(data.get("year_to") || "").trim();
  if (from || to) parts.push(`year:${from}-${to}`);
  for (const field of ["format", "language"]) {
    const value = String(data.get(field) || "").trim();
    if (value) parts.push(`${field}:${value}`);
  }
  return parts.join(" ");
}

async function main() {
  await boot("index.html", "search.title");
  const form = document.getElementById("search-form");
  const box = document.getElementById("q");
  fieldCompletion(box, document.getElementById("q-options"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    performance.clearMarks();
    performance.mark("search-start");
    go({ ...current(), q: box.value.trim(), page: 1 });
  });
  document.getElementById("sort").addEventListener("change", (event) => {
    performance.clearMarks();
    performance.mark("search-start");
    go({ ...current(), sort: event.target.value, page: 1 });
  });
  document.getElementById("advanced-form").addEventListener("submit", (event) => {
    event.preventDefault();
    performance.clearMarks();
    performance.mark("search-start");
    go({ q: advancedQuery(event.target), filters: [], sort: current().sort, page: 1 });
  });
  window.addEventListener("popstate", run);
  await run();
}

main();
