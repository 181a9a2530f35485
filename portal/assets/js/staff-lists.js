// The member's curated lists, for its subject librarians (and administrators): start a list for a class range or
// a subject, find works in the union catalogue and add them with a note for readers, change or remove a note,
// publish the list (anyone reads it, and the "subject librarians' lists" push service sends it to subscribers of
// every member) or withdraw it; edit its title, class, subject and description; delete a draft (a published list
// is withdrawn first). Each change answers with the list as saved; a refused change says why; a change made
// meanwhile by someone else (`version_conflict`: the version read is old) is said, and the lists shown again as they
// are now.

import { announce, api, ApiError, describeError, el, fill, formatDate, state, t } from "./core.js";
import { act, reload, stableId } from "./me-common.js";
import { staff } from "./staff-common.js";

const SHOWN_HITS = 5;

function listTitle(list) {
  return state.lang === "zh" && list.title_zh ? list.title_zh : list.title;
}

function field(id, labelKey, input, helpKey) {
  return el(
    "div",
    { class: "field" },
    el("label", { for: id, text: t(labelKey) }),
    input,
    helpKey ? el("p", { id: `${id}-help`, class: "help", text: t(helpKey) }) : null,
  );
}

function newListForm() {
  const message = el("p", { class: "error", role: "alert" });
  const title = el("input", { id: "list-title", type: "text", required: true, maxlength: "200" });
  const titleZh = el("input", { id: "list-title-zh", type: "text", maxlength: "200", lang: "zh" });
  const classCode = el("input", { id: "list-class", type: "text", maxlength: "50", placeholder: "clc:I222", "aria-describedby": "list-class-help" });
  const subject = el("input", { id: "list-subject", type: "text", maxlength: "200" });
  const description = el("textarea", { id: "list-description", rows: "3", maxlength: "2000" });
  return el(
    "form",
    {
      class: "add-interest new-list",
      onsubmit: async (event) => {
        event.preventDefault();
        fill(message);
        const body = { title: title.value.trim() };
        for (const [name, input] of [["title_zh", titleZh], ["class_code", classCode], ["subject", subject], ["description", description]]) {
          if (input.value.trim()) body[name] = input.value.trim();
        }
        try {
          const made = await api(`${staff.path}/lists`, { method: "POST", body });
          announce(t("staff.lists.created", { title: listTitle(made) }));
          await reload("lists");
          document.getElementById(stableId("list", made.list_id))?.focus();
        } catch (error) {
          fill(message, describeError(error));
        }
      },
    },
    el("h3", { text: t("staff.lists.new") }),
    el(
      "div",
      { class: "fields" },
      field("list-title", "staff.lists.title_en", title),
      field("list-title-zh", "staff.lists.title_zh", titleZh),
      field("list-class", "staff.lists.class", classCode, "staff.lists.class_help"),
      field("list-subject", "staff.lists.subject", subject),
      el("div", { class: "field wide" }, el("label", { for: "list-description", text: t("staff.lists.description") }), description),
    ),
    el("button", { type: "submit", text: t("staff.lists.create") }),
    message,
  );
}

const EDITABLE = [
  ["title", "staff.lists.title_en"],
  ["title_zh", "staff.lists.title_zh"],
  ["class_code", "staff.lists.class"],
  ["subject", "staff.lists.subject"],
  ["description", "staff.lists.description"],
];

/** A change refused because the list changed since the page read it (its version, or its state: a colleague published
 * the draft): show the lists as they are now and say so. */
async function changedMeanwhile(error, message) {
  if (error instanceof ApiError && (error.code === "version_conflict" || error.code === "invalid_state")) {
    await reload("lists");
    announce(t("staff.lists.changed_meanwhile"));
  } else {
    fill(message, describeError(error));
  }
}

