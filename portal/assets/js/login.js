// Signing in: on a demo hub, pick one of the demo readers or demo staff accounts; with an OpenID Connect provider
// (Cognito's hosted sign-in on AWS, or one the hub's settings name), the library's account; on this machine
// otherwise, paste a token from `consortium login` (a reader's, or with --role a staff account's). The token is kept
// in this tab's sessionStorage only. A reader lands on "My library", staff on the staff pages.

import { api, boot, describeError, el, fill, members, memberName, session, signIn, state, t } from "./core.js";

/** Where to go once signed in: the page asked for (of this site), else the signed-in account's own page. */
function next() {
  const home = session()?.staff ? "staff.html" : "me.html";
  const asked = new URLSearchParams(location.search).get("next") || home;
  // only a page of this site (never an address elsewhere), and not this one
  const own = /^\/?[\w.-]*(\.html)?(\?.*)?$/.test(asked) && !/^\/?login\.html/.test(asked);
  return own ? asked : home;
}

/** Whether the API takes the signed-in token: a reader's own consents, or the staff account's member lists. */
function probe(who) {
  if (who.staff && who.member) return api(`/members/${encodeURIComponent(who.member)}/lists`);
  return api(`/readers/${encodeURIComponent(who.reader)}/consents`);
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
          await probe(session());
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

function demoButton(one, label, message) {
  return el(
    "li",
    {},
    el("button", {
      type: "button",
      onclick: async () => {
        const got = await fetch(state.config.auth.demo_login, {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ reader: one.reader }),
        });
        if (!got.ok) return fill(message, t("login.bad_token"));
        signIn((await got.json()).token);
        location.href = next();
        return null;
      },
      text: t("login.as", { label }),
    }),
  );
}

async function demoChoice(box) {
  const answer = await fetch(state.config.auth.demo_login, { headers: { Accept: "application/json" } });
  const { readers, staff = [] } = await answer.json();
  const all = staff.length ? await members().catch(() => ({})) : {};
  const message = el("p", { role: "alert" });
  const staffLabel = (one) => t("login.staff_as", { role: t(`role.${one.roles[0]}`), library: memberName(all, one.member) });
  fill(
    box,
    el("p", { text: t("login.demo") }),
    el("h2", { id: "demo-readers", text: t("login.demo_readers") }),
    el("ul", { class: "demo-readers", "aria-labelledby": "demo-readers" }, readers.map((reader) => demoButton(reader, reader.label, message))),
    staff.length ? el("h2", { id: "demo-staff", text: t("login.demo_staff") }) : null,
    staff.length ? el("p", { class: "help", text: t("login.demo_staff_help") }) : null,
    staff.length ? el("ul", { class: "demo-readers demo-staff", "aria-labelledby": "demo-staff" }, staff.map((one) => demoButton(one, staffLabel(one), message))) : null,
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

function endpoint(auth, name) {
  // config.json names the provider's endpoints; an older one on AWS only the Cognito domain
  return auth[`${name}_endpoint`] || new URL(`/oauth2/${name}`, auth.domain).toString();
}

async function cognitoStart(auth) {
  const verifier = randomText();
  const nonce = randomText();
  // the page asked for, if any: else, once signed in, the account's own page (a reader's or staff's)
  const asked = new URLSearchParams(location.search).has("next") ? next() : null;
  sessionStorage.setItem("consortium.pkce", JSON.stringify({ verifier, state: nonce, next: asked }));
  const challenge = base64url(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)));
  const url = new URL(endpoint(auth, "authorize"));
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

function cognitoButton(auth, key = "login.submit") {
  return el("button", { type: "button", onclick: () => cognitoStart(auth), text: t(key) });
}

/** Say why the sign-in failed, and offer to start again. */
function cognitoFailed(auth, box, message) {
  fill(box, el("p", { id: "login-message", role: "alert", text: message }), cognitoButton(auth, "login.again"));
}

/** Exchange the code for the tokens (PKCE: the verifier only this tab knows); the error code the provider gave,
 * or the ID token. */
async function exchange(auth, code, verifier) {
  let answer;
  try {
    answer = await fetch(endpoint(auth, "token"), {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "authorization_code",
        client_id: auth.client_id,
        code,
        redirect_uri: auth.redirect_uri,
        code_verifier: verifier,
      }),
    });
  } catch {
    return { error: t("error.network") };
  }
  let tokens = {};
  try {
    tokens = await answer.json();
  } catch {
    tokens = {};
  }
  if (!answer.ok || !tokens.id_token) return { error: tokens.error || `HTTP ${answer.status}` };
  return { token: tokens.id_token };
}

async function cognitoFinish(auth, params, box) {
  const kept = JSON.parse(sessionStorage.getItem("consortium.pkce") || "null");
  sessionStorage.removeItem("consortium.pkce");
  // the code is single use: never leave it in the address (a reload or the history would send it again)
  history.replaceState(null, "", location.pathname);
  if (!kept || !params.get("state") || kept.state !== params.get("state")) {
    return cognitoFailed(auth, box, t("login.state_mismatch"));
  }
  if (params.has("error")) {
    return cognitoFailed(auth, box, t("login.failed", { reason: params.get("error_description") || params.get("error") }));
  }
  const { token, error } = await exchange(auth, params.get("code"), kept.verifier);
  if (error) return cognitoFailed(auth, box, t("login.failed", { reason: error }));
  signIn(token);
  if (!session()) return cognitoFailed(auth, box, t("login.failed", { reason: t("login.bad_token") }));
  location.replace(kept.next || next());
  return null;
}

async function main() {
  await boot("login.html", "login.title");
  const box = document.getElementById("login");
  const auth = state.config.auth || {};
  const params = new URLSearchParams(location.search);
  if (auth.mode === "demo") await demoChoice(box);
  else if (auth.mode === "cognito" && (params.has("code") || params.has("error"))) await cognitoFinish(auth, params, box);
  else if (auth.mode === "cognito") fill(box, el("p", { text: t("login.cognito") }), cognitoButton(auth));
  else tokenForm(box);
}

main();
