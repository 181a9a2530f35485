// The reader's interests: what they declared (each weight editable, removable) beside what the hub learned from
// their activity (followable, removable), a form to declare a new one (a class picked from the tree, a subject or
// an author), and the drift prompt when their reading has moved (follow the change or dismiss it).

import { announce, api, describeError, el, fill, formatNumber, state, t } from "./core.js";
import { classPicker } from "./me-classes.js";
import { act, amount, keyLabel, keyText, me, reload, section, stableId } from "./me-common.js";

const DEFAULT_WEIGHT = 5;
const MAX_WEIGHT = 100;
const SCHEMES = ["clc", "lcc", "ddc"];
const KINDS = ["class", "subject", "author"];

function declare(key, weight, done) {
  return act(() => api(`${me.path}/interests`, { method: "PUT", body: { key, weight } }), done);
}

async function removeInterest(key) {
  const query = { key };
  if (await act(() => api(`${me.path}/interests`, { method: "DELETE", query }), t("me.interests.removed", { key: keyText(key) }))) {
    reload("interests");
  }
}

function removeButton(key, column) {
  return el(
    "button",
    { type: "button", id: stableId(`remove-${column}`, key), class: "secondary small", onclick: () => removeInterest(key) },
    t("me.remove"),
    el("span", { class: "visually-hidden", text: ` ${keyText(key)}` }),
  );
}

function declaredRow(interest) {
  const id = stableId("weight", interest.key);
  const input = el("input", { id, type: "number", min: "0.1", max: String(MAX_WEIGHT), step: "0.1", required: true, value: String(interest.weight), class: "weight" });
  const form = el(
    "form",
    {
      class: "inline-form",
      onsubmit: async (event) => {
        event.preventDefault();
        if (!input.reportValidity()) return;
        const done = t("me.interests.saved", { key: keyText(interest.key), weight: amount(Number(input.value)) });
        if (await declare(interest.key, Number(input.value), done)) reload("interests");
      },
    },
    el("label", { for: id }, t("me.interests.weight"), el("span", { class: "visually-hidden", text: ` ${keyText(interest.key)}` })),
    input,
    el("button", { type: "submit", id: stableId("save", interest.key), class: "small", text: t("me.save") }),
  );
  return el("li", { class: "interest" }, keyLabel(interest.key), el("div", { class: "actions" }, form, removeButton(interest.key, "declared")));
}

/** Why a learned interest is there: the reader's events that taught it, by type, each with the latest. */
function because(interest) {
  if (!interest.because?.length) return null;
  const parts = interest.because.map((b) => t(b.count === 1 ? `me.because.${b.type}_one` : `me.because.${b.type}`, { count: formatNumber(b.count), what: b.latest }));
  return el("p", { class: "because meta", text: t("me.because.intro", { list: parts.join(state.lang === "zh" ? "；" : "; ") }) });
}

/** A learned score in words a reader understands: its share of the strongest learned interest (of one recent
 * view's worth, when every interest is weaker than that, so a single search reads as slight, not strong). */
export function level(score, strongest) {
  const share = score / Math.max(1, strongest);
  return share >= 0.6 ? "strong" : share >= 0.25 ? "some" : "slight";
}

function learnedRow(interest, strongest) {
  const follow = interest.declared
    ? el("span", { class: "tag", text: t("me.interests.also_declared") })
    : el(
        "button",
        {
          type: "button",
          id: stableId("follow", interest.key),
          class: "small",
          onclick: async () => {
            if (await declare(interest.key, DEFAULT_WEIGHT, t("me.interests.followed", { key: keyText(interest.key) }))) {
              await reload("interests");
              document.getElementById(stableId("weight", interest.key))?.focus(); // its weight, to set it now
            }
          },
        },
        t("me.interests.follow"),
        el("span", { class: "visually-hidden", text: ` ${keyText(interest.key)}` }),
      );
  return el(
    "li",
    { class: "interest" },
    keyLabel(interest.key),
    el(
      "div",
      { class: "strength" },
      el("meter", { min: "0", max: String(strongest), value: String(interest.learned_score), "aria-hidden": "true" }),
      el("span", { text: t(`me.interests.level.${level(interest.learned_score, strongest)}`) }),
    ),
    because(interest),
    el("div", { class: "actions" }, follow, removeButton(interest.key, "learned")),
  );
}

function column(headingKey, id, items, emptyKey, helpKey = null) {
  return el(
    "div",
    { class: "column" },
    el("h3", { id, text: t(headingKey) }),
    helpKey && items.length ? el("p", { class: "help", text: t(helpKey) }) : null,
    items.length ? el("ul", { class: "interest-list", "aria-labelledby": id }, items) : el("p", { class: "empty", text: t(emptyKey) }),
  );
}

function field(id, labelKey, input, helpKey) {
  const help = helpKey ? el("p", { id: `${id}-help`, class: "help", text: t(helpKey) }) : null;
  if (help) input.setAttribute("aria-describedby", help.id);
  return el("div", { class: "field" }, el("label", { for: id, text: t(labelKey) }), input, help);
}

