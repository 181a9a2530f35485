// Inter-library loan on the reader's side, shared by the work page (asking for a work) and "My library" (the
// reader's requests): which copies another member might lend, a request's state and what the reader reads about
// it, and the API's refusals said in words. The hub decides who lends (consortium.cooperation.service): the
// portal only offers to ask when the holdings it shows leave a chance, and says what the hub answered.

import { ApiError, describeError, memberName, t } from "./core.js";

/** Every state of a request, in the order it goes through them. */
export const STATES = ["requested", "accepted", "refused", "shipped", "received", "returned", "cancelled"];
/** The states of a request still under way (one of them stops the reader asking for the same work again). */
export const OPEN = ["requested", "accepted", "shipped", "received"];
/** The reader may withdraw a request only before the lending library accepted it. */
export const CANCELLABLE = ["requested"];
/** The shelf status of a copy the hub may ask for: known available, or not given by the member's catalogue (and
 * no link: an online copy is nothing to send). */
export const ASKABLE = ["available", "unknown"];

/** What the holdings of a work leave the reader of `own`: `ownHas` (their library has a copy available: they ask
 * there), `others` (the members, other than theirs, with a print copy that may be on the shelf, that lend to their
 * library) and `closed` (those with such a copy that do not: the hub says of each holding whether its member lends
 * to the signed-in reader's library, `lends_to_your_library`, by its sharing policy; signed out it says nothing). */
export function chances(holdings, own) {
  const ownHas = holdings.some((h) => h.member === own && h.availability === "available");
  const shelved = holdings.filter((h) => h.member !== own && ASKABLE.includes(h.availability) && !h.url);
  const members = (lends) => [...new Set(shelved.filter((h) => (h.lends_to_your_library === false) !== lends).map((h) => h.member))];
  return { ownHas, others: members(true), closed: members(false) };
}

/** The reader's request for `clusterId` that is still under way, if any. */
export function openRequest(requests, clusterId) {
  return requests.find((r) => r.cluster_id === clusterId && OPEN.includes(r.state)) || null;
}

export function stateLabel(state) {
  return t(`ill.state.${state}`);
}

/** Where a request went and what happens next, as the reader reads it. */
export function whereItWent(request, all) {
  const library = memberName(all, request.lender);
  if (request.state === "requested") {
    return t(request.availability === "unknown" ? "ill.sent_unknown" : "ill.sent", { library });
  }
  return t(`ill.now.${request.state}`, { library });
}

/** The members that refused the reader's requests for `clusterId`, each once, the latest refusal first: after
 * every possible lender refused, the reader may name one of them to ask it again (the API's `lender`). */
export function refusedBy(requests, clusterId) {
  const refused = requests.filter((r) => r.cluster_id === clusterId && r.state === "refused");
  refused.sort((a, b) => String(b.updated_at || b.created_at).localeCompare(String(a.updated_at || a.created_at)));
  return [...new Set(refused.map((r) => r.lender))];
}

/** The hub's refusal of a request for `clusterId`, in words. `requests` are the reader's requests as read after the
 * refusal (a 409 is either an open request for the work already, every possible lender having refused the reader,
 * or no member that may lend it); `lender` the member the reader named, if they named one (a 400 on `lender`: it
 * has no copy that may be asked now). */
export function askRefusal(error, clusterId, requests, all, own, lender = null) {
  if (!(error instanceof ApiError)) return describeError(error);
  if (error.code === "invalid_field" && error.field === "cluster_id") {
    return t("ill.error.own_has", { library: memberName(all, own) });
  }
  if (error.code === "invalid_field" && lender && error.field === "lender") {
    return t("ill.error.lender_cannot", { library: memberName(all, lender) });
  }
  if (error.status === 409) {
    const open = openRequest(requests, clusterId);
    if (open) return t("ill.error.asked_already", { library: memberName(all, open.lender), state: stateLabel(open.state) });
    const refused = refusedBy(requests, clusterId).map((id) => memberName(all, id));
    if (refused.length) return t("ill.error.all_refused", { libraries: refused.join(", ") });
    return t("ill.error.no_lender");
  }
  if (error.status === 401) return t("ill.error.sign_in");
  return describeError(error);
}

/** The hub's refusal to cancel a request, in words (a 409: the lending library took the next step meanwhile). */
export function cancelRefusal(error) {
  if (error instanceof ApiError && error.status === 409) return t("ill.error.too_late");
  return describeError(error);
}
