// Sign in with a username and password (POST /api/v1/auth/token) or a pasted token.
// A password sign-in without a tenant lists the user's tenants and asks for a tenant-scoped
// token: with one tenant at once, with several after the user picks one.
import { useState } from "preact/hooks";
import { html } from "../html.js";
import { get, request, setToken } from "../api.js";
import { ErrorNotice } from "../components.js";

// Signed out, api.js sends no token; its ApiError carries the server's message.
async function passwordToken(username, password, tenantId) {
  const form = new URLSearchParams({ username, password });
  const body = await request("POST", "/api/v1/auth/token", { form, query: { tenant_id: tenantId } });
  return body.access_token;
}

const tenantsOf = (token) => get("/api/v1/tenants", { headers: { Authorization: `Bearer ${token}` } });

export function SignIn({ onSignedIn }) {
  const [mode, setMode] = useState("password");
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const [choice, setChoice] = useState(null); // {username, password, tenants} when several

  async function finish(token) {
    setToken(token);
    await get("/v1/threads", { query: { limit: 1 } }); // proves the token works for the API
    onSignedIn(token);
  }

  async function submit(event) {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    setBusy(true);
    setError(null);
    try {
      if (mode === "token") {
        await finish(String(data.get("token")).trim());
      } else if (choice) {
        await finish(await passwordToken(choice.username, choice.password, data.get("tenant")));
      } else {
        const username = String(data.get("username"));
        const password = String(data.get("password"));
        const tenants = await tenantsOf(await passwordToken(username, password));
        if (tenants.length === 0) throw new Error("This user belongs to no tenant yet.");
        if (tenants.length === 1) await finish(await passwordToken(username, password, tenants[0].id));
        else setChoice({ username, password, tenants });
      }
    } catch (err) {
      setToken(null);
      setError(err.status === 401 ? new Error("Wrong username, password or token.") : err);
    } finally {
      setBusy(false);
    }
  }

  function switchMode(next) {
    setMode(next);
    setChoice(null);
    setError(null);
  }

  let fields;
  if (mode === "token") {
    fields = html`<label>Token <textarea name="token" rows="4" required></textarea></label>`;
  } else if (choice) {
    fields = html`<label>Tenant
      <select name="tenant" required>
        ${choice.tenants.map((t) => html`<option value=${t.id}>${t.name}</option>`)}
      </select>
    </label>`;
  } else {
    fields = html`<label>Username <input name="username" autocomplete="username" required /></label>
      <label>Password <input name="password" type="password" autocomplete="current-password" required /></label>`;
  }

  return html`<main class="signin">
    <form class="card" onSubmit=${submit} aria-labelledby="signin-title">
      <h1 id="signin-title">Sign in to wxo</h1>
      <div class="tabs" role="tablist" aria-label="Sign-in method">
        <button type="button" role="tab" aria-selected=${mode === "password"} onClick=${() => switchMode("password")}>Password</button>
        <button type="button" role="tab" aria-selected=${mode === "token"} onClick=${() => switchMode("token")}>Token</button>
      </div>
      ${fields}
      <${ErrorNotice} error=${error} />
      <button type="submit" class="primary" disabled=${busy}>${busy ? "Signing in…" : choice ? "Continue" : "Sign in"}</button>
    </form>
  </main>`;
}