function editForm(list) {
  const message = el("p", { class: "error", role: "alert" });
  const inputs = Object.fromEntries(
    EDITABLE.map(([name]) => {
      const id = stableId(`edit-${name}`, list.list_id);
      const attributes = { id, maxlength: name === "description" ? "2000" : name === "class_code" ? "50" : "200" };
      if (name === "title") attributes.required = true;
      if (name === "title_zh") attributes.lang = "zh";
      const input = name === "description" ? el("textarea", { ...attributes, rows: "3" }, list[name] || "") : el("input", { ...attributes, type: "text", value: list[name] || "" });
      return [name, input];
    }),
  );
  const form = el(
    "form",
    {
      class: "edit-list",
      onsubmit: async (event) => {
        event.preventDefault();
        fill(message);
        const body = {};
        for (const [name] of EDITABLE) body[name] = inputs[name].value.trim() || null;
        const path = `${staff.path}/lists/${encodeURIComponent(list.list_id)}`;
        try {
          const saved = await api(path, { method: "PATCH", query: { version: list.version }, body });
          await reload("lists");
          announce(t("staff.lists.edited", { title: listTitle(saved) }));
          document.getElementById(stableId("list", list.list_id))?.focus();
        } catch (error) {
          await changedMeanwhile(error, message);
        }
      },
    },
    el(
      "div",
      { class: "fields" },
      EDITABLE.map(([name, labelKey]) =>
        name === "description"
          ? el("div", { class: "field wide" }, el("label", { for: inputs[name].id, text: t(labelKey) }), inputs[name])
          : field(inputs[name].id, labelKey, inputs[name]),
      ),
    ),
    el("button", { type: "submit", id: stableId("edit-save", list.list_id), text: t("staff.lists.save_edit") }),
    message,
  );
  return el("details", { class: "advanced edit" }, el("summary", { text: t("staff.lists.edit") }), form);
}

/** Delete a draft, behind a question that says what is lost; a published list says to withdraw it first. */
function deleteControl(list, headingId) {
  if (list.state === "published") return el("p", { class: "help", text: t("staff.lists.delete_withdraw_first") });
  const message = el("p", { class: "error", role: "alert" });
  const confirm = el("div", { class: "notice", hidden: true, id: `${headingId}-confirm` });
  const ask = el("button", { type: "button", class: "secondary", id: `${headingId}-delete`, text: t("staff.lists.delete") });
  const yes = el("button", {
    type: "button",
    id: `${headingId}-delete-confirm`,
    onclick: async () => {
      fill(message);
      try {
        await api(`${staff.path}/lists/${encodeURIComponent(list.list_id)}`, { method: "DELETE", query: { version: list.version } });
        await reload("lists");
        announce(t("staff.lists.deleted", { title: listTitle(list) }));
      } catch (error) {
        await changedMeanwhile(error, message);
      }
    },
    text: t("staff.lists.delete_confirm"),
  });
  const no = el("button", {
    type: "button",
    class: "secondary",
    onclick: () => {
      confirm.hidden = true;
      ask.focus();
    },
    text: t("staff.lists.delete_keep"),
  });
  fill(confirm, el("p", { text: t("staff.lists.delete_question", { title: listTitle(list) }) }), el("div", { class: "confirm-buttons" }, yes, no), message);
  ask.addEventListener("click", () => {
    confirm.hidden = false;
    yes.focus();
  });
  return el("div", { class: "delete-list" }, ask, confirm);
}

function entryItem(list, entry) {
  const noteId = stableId(`note-${list.list_id}`, entry.cluster_id);
  const note = el("input", { id: noteId, type: "text", maxlength: "1000", value: entry.note || "" });
  const path = `${staff.path}/lists/${encodeURIComponent(list.list_id)}/works/${encodeURIComponent(entry.cluster_id)}`;
  return el(
    "li",
    { class: "item" },
    el("h4", {}, el("a", { href: `work.html?id=${encodeURIComponent(entry.cluster_id)}`, text: entry.title })),
    el(
      "form",
      {
        class: "inline-form",
        onsubmit: (event) => {
          event.preventDefault();
          act(async () => {
            await api(path, { method: "PUT", body: { note: note.value.trim() || null } });
            await reload("lists");
          }, t("staff.lists.note_saved", { title: entry.title }));
        },
      },
      el("label", { for: noteId, text: t("staff.lists.note") }),
      note,
      el("button", { type: "submit", class: "small secondary", id: `${noteId}-save`, text: t("staff.lists.save_note") }),
      el("button", {
        type: "button",
        class: "small secondary",
        id: `${noteId}-remove`,
        onclick: () =>
          act(async () => {
            await api(path, { method: "DELETE" });
            await reload("lists");
          }, t("staff.lists.removed", { title: entry.title })),
        text: t("staff.lists.remove"),
      }),
    ),
  );
}

