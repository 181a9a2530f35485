// The member's contribution on one page (GET /members/{id}/contribution): its records and the works it alone
// holds, loans of its works by other members' readers by closed month (figures behind fewer readers than the
// threshold are not shown, and the page says why), and its inter-library loan balance.

import { api, el, fill, formatDate, formatNumber, members, memberName, t } from "./core.js";
import { figures, staff, table } from "./staff-common.js";

const STATES = ["requested", "accepted", "refused", "shipped", "received", "returned", "cancelled"];

function catalogue(data) {
  const formats = Object.entries(data.records_by_format);
  return el(
    "div",
    { class: "panel" },
    el("h3", { text: t("staff.contribution.catalogue") }),
    figures([
      ["staff.contribution.records", data.records],
      ["staff.contribution.works", data.works],
      ["staff.contribution.works_alone", data.works_alone, "staff.contribution.works_alone_help"],
      ["staff.contribution.works_shared", data.works_shared],
      ["staff.contribution.quarantined", data.quarantined],
      ["staff.contribution.sources", t("staff.contribution.sources_value", { sources: formatNumber(data.sources), paused: formatNumber(data.paused_sources) })],
    ]),
    formats.length
      ? table(t("staff.contribution.by_format"), [t("field.format"), t("staff.contribution.records")], formats.map(([format, n]) => [t(`format.${format}`), n]))
      : null,
  );
}

function crossLoans(data, all) {
  // Counted by the analytics job by closed month (a month a week after it ends, then never changed): the latest
  // month's figures, by the readers' library, and the last twelve months.
  const heading = el("h3", { text: t("staff.contribution.cross") });
  const intro = el("p", { class: "help", text: t("staff.contribution.cross_help", { min: formatNumber(data.min_readers) }) });
  if (data.period === null) {
    return el("div", { class: "panel", id: "cross-loans" }, heading, intro, el("p", { class: "notice", text: t("staff.contribution.cross_none") }));
  }
  const latest = data.suppressed
    ? el("p", { class: "notice", text: t("staff.contribution.cross_suppressed", { min: formatNumber(data.min_readers), month: data.period }) })
    : figures([
        ["staff.contribution.cross_month", data.period],
        ["staff.contribution.cross_readers", data.readers],
        ["staff.contribution.cross_loans", data.loans],
      ]);
  // by the readers' library: the latest month with figures shown (the latest may be suppressed)
  const shown = data.by_month.find((month) => !month.suppressed);
  const rows = shown ? shown.by_member.map((cell) => [cell.member ? memberName(all, cell.member) : t("staff.contribution.other_members"), cell.readers, cell.loans]) : [];
  const months = data.by_month.map((month) => [
    month.period,
    month.suppressed ? t("staff.not_shown") : month.readers,
    month.suppressed ? t("staff.not_shown") : month.loans,
  ]);
  return el(
    "div",
    { class: "panel", id: "cross-loans" },
    heading,
    intro,
    latest,
    rows.length
      ? table(t("staff.contribution.by_borrower_in", { month: shown.period }), [t("staff.contribution.borrower"), t("staff.contribution.cross_readers"), t("staff.contribution.cross_loans")], rows)
      : null,
    months.length
      ? table(t("staff.contribution.by_month"), [t("staff.contribution.cross_month"), t("staff.contribution.cross_readers"), t("staff.contribution.cross_loans")], months)
      : null,
    el("p", { class: "help", text: t("staff.contribution.cross_frozen", { at: formatDate(data.computed_at, true) }) }),
  );
}

function balance(data) {
  const rows = STATES.filter((state) => data.lending[state] || data.borrowing[state]).map((state) => [
    t(`staff.ill.state.${state}`),
    data.lending[state] || 0,
    data.borrowing[state] || 0,
  ]);
  const sign = data.balance > 0 ? "staff.contribution.balance_gives" : data.balance < 0 ? "staff.contribution.balance_takes" : "staff.contribution.balance_even";
  return el(
    "div",
    { class: "panel", id: "ill-balance" },
    el("h3", { text: t("staff.contribution.ill") }),
    figures([
      ["staff.contribution.lent", data.lent, "staff.contribution.sent_so_far"],
      ["staff.contribution.borrowed", data.borrowed, "staff.contribution.sent_so_far"],
      ["staff.contribution.balance", data.balance > 0 ? `+${formatNumber(data.balance)}` : formatNumber(data.balance)],
    ]),
    el("p", { class: "help", text: t(sign) }),
    rows.length ? table(t("staff.contribution.by_state"), [t("staff.ill.state_label"), t("staff.ill.lending"), t("staff.ill.borrowing")], rows) : el("p", { text: t("staff.ill.none_yet") }),
  );
}

export async function contributionSection(body) {
  const [data, all] = await Promise.all([api(`${staff.path}/contribution`), members().catch(() => ({}))]);
  fill(
    body,
    catalogue(data.catalogue),
    crossLoans(data.cross_member_loans, all),
    balance(data.interlibrary_loans),
    el("p", { class: "help", text: t("staff.contribution.computed", { at: formatDate(data.catalogue.computed_at, true) }) }),
  );
}
