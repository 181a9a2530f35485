// "My library", for a signed-in reader: the drift prompt when there is one, their interests (declared beside
// learned), the inbox of pushed works with its mutes, their inter-library loan requests, their subscriptions, what
// push sent them, their consents, and their data (a download, and erasure). Each section loads on its own; one that
// fails says so and the others still work. Not signed in, the page says so and links to the sign-in page.

import { announce, api, ApiError, boot, describeError, el, fill, members, memberName, session, sessionExpired, t } from "./core.js";
import { consentsSection, dataSection } from "./me-account.js";
import { me } from "./me-common.js";
import { historySection, inboxSection } from "./me-inbox.js";
import { loansSection } from "./me-loans.js";
import { interestsSection, promptSection } from "./me-interests.js";
import { subscriptionsSection } from "./me-subscriptions.js";

const SECTIONS = [
  ["interests", "me.interests.title", interestsSection],
  ["inbox", "me.inbox.title", inboxSection],
  ["loans", "ill.title", loansSection],
  ["subscriptions", "me.subs.title", subscriptionsSection],
  ["history", "me.history.title", historySection],
  ["consents", "me.consents.title", consentsSection],
  ["data", "me.data.title", dataSection],
];

function signedOut(root) {
  const erased = new URLSearchParams(location.search).get("erased") === "1";
  if (erased) {
    document.querySelector("h1").textContent = t("me.erased.title");
    document.title = `${t("me.erased.title")} · ${t("site.name")}`;
    return fill(root, el("p", { text: t("me.erased.done") }), el("p", { text: t("me.erased.backups") }), el("p", {}, el("a", { href: "index.html", text: t("me.erased.search") })));
  }
  return fill(
    root,
    el("p", { role: sessionExpired() ? "alert" : null, text: t(sessionExpired() ? "me.session_expired" : "me.signed_out") }),
    el("p", {}, el("a", { href: "login.html?next=me.html", class: "button", text: t("account.sign_in") })),
  );
}

/** A reader the hub does not know (a first sign-in with their library's account, or after erasing): what a
 * profile here is for, and a button that makes one, with no consent given; the reader then gives what they want
 * under Consents. */
function newReader(root, start) {
  const message = el("p", { class: "error", role: "alert" });
  const button = el("button", { type: "button", id: "start-profile", text: t("me.new.start") });
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      await api("/readers", { method: "POST", body: { reader_id: me.reader, member: me.member, consents: [] } });
    } catch (error) {
      button.disabled = false;
      fill(message, describeError(error));
      button.focus();
      return;
    }
    start();
    announce(t("me.new.done"));
    document.getElementById("consents-heading")?.focus();
  });
  return fill(
    root,
    el(
      "section",
      { id: "new-reader", class: "me-section", "aria-labelledby": "new-reader-heading" },
      el("h2", { id: "new-reader-heading", tabindex: "-1", text: t("me.new.title") }),
      el("p", { text: t("me.new.explain") }),
      el("p", { text: t("me.new.after") }),
      button,
      message,
    ),
  );
}

/** Whether the hub knows the reader: false when it answers 404 (never made, or erased); any other failure leaves
 * it to each section to say. */
async function known() {
  try {
    await api(`${me.path}/consents`);
  } catch (error) {
    return !(error instanceof ApiError && error.status === 404);
  }
  return true;
}

function contents() {
  return el(
    "nav",
    { class: "contents", "aria-label": t("me.contents") },
    el("ul", {}, SECTIONS.map(([id, key]) => el("li", {}, el("a", { href: `#${id}`, text: t(key) })))),
  );
}

async function main() {
  await boot("me.html", "me.title", ["me"]);
  const root = document.getElementById("me");
  const who = session();
  root.removeAttribute("aria-busy");
  if (!who) return signedOut(root);
  if (who.staff) {
    // a library staff account is no reader: its pages are the staff pages
    return fill(root, el("p", { text: t("account.staff_not_reader") }), el("p", {}, el("a", { href: "staff.html", class: "button", text: t("nav.staff") })));
  }
  me.reader = who.reader;
  me.member = who.member || "";
  me.path = `/readers/${encodeURIComponent(who.reader)}`;
  const intro = el("p", { class: "lead", text: t("me.welcome", { reader: who.reader }) });
  const start = () => fill(root, intro, contents(), promptSection(), SECTIONS.map(([, , make]) => make()));
  if (!(await known())) {
    newReader(root, start);
    root.prepend(intro);
  } else start();
  // a link to a section (me.html#loans from a work's page) lands on it: the sections are drawn only now
  const asked = SECTIONS.find(([id]) => `#${id}` === location.hash);
  if (asked) document.getElementById(`${asked[0]}-heading`)?.focus();
  if (me.member) {
    members()
      .then((all) => fill(intro, t("me.welcome_at", { reader: who.reader, library: memberName(all, me.member) })))
      .catch(() => {});
  }
  return null;
}

main();
