// New books (the seed's 新书通报): browse a classification tree (CLC, LCC, DDC) and a period; the works the
// consortium first had in that period, in that class and below it, newest first. For anyone, no sign-in.

import { announce, api, boot, describeError, el, fill, formatDate, formatNumber, members, memberName, state, t } from "./core.js";

const SCHEMES = ["clc", "lcc", "ddc"];
const PERIODS = [7, 30, 90, 180, 365];
const LIMIT = 50;

function current() {
  const params = new URLSearchParams(location.search);
  const scheme = SCHEMES.includes(params.get("scheme")) ? params.get("scheme") : "clc";
  const code = params.get("class") || "";
  const days = PERIODS.includes(Number(params.get("days"))) ? Number(params.get("days")) : 30;
  return { scheme, code, days };
}

function address(view) {
  const params = new URLSearchParams({ scheme: view.scheme, days: String(view.days) });
  if (view.code) params.set("class", view.code);
  return `?${params}`;
}

function go(view) {
  history.pushState(null, "", address(view));
  run();
}

function link(view, text) {
  return el("a", {
    href: address(view),
    onclick: (event) => {
      event.preventDefault();
      go(view);
    },
    text,
  });
}

function label(entry) {
  const names = entry.label || {};
  const name = names[state.lang] || names.en || "";
  return name ? `${entry.code} ${name}` : entry.code;
}

async function classTree(view) {
  const box = document.getElementById("classes");
  box.setAttribute("aria-busy", "true");
  try {
    const answer = await api("/classes", { query: { scheme: view.scheme, parent: view.code || null, days: view.days } });
    const trail = answer.path || [];
    fill(
      box,
      el("h2", { id: "classes-heading", text: t("new.classes") }),
      el(
        "nav",
        { class: "trail", "aria-label": t("new.classes") },
        el("ol", {}, el("li", {}, link({ ...view, code: "" }, t("new.all_classes"))), trail.map((a) => el("li", {}, link({ ...view, code: a.code }, label(a))))),
      ),
      answer.classes.some((entry) => entry.count > 0)
        ? el(
            "ul",
            { class: "class-list" },
            answer.classes.filter((entry) => entry.count > 0).map((entry) =>
              el("li", {}, link({ ...view, code: entry.code }, label(entry)), " ", el("span", { class: "count", text: formatNumber(entry.count ?? 0) })),
            ),
          )
        : null,
    );
  } catch (error) {
    fill(box, el("p", { class: "error", text: describeError(error) }));
  } finally {
    box.removeAttribute("aria-busy");
  }
}

async function newBooks(view) {
  const box = document.getElementById("new-books");
  box.setAttribute("aria-busy", "true");
  try {
    const [answer, all] = await Promise.all([
      api("/new-books", { query: { class: view.code ? `${view.scheme}:${view.code}` : null, days: view.days, limit: LIMIT } }),
      members(),
    ]);
    const heading = el("h2", { id: "new-heading", text: t(answer.works.length === 1 && !answer.more ? "new.count_one" : "new.count", { count: formatNumber(answer.works.length) + (answer.more ? "+" : "") }) });
    const list = answer.works.length
      ? el(
          "ol",
          { class: "hits" },
          answer.works.map((work) =>
            el(
              "li",
              { class: "hit" },
              el("h3", {}, el("a", { href: `work.html?id=${encodeURIComponent(work.cluster_id)}`, text: work.title })),
              work.authors.length ? el("p", { class: "authors", text: work.authors.join("; ") }) : null,
              el(
                "p",
                { class: "meta" },
                work.year ? el("span", { text: String(work.year) }) : null,
                el("span", { text: t("new.first_seen", { date: formatDate(work.first_seen) }) }),
                el("span", { title: work.members.map((m) => memberName(all, m)).join(", "), text: t(work.members.length === 1 ? "search.held_one" : "search.held_many", { count: formatNumber(work.members.length) }) }),
              ),
            ),
          ),
        )
      : el("p", { class: "empty", text: t("new.none") });
    const more = answer.more
      ? el("p", {}, el("a", { href: `index.html?${new URLSearchParams({ q: view.code ? `class:${view.scheme}:${view.code}` : "", sort: "newest" })}`, text: t("new.more") }))
      : null;
    fill(box, heading, list, more);
    announce(heading.textContent);
  } catch (error) {
    fill(box, el("p", { class: "error", role: "alert", text: describeError(error) }));
  } finally {
    box.removeAttribute("aria-busy");
  }
}

function controls(view) {
  const schemes = el(
    "fieldset",
    { class: "schemes" },
    el("legend", { text: t("new.scheme") }),
    SCHEMES.map((scheme) =>
      el(
        "label",
        {},
        el("input", { type: "radio", name: "scheme", value: scheme, checked: scheme === view.scheme, onchange: () => go({ ...view, scheme, code: "" }) }),
        " ",
        t(`scheme.${scheme}`),
      ),
    ),
  );
  const period = el(
    "div",
    { class: "period" },
    el("label", { for: "days", text: t("new.period") }),
    el(
      "select",
      { id: "days", onchange: (event) => go({ ...view, days: Number(event.target.value) }) },
      PERIODS.map((days) => el("option", { value: String(days), selected: days === view.days, text: t("new.days", { days: formatNumber(days) }) })),
    ),
  );
  fill(document.getElementById("new-controls"), schemes, period);
}

async function run() {
  const view = current();
  controls(view);
  await Promise.all([classTree(view), newBooks(view)]);
}

async function main() {
  await boot("new.html", "new.title");
  window.addEventListener("popstate", run);
  await run();
}

main();
