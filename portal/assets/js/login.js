// Signing in: on a demo hub, pick one of the demo readers; on this machine otherwise, paste a token from
// `consortium login`; on AWS, the library's account (Cognito's hosted sign-in). The token is kept in this tab's
// sessionStorage only.

import { api, boot, describeError, el, fill, session, signIn, state, t } from "./core.js";

function next() {
  const asked = new URLSearchParams(location.search).get("next") || "me.html";
  // only a page of this site: never an address elsewhere
  return /^\/?[\w.-]*(\.html)?(\?.*)?$/.test(asked) ? asked : "me.html";
}

function tokenForm(box) {
  const message = el("p", { id: "login-message", role: "alert" });
  const field = el("textarea", { id: "token", name: "token", rows: "4", required: true, spellcheck: "false", "aria-describedby": "token-help" });
  const form = el(
    "form",
    {
      class: "login",
      onsubmit: async (event) => {
        event.preventDefault();
        signIn(field.value.trim());
        if (!session()) return fill(message, t("login.bad_token"));
        try {
          await api(`/readers/${encodeURIComponent(session().reader)}/consents`);
          location.href = next();
        } catch (error) {
          fill(message, error.status === 401 ? t("login.bad_token") : describeError(error));
        }
      },
    },
    el("p", { id: "token-help", text: t("login.token") }),
    el("label", { for: "token", text: t("login.token_label") }),
    field,
    el("button", { type: "submit", text: t("login.submit") }),
    message,
  );
  fill(box, form);
}

async function demoChoice(box) {
  const answer = await fetch(state.config.auth.demo_login, { headers: { Accept: "application/json" } });
  const { readers } = await answer.json();
  const message = el("p", { role: "alert" });
  fill(
    box,
    el("p", { text: t("login.demo") }),
    el(
      "ul",
      { class: "demo-readers" },
      readers.map((reader) =>
        el(
          "li",
          {},
          el("button", {
            type: "button",
            onclick: async () => {
              const got = await fetch(state.config.auth.demo_login, {
                method: "POST",
                headers: { "Content-Type": "application/json" },
                body: JSON.stringify({ reader: reader.reader }),
              });
              if (!got.ok) return fill(message, t("login.bad_token"));
              signIn((await got.json()).token);
              location.href = next();
            },
            text: t("login.as", { label: reader.label }),
          }),
        ),
      ),
    ),
    message,
  );
}

async function main() {
  await boot("login.html", "login.title");
  const box = document.getElementById("login");
  const mode = state.config.auth?.mode;
  if (mode === "demo") await demoChoice(box);
  else if (mode === "cognito" && state.config.auth.authorize_url) {
    fill(box, el("p", { text: t("login.cognito") }), el("p", {}, el("a", { href: state.config.auth.authorize_url, class: "button", text: t("login.submit") })));
  } else tokenForm(box);
}

main();
