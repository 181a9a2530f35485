// Reader analytics for staff (GET /analytics): one breakdown of one metric by month, as a chart (Apache ECharts,
// served by the hub itself: assets/vendor/echarts.min.js) and as the table it is drawn from, with a CSV download
// (GET /analytics/export). Every figure is an aggregate of at least ten readers who consented to analytics;
// "(other)" sums the values too small to show. Staff only: a reader's token gets 403.

import { announce, api, boot, describeError, el, fill, formatDate, formatNumber, members, memberName, t } from "./core.js";

const METRICS = ["searches", "views", "loans", "push_delivered", "push_opened", "push_deleted", "push_not_interested", "push_muted"];
const TABLES = ["member", "discipline", "degree_level", "class", "subclass", "subject", "reach", "holder", "borrower", "held_by", "borrowed_by", "zero_result", "total"];
const WITH_PARENT = new Set(["subclass", "borrower", "borrowed_by"]);
const MOST_SERIES = 8;
const OTHER = "(other)";

let chart = null;
let allMembers = {};

function current() {
  const params = new URLSearchParams(location.search);
  const metric = METRICS.includes(params.get("metric")) ? params.get("metric") : "searches";
  const table = TABLES.includes(params.get("table")) ? params.get("table") : "member";
  return {
    metric,
    table,
    start: params.get("start") || "",
    end: params.get("end") || "",
    parent: WITH_PARENT.has(table) ? params.get("parent") || "" : "",
  };
}

function query(view) {
  return { table: view.table, metric: view.metric, start: view.start, end: view.end, parent: view.parent };
}

function valueLabel(table, value) {
  if (value === OTHER) return t("an.other");
  if (value === "*") return t("an.all");
  if (["member", "holder", "borrower", "held_by", "borrowed_by"].includes(table)) {
    if (value === "several") return t("an.several");
    if (value === "none") return t("an.none");
    return memberName(allMembers, value);
  }
  if (table === "reach") return t(`an.reach.${value}`);
  if (value === "none") return t("an.none");
  if (value === "unknown") return t("an.unknown");
  return value.replace(/^subject:/, "");
}

function select(id, labelKey, options, chosen) {
  return el(
    "label",
    { for: id },
    t(labelKey),
    " ",
    el(
      "select",
      { id, name: id.replace("an-", "") },
      options.map(([value, text]) => el("option", { value, selected: value === chosen ? "selected" : null, text })),
    ),
  );
}

function controls(view, periods) {
  const months = [["", t("an.any_month")], ...periods.map((p) => [p, p])];
  const form = document.getElementById("an-controls");
  // what to type under: a main class with its scheme (a subject librarian's class range) or a holding library
  const parent = el(
    "span",
    { class: "parent-field", hidden: WITH_PARENT.has(view.table) ? null : "hidden" },
    el("label", { for: "an-parent" }, t("an.parent"), " ", el("input", { id: "an-parent", name: "parent", value: view.parent, size: "12", "aria-describedby": "an-parent-help" })),
    " ",
    el("span", { id: "an-parent-help", class: "help", text: t("an.parent_help") }),
  );
  fill(
    form,
    select("an-metric", "an.metric", METRICS.map((m) => [m, t(`an.metric.${m}`)]), view.metric),
    select("an-table", "an.table", TABLES.map((name) => [name, t(`an.table.${name}`)]), view.table),
    select("an-start", "an.start", months, view.start),
    select("an-end", "an.end", months, view.end),
    parent,
    el("button", { type: "submit", text: t("an.show") }),
  );
  form.onsubmit = (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const next = {
      metric: data.get("metric"),
      table: data.get("table"),
      start: data.get("start") || "",
      end: data.get("end") || "",
      parent: WITH_PARENT.has(data.get("table")) ? (data.get("parent") || "").trim() : "",
    };
    const params = new URLSearchParams(Object.entries(next).filter(([, v]) => v));
    history.pushState(null, "", `?${params}`);
    run();
  };
  form.querySelector("#an-table").onchange = (event) => {
    parent.hidden = !WITH_PARENT.has(event.target.value);
  };
}

