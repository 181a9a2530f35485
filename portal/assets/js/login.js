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

// ---- Cognito's hosted sign-in: the authorization code flow with PKCE (RFC 7636), for a public client ----------

function base64url(bytes) {
  return btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function randomText() {
  return base64url(crypto.getRandomValues(new Uint8Array(32)));
}

async function cognitoStart(auth) {
  const verifier = randomText();
  const nonce = randomText();
  sessionStorage.setItem("consortium.pkce", JSON.stringify({ verifier, state: nonce, next: next() }));
  const challenge = base64url(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)));
  const url = new URL("/oauth2/authorize", auth.domain);
  url.search = new URLSearchParams({
    response_type: "code",
    client_id: auth.client_id,
    redirect_uri: auth.redirect_uri,
    scope: "openid",
    state: nonce,
    code_challenge_method: "S256",
    code_challenge: challenge,
  }).toString();
  location.assign(url.toString());
}

async function cognitoFinish(auth, params, box) {
  const kept = JSON.parse(sessionStorage.getItem("consortium.pkce") || "null");
  sessionStorage.removeItem("consortium.pkce");
  if (!kept || kept.state !== params.get("state")) return fill(box, el("p", { role: "alert", text: t("login.bad_token") }));
  const answer = await fetch(new URL("/oauth2/token", auth.domain), {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      client_id: auth.client_id,
      code: params.get("code"),
      redirect_uri: auth.redirect_uri,
      code_verifier: kept.verifier,
    }),
  });
  const tokens = answer.ok ? await answer.json() : {};
  if (!tokens.id_token) return fill(box, el("p", { role: "alert", text: t("login.bad_token") }));
  signIn(tokens.id_token);
  location.replace(kept.next);
}

async function main() {
  await boot("login.html", "login.title");
  const box = document.getElementById("login");
  const auth = state.config.auth || {};
  const params = new URLSearchParams(location.search);
  if (auth.mode === "demo") await demoChoice(box);
  else if (auth.mode === "cognito" && params.has("code")) await cognitoFinish(auth, params, box);
  else if (auth.mode === "cognito") {
    fill(box, el("p", { text: t("login.cognito") }), el("button", { type: "button", onclick: () => cognitoStart(auth), text: t("login.submit") }));
  } else tokenForm(box);
}

main();
