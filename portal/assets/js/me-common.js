// What the sections of "My library" share: the signed-in reader, a section frame that loads (and reloads) its
// body, an action helper that reports through the status region, and how interest keys and scores read.

import { announce, describeError, el, fill, formatNumber, t } from "./core.js";

/** The signed-in reader: their id, home library and API path (`/readers/<id>`), set by me.js. */
export const me = { reader: "", member: "", path: "" };

const loaders = new Map();

/** An id for `key` that stays the same across redraws (so focus can come back to the same control). */
export function stableId(prefix, key) {
  let hash = 5381;
  for (const char of key) hash = ((hash * 33) ^ char.codePointAt(0)) >>> 0;
  return `${prefix}-${hash.toString(36)}`;
}

/** A <section> with its heading; `load(body, section)` fills the body, now and on each reload(name). After a reload the
 * control that had focus gets it back when it is still there, else the section's heading does. */
export function section(name, titleKey, load) {
  const headingId = `${name}-heading`;
  const heading = el("h2", { id: headingId, tabindex: "-1", text: t(titleKey) });
  const body = el("div", { class: "section-body" });
  const node = el("section", { id: name, class: "me-section", "aria-labelledby": headingId }, heading, body);
  const run = async () => {
    const focused = node.contains(document.activeElement) ? document.activeElement.id : null;
    body.setAttribute("aria-busy", "true");
    try {
      await load(body, node);
    } catch (error) {
      fill(body, el("p", { class: "error", text: describeError(error) }));
    } finally {
      body.removeAttribute("aria-busy");
    }
    if (focused !== null && !node.contains(document.activeElement)) {
      (document.getElementById(focused) || heading).focus();
    }
  };
  loaders.set(name, run);
  run();
  return node;
}

/** Load these sections again (after an action elsewhere changed what they show). */
export function reload(...names) {
  return Promise.all(names.map((name) => loaders.get(name)?.()));
}

/** Run one of the reader's actions; announce `done` when it worked, the reason when not. True when it worked. */
export async function act(action, done) {
  try {
    await action();
    if (done) announce(done);
    return true;
  } catch (error) {
    announce(describeError(error));
    return false;
  }
}

/** A score or weight as the reader reads it: one decimal, in their locale. */
export function amount(value) {
  return formatNumber(Math.round(value * 10) / 10);
}

/** An interest key's kind and its text: `class:clc:TP312` → {kind: "class", text: "CLC TP312"}. */
export function keyParts(key) {
  const [kind, ...rest] = key.split(":");
  if (kind === "class") return { kind, text: `${rest[0].toUpperCase()} ${rest.slice(1).join(":")}` };
  return { kind, text: rest.join(":") };
}

/** The key as one line of text ("Class CLC TP312"), for labels and messages. */
export function keyText(key) {
  const { kind, text } = keyParts(key);
  return `${t(`me.kind.${kind}`)} ${text}`;
}

/** The key as shown in a list: its kind as a small tag, then its text. */
export function keyLabel(key) {
  const { kind, text } = keyParts(key);
  return el("span", { class: "key" }, el("span", { class: "kind", text: t(`me.kind.${kind}`) }), " ", el("span", { class: `key-text key-${kind}`, text }));
}