function drawChart(view, rows, periods) {
  const node = document.getElementById("an-chart");
  if (typeof window.echarts === "undefined") {
    fill(node, el("p", { class: "error", text: t("an.no_chart") }));
    return;
  }
  const months = periods.filter((p) => (!view.start || p >= view.start) && (!view.end || p <= view.end));
  const totals = new Map();
  for (const row of rows) totals.set(row.value, (totals.get(row.value) || 0) + row.events);
  const shown = [...totals.keys()].filter((v) => v !== OTHER).sort((a, b) => totals.get(b) - totals.get(a)).slice(0, MOST_SERIES);
  if (totals.has(OTHER)) shown.push(OTHER);
  const series = shown.map((value) => ({
    name: valueLabel(view.table, value),
    type: "bar",
    stack: view.table === "zero_result" ? null : "all",
    emphasis: { focus: "series" },
    data: months.map((month) => rows.filter((r) => r.period === month && r.value === value).reduce((sum, r) => sum + r.events, 0)),
  }));
  chart ??= window.echarts.init(node, null, { renderer: "canvas" });
  chart.setOption(
    {
      aria: { enabled: true },
      animation: false,
      tooltip: { trigger: "axis" },
      legend: { type: "scroll", top: 0 },
      grid: { left: 48, right: 16, top: 48, bottom: 32 },
      xAxis: { type: "category", data: months },
      yAxis: { type: "value", name: t("an.events"), minInterval: 1 },
      series,
    },
    true,
  );
  node.setAttribute("role", "img");
  node.setAttribute("aria-label", t("an.chart_label", { metric: t(`an.metric.${view.metric}`), table: t(`an.table.${view.table}`) }));
}

function drawTable(view, rows) {
  const head = ["an.col.period", ...(WITH_PARENT.has(view.table) || view.table === "holder" ? ["an.col.parent"] : []), "an.col.value", "an.col.events", "an.col.readers"];
  const withParent = head.includes("an.col.parent");
  const parentTable = { subclass: "class", borrower: "holder", holder: "reach", borrowed_by: "held_by" }[view.table];
  fill(
    document.getElementById("an-figures"),
    rows.length
      ? el(
          "table",
          { class: "holdings", id: "an-rows" },
          el("caption", { class: "visually-hidden", text: t("an.table_caption") }),
          el("thead", {}, el("tr", {}, head.map((key) => el("th", { scope: "col", text: t(key) })))),
          el(
            "tbody",
            {},
            rows.map((row) =>
              el(
                "tr",
                {},
                el("td", { text: row.period }),
                withParent ? el("td", { text: valueLabel(parentTable, row.parent) }) : null,
                el("td", { text: valueLabel(view.table, row.value) }),
                el("td", { text: formatNumber(row.events) }),
                el("td", { text: formatNumber(row.readers) }),
              ),
            ),
          ),
        )
      : el("p", { text: t(view.table === "zero_result" && view.metric !== "searches" ? "an.zero_result_searches" : "an.empty") }),
  );
}

async function download(view) {
  try {
    const answer = await api("/analytics/export", { query: query(view), raw: true });
    const blob = await answer.blob();
    const link = el("a", { href: URL.createObjectURL(blob), download: `analytics-${view.table}-${view.metric}.csv` });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 1000);
    announce(t("an.downloaded"));
  } catch (error) {
    announce(describeError(error));
  }
}

async function run() {
  const view = current();
  const message = document.getElementById("an-message");
  const results = document.getElementById("an-results");
  try {
    const answer = await api("/analytics", { query: query(view) });
    controls(view, answer.periods);
    results.hidden = false;
    fill(message);
    document.getElementById("an-results-heading").textContent = t("an.results", {
      metric: t(`an.metric.${view.metric}`),
      table: t(`an.table.${view.table}`),
    });
    document.getElementById("an-built").textContent = t("an.built", {
      at: formatDate(answer.built_at, true),
      k: formatNumber(answer.min_readers),
    });
    drawChart(view, answer.rows, answer.periods);
    drawTable(view, answer.rows);
    document.getElementById("an-csv").onclick = () => download(view);
    announce(t("an.shown", { count: formatNumber(answer.rows.length) }));
  } catch (error) {
    results.hidden = true;
    controls(view, []);
    const status = error && error.status;
    const text = status === 404 ? t("an.not_built") : status === 403 ? t("an.staff_only") : describeError(error);
    fill(message, el("span", { class: "error", text }));
    announce(text);
  }
}

await boot("analytics.html", "an.title", ["analytics"]);
try {
  allMembers = await members();
} catch {
  allMembers = {};
}
window.addEventListener("popstate", run);
window.addEventListener("resize", () => chart && chart.resize());
await run();