function addForm() {
  const message = el("p", { class: "error", role: "alert" });
  const scheme = el("select", { id: "add-scheme" }, SCHEMES.map((s) => el("option", { value: s, text: t(`scheme.${s}`) })));
  const code = el("input", { id: "add-code", type: "text", autocomplete: "off", spellcheck: "false" });
  const subject = el("input", { id: "add-subject", type: "text", autocomplete: "off" });
  const author = el("input", { id: "add-author", type: "text", autocomplete: "off" });
  const weight = el("input", { id: "add-weight", type: "number", min: "0.1", max: String(MAX_WEIGHT), step: "0.1", value: String(DEFAULT_WEIGHT), required: true, class: "weight" });
  const picker = classPicker(() => scheme.value, code);
  scheme.addEventListener("change", () => {
    code.value = "";
    picker.reset();
  });
  const panels = {
    class: el("div", { class: "panel" }, field("add-scheme", "new.scheme", scheme), picker.element, field("add-code", "me.add.code", code, "me.add.code_help")),
    subject: el("div", { class: "panel", hidden: true }, field("add-subject", "me.kind.subject", subject, "me.add.subject_help")),
    author: el("div", { class: "panel", hidden: true }, field("add-author", "me.kind.author", author, "me.add.author_help")),
  };
  let kind = "class";
  const kinds = el(
    "fieldset",
    { class: "choices" },
    el("legend", { text: t("me.add.kind") }),
    KINDS.map((k) =>
      el(
        "label",
        {},
        el("input", {
          type: "radio",
          name: "add-kind",
          value: k,
          checked: k === kind,
          onchange: () => {
            kind = k;
            for (const [name, panel] of Object.entries(panels)) panel.hidden = name !== k;
          },
        }),
        " ",
        t(`me.kind.${k}`),
      ),
    ),
  );
  const form = el(
    "form",
    {
      class: "add-interest",
      "aria-labelledby": "add-heading",
      onsubmit: async (event) => {
        event.preventDefault();
        fill(message);
        const input = { class: code, subject, author }[kind];
        for (const one of [code, subject, author]) one.removeAttribute("aria-invalid");
        const refuse = (text) => {
          fill(message, text);
          input.setAttribute("aria-invalid", "true");
          input.focus(); // the field to correct
        };
        const typed = input.value.trim();
        const value = kind === "class" ? typed.replace(/\s+/g, "") : typed; // "TP 312" is TP312
        if (!value) return refuse(t("me.add.empty"));
        if (!weight.reportValidity()) return null;
        const key = kind === "class" ? `class:${scheme.value}:${value}` : `${kind}:${value}`;
        try {
          await api(`${me.path}/interests`, { method: "PUT", body: { key, weight: Number(weight.value) } });
        } catch (error) {
          // the weight is checked above: a refused key is what the reader typed, said in their words (not the API's)
          if (error.code === "invalid_field" && error.field === "key") return refuse(t(`me.add.bad_${kind}`, { value: typed, scheme: t(`scheme.${scheme.value}`) }));
          return refuse(describeError(error));
        }
        for (const input of [code, subject, author]) input.value = "";
        announce(t("me.add.done", { key: keyText(key) }));
        return reload("interests");
      },
    },
    el("h3", { id: "add-heading", text: t("me.add.title") }),
    kinds,
    Object.values(panels),
    field("add-weight", "me.interests.weight", weight, "me.add.weight_help"),
    el("button", { type: "submit", id: "add-submit", text: t("me.add.submit") }),
    message,
  );
  return form;
}

async function drawInterests(body) {
  const { interests } = await api(`${me.path}/interests`);
  const declared = interests.filter((i) => i.declared);
  // strongest learned first (the API ranks by the whole score, a declared weight included)
  const learned = interests.filter((i) => i.learned && i.learned_score > 0).sort((a, b) => b.learned_score - a.learned_score);
  const strongest = Math.max(1, ...learned.map((i) => i.learned_score));
  const form = body.querySelector(".add-interest") || addForm();
  fill(
    body,
    el("p", { class: "help", text: t("me.interests.intro") }),
    el(
      "div",
      { class: "columns" },
      column("me.interests.declared", "declared-heading", declared.map(declaredRow), "me.interests.none_declared"),
      column("me.interests.learned", "learned-heading", learned.map((i) => learnedRow(i, strongest)), "me.interests.none_learned", "me.interests.level_help"),
    ),
    form,
  );
}

export function interestsSection() {
  return section("interests", "me.interests.title", drawInterests);
}

// ---- the drift prompt -----------------------------------------------------------------------------------------

function keyList(headingKey, keys) {
  if (!keys.length) return null;
  return el("div", {}, el("h3", { text: t(headingKey) }), el("ul", { class: "chips" }, keys.map((key) => el("li", { class: "chip" }, keyLabel(key)))));
}

async function drawPrompt(body, node) {
  const { prompts } = await api(`${me.path}/prompts`);
  node.hidden = !prompts.length;
  if (!prompts.length) return fill(body);
  const prompt = prompts.at(-1);
  const answer = (accept) => async () => {
    const done = t(accept ? "me.prompt.followed" : "me.prompt.dismissed");
    const ok = await act(() => api(`${me.path}/prompts/${encodeURIComponent(prompt.prompt_id)}`, { method: "POST", body: { accept } }), done);
    if (ok) {
      await reload("prompt", "interests");
      document.getElementById("interests-heading").focus();
    }
  };
  return fill(
    body,
    el("p", { class: "prompt-text", text: state.lang === "zh" ? prompt.text_zh : prompt.text_en }),
    el("div", { class: "prompt-keys" }, keyList("me.prompt.rising", prompt.rising), keyList("me.prompt.fading", prompt.fading)),
    el(
      "div",
      { class: "actions" },
      el("button", { type: "button", id: "prompt-accept", onclick: answer(true), text: t("me.prompt.accept") }),
      el("button", { type: "button", id: "prompt-dismiss", class: "secondary", onclick: answer(false), text: t("me.prompt.dismiss") }),
    ),
    el("p", { class: "help", text: t("me.prompt.explain") }),
  );
}

export function promptSection() {
  const node = section("prompt", "me.prompt.title", drawPrompt);
  node.classList.add("prompt");
  node.hidden = true;
  return node;
}
