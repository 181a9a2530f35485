// What the staff sections share: the signed-in staff account (its member, roles and the member's API path, set
// by staff.js), and small pieces of layout: a figure list and a table of counts.

import { el, formatNumber, t } from "./core.js";

/** The signed-in staff account: its id, member, roles and `/members/<id>`. */
export const staff = { account: "", member: "", roles: [], path: "" };

/** A <dl> of figures: [[labelKey, value, helpKey?], ...]; a value null is shown as "not shown". */
export function figures(rows, className = "figures") {
  return el(
    "dl",
    { class: className },
    rows.map(([key, value, help]) => [
      el("dt", { text: t(key) }),
      el("dd", {}, el("span", { class: "figure", text: value === null || value === undefined ? t("staff.not_shown") : typeof value === "number" ? formatNumber(value) : String(value) }), help ? el("span", { class: "help", text: ` ${t(help)}` }) : null),
    ]),
  );
}

/** A table with a caption, its column headings and rows of cells (numbers formatted), in a scrolling box. */
export function table(caption, headings, rows) {
  return el(
    "div",
    { class: "table-wrap" },
    el(
      "table",
      { class: "holdings counts" },
      el("caption", { text: caption }),
      el("thead", {}, el("tr", {}, headings.map((heading, n) => el("th", { scope: "col", class: n ? "num" : null, text: heading })))),
      el(
        "tbody",
        {},
        rows.map((cells) =>
          el(
            "tr",
            {},
            cells.map((cell, n) =>
              n === 0
                ? el("th", { scope: "row", text: cell })
                : el("td", { class: "num", "data-label": headings[n], text: typeof cell === "number" ? formatNumber(cell) : cell }),
            ),
          ),
        ),
      ),
    ),
  );
}
