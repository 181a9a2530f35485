// The query box offers the query language's fields as you type (an ARIA 1.2 combobox with a list box): typing
// "au" offers "author:", Arrow keys move through the offers, Enter or a click takes one, Escape closes the list.

import { el, fill, t } from "./core.js";

const FIELDS = ["title", "author", "subject", "isbn", "class", "year", "language", "format", "member", "heading"];

/** The word being typed at the caret of `input`: its start and text. */
function wordAtCaret(input) {
  const end = input.selectionStart ?? input.value.length;
  const before = input.value.slice(0, end);
  const start = before.search(/\S*$/);
  return { start, end, word: before.slice(start) };
}

export function fieldCompletion(input, list) {
  let offers = [];
  let active = -1;

  const close = () => {
    offers = [];
    active = -1;
    fill(list);
    list.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
  };

  const take = (field) => {
    const { start, end } = wordAtCaret(input);
    input.value = `${input.value.slice(0, start)}${field}:${input.value.slice(end)}`;
    const caret = start + field.length + 1;
    input.setSelectionRange(caret, caret);
    close();
    input.focus();
  };

  const show = () => {
    const { word } = wordAtCaret(input);
    const typed = word.toLowerCase();
    offers = typed.length >= 1 && !typed.includes(":") ? FIELDS.filter((f) => f.startsWith(typed) && f !== typed) : [];
    if (!offers.length) return close();
    active = -1;
    fill(
      list,
      offers.map((field, index) =>
        el(
          "li",
          {
            id: `q-option-${index}`,
            role: "option",
            "aria-selected": "false",
            onmousedown: (event) => {
              event.preventDefault();
              take(field);
            },
          },
          el("span", { class: "field", text: `${field}:` }),
          " ",
          el("span", { class: "hint", text: t(`field.${field}`) }),
        ),
      ),
    );
    list.hidden = false;
    input.setAttribute("aria-expanded", "true");
  };

  const move = (step) => {
    if (!offers.length) return;
    active = (active + step + offers.length) % offers.length;
    list.querySelectorAll("[role=option]").forEach((node, index) => node.setAttribute("aria-selected", index === active ? "true" : "false"));
    input.setAttribute("aria-activedescendant", `q-option-${active}`);
  };

  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-controls", list.id);
  input.setAttribute("aria-expanded", "false");
  list.setAttribute("role", "listbox");
  list.setAttribute("aria-label", t("search.fields"));
  list.hidden = true;
  input.addEventListener("input", show);
  input.addEventListener("blur", close);
  input.addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown") {
      event.preventDefault();
      if (!offers.length) show();
      move(1);
    } else if (event.key === "ArrowUp") {
      event.preventDefault();
      move(-1);
    } else if (event.key === "Escape") {
      close();
    } else if (event.key === "Enter" && active >= 0) {
      event.preventDefault();
      take(offers[active]);
    }
  });
}