function addWork(list) {
  const id = stableId("find", list.list_id);
  const query = el("input", { id, type: "search", required: true, "aria-describedby": `${id}-help` });
  const note = el("input", { id: `${id}-note`, type: "text", maxlength: "1000" });
  const found = el("div", { class: "found", "aria-live": "polite" });
  const add = (hit) =>
    act(async () => {
      await api(`${staff.path}/lists/${encodeURIComponent(list.list_id)}/works/${encodeURIComponent(hit.cluster_id)}`, {
        method: "PUT",
        body: { note: note.value.trim() || null },
      });
      await reload("lists");
      // the button is gone with the search results: the note of the work just added takes the focus
      document.getElementById(stableId(`note-${list.list_id}`, hit.cluster_id))?.focus();
    }, t("staff.lists.added", { title: hit.title, list: listTitle(list) }));
  return el(
    "form",
    {
      class: "add-work",
      onsubmit: async (event) => {
        event.preventDefault();
        try {
          const answer = await api("/search", { query: { q: query.value.trim(), page_size: SHOWN_HITS } });
          const hits = answer.hits.slice(0, SHOWN_HITS);
          fill(
            found,
            hits.length
              ? el(
                  "ul",
                  { class: "found-list" },
                  hits.map((hit) =>
                    el(
                      "li",
                      {},
                      el("span", { text: `${hit.title}${hit.year ? ` (${hit.year})` : ""}${hit.authors.length ? ` — ${hit.authors.join("; ")}` : ""}` }),
                      " ",
                      el("button", { type: "button", class: "small", onclick: () => add(hit), "aria-label": t("staff.lists.add_this", { title: hit.title }), text: t("staff.lists.add") }),
                    ),
                  ),
                )
              : el("p", { text: t("staff.lists.no_hits") }),
          );
        } catch (error) {
          fill(found, el("p", { class: "error", text: describeError(error) }));
        }
      },
    },
    el("h4", { text: t("staff.lists.add_work") }),
    el(
      "div",
      { class: "fields" },
      field(id, "staff.lists.find", query, "staff.lists.find_help"),
      field(`${id}-note`, "staff.lists.note", note),
    ),
    el("button", { type: "submit", class: "secondary", text: t("staff.lists.search") }),
    found,
  );
}

function listBlock(list) {
  const headingId = stableId("list", list.list_id);
  const published = list.state === "published";
  const scope = [list.class_code ? t("staff.lists.for_class", { code: list.class_code }) : null, list.subject ? t("staff.lists.for_subject", { subject: list.subject }) : null].filter(Boolean);
  const toggle = published ? "withdraw" : "publish";
  return el(
    "article",
    { class: published ? "service curated published" : "service curated", "aria-labelledby": headingId },
    el("h3", { id: headingId, tabindex: "-1" }, listTitle(list), " ", el("span", { class: published ? "tag open" : "tag", text: t(`staff.lists.state.${list.state}`) })),
    scope.length ? el("p", { class: "meta", text: scope.join(" · ") }) : null,
    list.description ? el("p", { text: list.description }) : null,
    el(
      "p",
      { class: "help" },
      published
        ? t("staff.lists.published_at", { at: formatDate(list.published_at, true) })
        : t("staff.lists.draft_note"),
    ),
    editForm(list),
    list.entries.length ? el("ul", { class: "items" }, list.entries.map((entry) => entryItem(list, entry))) : el("p", { text: t("staff.lists.empty") }),
    addWork(list),
    el(
      "div",
      { class: "actions" },
      // a list with no work cannot be published (the API refuses it): say so instead of offering the button
      !published && !list.entries.length
        ? el("p", { class: "help", id: `${headingId}-${toggle}`, text: t("staff.lists.publish_needs_works") })
        : el("button", {
            type: "button",
            id: `${headingId}-${toggle}`,
            class: published ? "secondary" : null,
            onclick: () =>
              act(async () => {
                await api(`${staff.path}/lists/${encodeURIComponent(list.list_id)}/${toggle}`, { method: "POST" });
                await reload("lists");
                // the button became the other one: the list's heading, which now says its state, takes the focus
                document.getElementById(headingId)?.focus();
              }, t(`staff.lists.done_${toggle}`, { title: listTitle(list) })),
            text: t(`staff.lists.${toggle}`),
          }),
    ),
    deleteControl(list, headingId),
  );
}

export async function listsSection(body) {
  const answer = await api(`${staff.path}/lists`);
  fill(
    body,
    el("p", { class: "help", text: t("staff.lists.intro") }),
    answer.lists.length ? el("div", { class: "services" }, answer.lists.map(listBlock)) : el("p", { class: "empty", text: t("staff.lists.none") }),
    newListForm(),
  );
}
