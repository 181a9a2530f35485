// The member's sharing policy, for its administrators (GET and PUT /members/{id}/sharing): whether other members'
// readers see its holdings, whether its readers' loans count in the consortium's aggregates, and which members'
// readers may ask it for an inter-library loan. A change applies from the next request; one made meanwhile by
// someone else (`version_conflict`: the version read is old) is said, and the policy shown again as it is now.

import { ApiError, announce, api, describeError, el, fill, formatDate, members, memberName, t } from "./core.js";
import { reload } from "./me-common.js";
import { staff } from "./staff-common.js";

function radio(name, value, checked, labelKey, onchange = null) {
  return el(
    "label",
    { class: "check" },
    el("input", { type: "radio", name, id: `${name}-${value}`, value, checked, onchange }),
    " ",
    t(labelKey),
  );
}

function lenders(policy, all) {
  const others = Object.keys(all).filter((id) => id !== staff.member);
  const some = policy.lend_to_members.length > 0;
  const boxes = el(
    "div",
    { class: "choices", id: "sharing-lend-to", hidden: some ? null : "hidden" },
    others.map((id) =>
      el(
        "label",
        { class: "check" },
        el("input", { type: "checkbox", name: "lend_to", value: id, checked: policy.lend_to_members.includes(id) }),
        " ",
        memberName(all, id),
      ),
    ),
  );
  const show = (event) => {
    boxes.hidden = event.target.value !== "some";
  };
  return el(
    "fieldset",
    { class: "choices" },
    el("legend", { text: t("staff.sharing.lend") }),
    radio("sharing-lend", "all", !some, "staff.sharing.lend_all", show),
    radio("sharing-lend", "some", some, "staff.sharing.lend_some", show),
    boxes,
  );
}

function form(answer, all) {
  const policy = answer.sharing;
  const message = el("p", { class: "error", role: "alert" });
  const holdings = el("input", { type: "checkbox", id: "sharing-holdings", checked: policy.share_holdings, "aria-describedby": "sharing-holdings-help" });
  return el(
    "form",
    {
      class: "add-interest sharing",
      onsubmit: async (event) => {
        event.preventDefault();
        fill(message);
        const data = new FormData(event.target);
        const lendTo = data.get("sharing-lend") === "some" ? data.getAll("lend_to") : [];
        if (data.get("sharing-lend") === "some" && !lendTo.length) {
          fill(message, t("staff.sharing.choose_one"));
          return;
        }
        const body = { share_holdings: holdings.checked, share_circulation: data.get("sharing-circulation"), lend_to_members: lendTo };
        try {
          await api(`${staff.path}/sharing`, { method: "PUT", query: { version: answer.version }, body });
          await reload("sharing");
          announce(t("staff.sharing.saved"));
        } catch (error) {
          if (error instanceof ApiError && error.code === "version_conflict") {
            await reload("sharing");
            announce(t("staff.sharing.changed_meanwhile"));
          } else {
            fill(message, describeError(error));
          }
        }
      },
    },
    el(
      "div",
      { class: "field" },
      el("label", { class: "check" }, holdings, " ", t("staff.sharing.holdings")),
      el("p", { class: "help", id: "sharing-holdings-help", text: t("staff.sharing.holdings_help") }),
    ),
    el(
      "fieldset",
      { class: "choices" },
      el("legend", { text: t("staff.sharing.circulation") }),
      radio("sharing-circulation", "aggregate", policy.share_circulation === "aggregate", "staff.sharing.circulation_aggregate"),
      radio("sharing-circulation", "none", policy.share_circulation === "none", "staff.sharing.circulation_none"),
    ),
    lenders(policy, all),
    el("button", { type: "submit", id: "sharing-save", text: t("staff.sharing.save") }),
    message,
  );
}

export async function sharingSection(body) {
  const [answer, all] = await Promise.all([api(`${staff.path}/sharing`), members().catch(() => ({}))]);
  const origin =
    answer.origin === "file" || !answer.updated_at
      ? t("staff.sharing.from_file")
      : t("staff.sharing.changed", { at: formatDate(answer.updated_at, true), who: answer.updated_by || "" });
  fill(body, el("p", { class: "help", text: t("staff.sharing.intro") }), el("p", { class: "meta", id: "sharing-origin", text: origin }), form(answer, all));
}
