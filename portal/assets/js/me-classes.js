// A class tree to pick a class from (CLC, LCC or DDC): GET /classes?scheme=&parent= gives a class's narrower
// classes with their labels in English and Chinese and how many works each has. Choosing a class fills the class
// code field and opens its narrower classes; the trail above goes back up. Where the hub has no /classes (404)
// the picker says so and the code field is all there is.

import { ApiError, announce, api, el, fill, formatNumber, state, t } from "./core.js";

function label(entry) {
  const names = entry.label || {};
  const name = names[state.lang] || names.en || names.zh || "";
  return name ? `${entry.code} ${name}` : entry.code;
}

/** A picker for `scheme()` that writes the chosen code into `field`; returns its element and `reset()` (call it
 * when the scheme changes). */
export function classPicker(scheme, field) {
  const box = el("div", { class: "class-picker", role: "group", "aria-label": t("me.classes.label") });
  let trail = [];

  async function show(focusFirst = false) {
    let answer;
    try {
      answer = await api("/classes", { query: { scheme: scheme(), parent: trail.length ? trail.at(-1).code : null } });
    } catch (error) {
      const missing = error instanceof ApiError && error.status === 404 && !trail.length;
      fill(box, el("p", { class: "help", text: missing ? t("me.classes.unavailable") : t("me.classes.failed") }));
      return;
    }
    const up = el(
      "ol",
      { class: "trail" },
      el("li", {}, el("button", { type: "button", class: "link", onclick: () => go(0), text: t("me.classes.top") })),
      trail.map((entry, index) =>
        el("li", {}, el("button", { type: "button", class: "link", "aria-current": index === trail.length - 1 ? "true" : null, onclick: () => go(index + 1), text: label(entry) })),
      ),
    );
    const list = answer.classes.length
      ? el(
          "ul",
          { class: "class-list" },
          answer.classes.map((entry) =>
            el(
              "li",
              {},
              el("button", { type: "button", class: "link", onclick: () => choose(entry), text: label(entry) }),
              " ",
              el("span", { class: "count", text: t(entry.count === 1 ? "me.classes.works_one" : "me.classes.works", { count: formatNumber(entry.count ?? 0) }) }),
            ),
          ),
        )
      : el("p", { class: "help", text: t("me.classes.no_narrower") });
    fill(box, el("nav", { "aria-label": t("me.classes.trail") }, up), list);
    if (focusFirst) (box.querySelector(".class-list button") || field).focus();
  }

  function choose(entry) {
    trail = [...trail, entry];
    field.value = entry.code;
    announce(t("me.classes.chosen", { label: label(entry) }));
    show(true);
  }

  function go(depth) {
    trail = trail.slice(0, depth);
    field.value = trail.length ? trail.at(-1).code : "";
    show(true);
  }

  show();
  return {
    element: box,
    reset() {
      trail = [];
      show();
    },
  };
}
