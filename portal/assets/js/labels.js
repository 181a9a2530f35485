// Labels for codes the API returns (formats, languages, facet values), and the events a signed-in reader's
// searches and views become (the hub keeps them only under the reader's consent; it answers "dropped" otherwise).

import { api, memberName, state, t } from "./core.js";

const LANGUAGE_NAMES = { en: "en", zh: "zh-Hans" };

// ISO 639-2/B codes the catalogues use, mapped to the BCP 47 tags Intl.DisplayNames knows.
const BCP47 = { chi: "zh", eng: "en", fre: "fr", ger: "de", jpn: "ja", kor: "ko", rus: "ru", spa: "es", ita: "it", por: "pt", ara: "ar", lat: "la", dut: "nl", swe: "sv", gre: "el" };

export function formatLabel(format) {
  const key = `format.${format}`;
  const label = t(key);
  return label === key ? format : label;
}

export function languageLabel(code) {
  const tag = BCP47[code] || code;
  try {
    const names = new Intl.DisplayNames([LANGUAGE_NAMES[state.lang] || "en"], { type: "language" });
    const name = names.of(tag);
    return name && name !== tag ? name : code;
  } catch {
    return code;
  }
}

/** How a facet value is shown: member names, format and language names; classes and subjects as they are. */
export function facetLabel(facet, value, allMembers) {
  if (facet === "member") return memberName(allMembers, value);
  if (facet === "format") return formatLabel(value);
  if (facet === "language") return languageLabel(value);
  return value;
}

/** Tell the hub what the signed-in reader did (a search or a view); failures are not the reader's concern. */
export function recordEvent(who, event) {
  const id = crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random()}`;
  api(`/readers/${encodeURIComponent(who.reader)}/events`, {
    method: "POST",
    body: { event_id: `portal-${id}`, at: new Date().toISOString(), ...event },
  }).catch(() => {});
}
