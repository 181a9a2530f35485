// The member's harvests, for its administrators: harvest the library's sources now, follow the latest runs (what
// each read, added, changed, quarantined and withdrawn, and why a source failed), and read the records in quarantine, each
// with its reason and where it is in the source, with its raw bytes to download as they were harvested. A reason
// is said in the librarian's language by its code (`reason_code`), the hub's English words a click away (what a
// ticket quotes); a reason without a code the page knows (quarantined before codes) is the English words alone.

import { ApiError, announce, api, describeError, el, fill, formatDate, formatNumber, has, session, state, t } from "./core.js";
import { reload, stableId } from "./me-common.js";
import { staff, table } from "./staff-common.js";

const RUNS = 5;
const QUARANTINE = 20;
const ACTIVE = new Set(["queued", "running"]);

async function harvestNow() {
  try {
    await api(`${staff.path}/harvests`, { method: "POST", body: {} });
    await reload("harvests");
    announce(t("staff.harvests.started"));
  } catch (error) {
    // a harvest of this library is already queued or running (the API names it)
    announce(error instanceof ApiError && error.code === "in_progress" ? t("staff.harvests.busy") : describeError(error));
  }
}

function actions(latest) {
  const busy = latest && ACTIVE.has(latest.state);
  return el(
    "div",
    { class: "actions" },
    busy ? el("p", { class: "notice", text: t("staff.harvests.under_way", { state: t(`staff.harvests.state.${latest.state}`) }) }) : null,
    el("button", { type: "button", id: "harvest-now", class: busy ? "secondary" : null, onclick: busy ? () => reload("harvests") : harvestNow, text: t(busy ? "staff.harvests.check" : "staff.harvests.now") }),
  );
}

function runRows(runs) {
  return runs.map((run) => [
    formatDate(run.requested_at, true),
    t(`staff.harvests.trigger.${run.trigger}`),
    t(`staff.harvests.state.${run.state}`),
    run.records,
    run.counts.added,
    run.counts.changed,
    run.counts.unchanged,
    run.counts.deleted,
    run.counts.quarantined,
  ]);
}

function problems(run) {
  const said = run.sources.filter((source) => source.error || source.state !== "succeeded");
  // records the library's complete file no longer gives: withdrawn, or withheld until the library confirms them
  const gone = run.sources.filter((source) => source.counts.withdrawn || source.notice);
  if (!said.length && !gone.length && !run.error) return null;
  return el(
    "ul",
    { class: "problems" },
    run.error && !said.some((source) => source.error) ? el("li", {}, ...explained(run.error_code, run.error)) : null,
    said.map((source) =>
      el("li", {}, t("staff.harvests.source_state", { source: source.source, state: t(`staff.harvests.state.${source.state}`) }), ...explained(source.error_code, source.error)),
    ),
    gone.map((source) =>
      el("li", { text: source.counts.withheld ? t("staff.harvests.withheld", { source: source.source, count: formatNumber(source.counts.withheld) }) : t("staff.harvests.withdrawn", { source: source.source, count: formatNumber(source.counts.withdrawn) }) }),
    ),
  );
}

/** What went wrong in the page's language by its code, then the hub's own words (the server's answer, the file),
 * which are English, in a smaller line marked as such. */
function explained(code, error) {
  if (!error) return [];
  const key = `staff.harvests.error.${code}`;
  const said = code && t(key) !== key ? ` ${t(key)}` : "";
  return [said, el("span", { class: "detail" }, ` ${t("staff.harvests.detail")} `, el("span", { lang: "en", text: error }))];
}

function runsPanel(runs) {
  const heading = el("h3", { text: t("staff.harvests.runs") });
  if (!runs.length) return el("div", { class: "panel", id: "harvest-runs" }, heading, el("p", { text: t("staff.harvests.no_runs") }));
  const columns = ["asked", "trigger", "state", "read", "added", "changed", "unchanged", "deleted", "quarantined"];
  return el(
    "div",
    { class: "panel", id: "harvest-runs" },
    heading,
    table(t("staff.harvests.runs_caption", { count: formatNumber(runs.length) }), columns.map((key) => t(`staff.harvests.col.${key}`)), runRows(runs)),
    problems(runs[0]),
  );
}

async function download(item) {
  try {
    // the bytes as they were harvested: the API answers them only to a request that accepts them (not JSON)
    const url = new URL(`${state.config.api}${staff.path}/quarantine/${encodeURIComponent(item.item_id)}/raw`, location.href);
    const answer = await fetch(url, { headers: { Accept: "application/octet-stream", Authorization: `Bearer ${session()?.token}` } });
    if (!answer.ok) throw new ApiError(answer.status, answer.statusText, await answer.json().catch(() => ({})));
    const name = /filename="([^"]+)"/.exec(answer.headers.get("Content-Disposition") || "")?.[1] || `${item.source_id}-${item.local_id || "record"}`;
    const link = el("a", { href: URL.createObjectURL(await answer.blob()), download: name });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 1000);
    announce(t("staff.harvests.downloaded", { file: name }));
  } catch (error) {
    announce(describeError(error));
  }
}

/** Why the record is in quarantine: in the librarian's language by its code, with the hub's English words under
 * "The hub's own words"; on an English page, or without a code the page knows, the English words alone. */
function reasonOf(item) {
  const key = `staff.harvests.reason.${item.reason_code}`;
  if (state.lang === "en" || !item.reason_code || !has(key)) return el("p", { class: "reason", lang: "en", text: item.reason });
  return [
    el("p", { class: "reason", text: t(key, { field: item.reason_field || "—" }) }),
    el("details", { class: "original" }, el("summary", { text: t("staff.harvests.original") }), el("p", { class: "reason-en", lang: "en", text: item.reason })),
  ];
}

function quarantineItem(item) {
  const id = stableId("quarantined", item.item_id);
  return el(
    "li",
    { class: "item quarantined", "aria-labelledby": id },
    el("h4", { id, text: t("staff.harvests.where", { source: item.source_id, position: item.position }) }),
    item.local_id ? el("p", { class: "meta", text: t("staff.harvests.local_id", { id: item.local_id }) }) : null,
    reasonOf(item),
    el("p", { class: "help", text: t("staff.harvests.since", { at: formatDate(item.quarantined_at, true) }) }),
    el("button", { type: "button", class: "small secondary", "aria-describedby": id, onclick: () => download(item), text: t("staff.harvests.raw") }),
  );
}

function quarantinePanel(page) {
  return el(
    "div",
    { class: "panel", id: "quarantine" },
    el("h3", { text: t("staff.harvests.quarantine") }),
    page.total
      ? [
          el("p", { class: "help", text: t("staff.harvests.quarantine_help") }),
          el("p", { text: t(page.total > page.items.length ? "staff.harvests.quarantine_some" : page.total === 1 ? "staff.harvests.quarantine_one" : "staff.harvests.quarantine_count", { total: formatNumber(page.total), shown: formatNumber(page.items.length) }) }),
          el("ul", { class: "items" }, page.items.map(quarantineItem)),
        ]
      : el("p", { text: t("staff.harvests.quarantine_none") }),
  );
}

export async function harvestsSection(body) {
  const [runs, quarantined] = await Promise.all([
    api(`${staff.path}/harvests`, { query: { limit: RUNS } }),
    api(`${staff.path}/quarantine`, { query: { limit: QUARANTINE } }),
  ]);
  fill(body, el("p", { class: "help", text: t("staff.harvests.intro") }), actions(runs.runs[0]), runsPanel(runs.runs), quarantinePanel(quarantined));
}
