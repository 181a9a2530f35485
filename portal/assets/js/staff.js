// The staff pages, for a member library's staff account: the member's contribution to the consortium, its
// inter-library loan queue (lending and borrowing), its harvests and quarantined records, its sharing policy and
// its subject librarians' curated lists. Each section is shown only to the roles the API lets reach it (a member
// administrator: all five; a subject librarian: the lists);
// the API decides, and a section it refuses (403) says why instead of failing. Signed out, or signed in as a
// reader, the page says so.

import { ApiError, boot, el, fill, members, memberName, session, sessionExpired, t } from "./core.js";
import { section } from "./me-common.js";
import { contributionSection } from "./staff-contribution.js";
import { harvestsSection } from "./staff-harvests.js";
import { illSection } from "./staff-ill.js";
import { listsSection } from "./staff-lists.js";
import { sharingSection } from "./staff-sharing.js";
import { staff } from "./staff-common.js";

const ADMIN = "member-admin";
const LIBRARIAN = "subject-librarian";

/** Each section: its id, its title, the roles that reach it, and what draws it. */
const SECTIONS = [
  ["contribution", "staff.contribution.title", [ADMIN], contributionSection],
  ["ill", "staff.ill.title", [ADMIN], illSection],
  ["harvests", "staff.harvests.title", [ADMIN], harvestsSection],
  ["sharing", "staff.sharing.title", [ADMIN], sharingSection],
  ["lists", "staff.lists.title", [ADMIN, LIBRARIAN], listsSection],
];

/** `load`, but a refusal by the API (403: this account may not) is said in the section, not as an error. */
function guarded(load) {
  return async (body, node) => {
    try {
      await load(body, node);
    } catch (error) {
      if (!(error instanceof ApiError) || error.status !== 403) throw error;
      fill(body, el("p", { class: "notice", text: t("staff.refused") }));
    }
  };
}

function signedOut(root) {
  return fill(
    root,
    el("p", { role: sessionExpired() ? "alert" : null, text: t(sessionExpired() ? "me.session_expired" : "staff.signed_out") }),
    el("p", {}, el("a", { href: "login.html?next=staff.html", class: "button", text: t("account.sign_in") })),
  );
}

function notStaff(root) {
  return fill(root, el("p", { text: t("staff.not_staff") }), el("p", {}, el("a", { href: "me.html", text: t("nav.me") })));
}

/** The consortium office belongs to no member library: it has no member pages, only the analytics. */
function office(root) {
  return fill(root, el("p", { text: t("staff.office") }), el("p", {}, el("a", { href: "analytics.html", class: "button", text: t("nav.analytics") })));
}

function contents(shown) {
  return el(
    "nav",
    { class: "contents", "aria-label": t("me.contents") },
    el("ul", {}, shown.map(([id, key]) => el("li", {}, el("a", { href: `#${id}`, text: t(key) })))),
  );
}

function roleNames(roles) {
  return roles.map((role) => t(`role.${role}`)).join(", ");
}

async function main() {
  await boot("staff.html", "staff.title", ["me", "staff"]);
  const root = document.getElementById("staff");
  const who = session();
  root.removeAttribute("aria-busy");
  if (!who) return signedOut(root);
  if (who.staff && !who.member) return office(root);
  if (!who.staff) return notStaff(root);
  staff.account = who.reader;
  staff.member = who.member;
  staff.roles = who.roles;
  staff.path = `/members/${encodeURIComponent(who.member)}`;
  const shown = SECTIONS.filter(([, , roles]) => roles.some((role) => who.roles.includes(role)));
  const hidden = SECTIONS.filter((one) => !shown.includes(one));
  const intro = el("p", { class: "lead", text: t("staff.welcome", { account: who.reader, roles: roleNames(who.roles), library: who.member }) });
  const note = hidden.length
    ? el("p", { class: "help", id: "staff-scope", text: t("staff.scope", { sections: hidden.map(([, key]) => t(key)).join(", ") }) })
    : null;
  fill(root, intro, note, contents(shown), shown.map(([id, key, , make]) => section(id, key, guarded(make))));
  members()
    .then((all) => fill(intro, t("staff.welcome", { account: who.reader, roles: roleNames(who.roles), library: memberName(all, who.member) })))
    .catch(() => {});
  return null;
}

main();
