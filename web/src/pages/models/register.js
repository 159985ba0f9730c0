// Register a provider model (POST /v1/models). The name is derived as the registry reads it:
// `virtual-model/<provider>/<provider's model id>`. The API key is write-only: a password input,
// cleared once saved, and never read back (the server answers `********`).
import { useState } from "preact/hooks";
import { html } from "../../html.js";
import { ErrorNotice } from "../../components.js";
import { KINDS, PROVIDERS, registerModel, registeredName } from "./data.js";

function text(data, key) {
  const value = String(data.get(key) || "").trim();
  return value || undefined;
}

function bodyOf(form, provider) {
  const data = new FormData(form);
  const providerConfig = {
    provider,
    custom_host: text(data, "custom_host"),
    api_key: text(data, "api_key"),
  };
  if (provider === "watsonx") {
    providerConfig.watsonx_project_id = text(data, "watsonx_project_id");
    providerConfig.watsonx_space_id = text(data, "watsonx_space_id");
    providerConfig.watsonx_version = text(data, "watsonx_version");
  }
  const timeout = text(data, "request_timeout");
  if (timeout) providerConfig.request_timeout = Number(timeout);
  const modelType = String(data.get("model_type"));
  const tags = [];
  if (data.get("default")) tags.push(modelType === "embedding" ? "default_embedding" : "default");
  return {
    name: registeredName(provider, String(data.get("upstream") || "")),
    display_name: text(data, "display_name"),
    description: text(data, "description"),
    model_type: modelType,
    tags,
    provider_config: Object.fromEntries(
      Object.entries(providerConfig).filter(([, value]) => value !== undefined),
    ),
  };
}

export function RegisterForm({ onRegistered }) {
  const [provider, setProvider] = useState("openai-compatible");
  const [upstream, setUpstream] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [saved, setSaved] = useState(null);
  const hint = PROVIDERS.find((p) => p.value === provider);

  async function submit(event) {
    event.preventDefault();
    const form = event.currentTarget;
    setBusy(true);
    setError(null);
    setSaved(null);
    try {
      const model = await registerModel(bodyOf(form, provider));
      form.reset();
      setUpstream("");
      setSaved(model);
      onRegistered(model);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return html`<form class="models-form" onSubmit=${submit} aria-labelledby="register-title" autocomplete="off">
    <h2 id="register-title">Register a model</h2>
    <div class="models-grid">
      <label>Provider
        <select name="provider" aria-label="Provider" value=${provider} onChange=${(e) => setProvider(e.currentTarget.value)}>
          ${PROVIDERS.map((p) => html`<option value=${p.value}>${p.label}</option>`)}
        </select>
      </label>
      <label>Provider's model id
        <input name="upstream" required placeholder=${hint.example} value=${upstream}
          onInput=${(e) => setUpstream(e.currentTarget.value)} />
      </label>
      <label>Kind
        <select name="model_type" aria-label="Kind">${KINDS.map((k) => html`<option value=${k.value}>${k.label}</option>`)}</select>
      </label>
      <label>Display name <input name="display_name" placeholder="optional" /></label>
      <label>Base URL${provider === "openai-compatible" ? "" : " (optional)"}
        <input name="custom_host" type="url" placeholder=${hint.host} required=${provider === "openai-compatible"} />
      </label>
      <label>API key
        <input name="api_key" type="password" autocomplete="new-password" placeholder="write-only" />
      </label>
      ${provider === "watsonx" && html`
        <label>watsonx.ai project id <input name="watsonx_project_id" /></label>
        <label>watsonx.ai space id <input name="watsonx_space_id" placeholder="or a project id" /></label>
        <label>watsonx.ai API version <input name="watsonx_version" placeholder="optional, e.g. 2024-05-01" /></label>`}
      <label>Request timeout (ms) <input name="request_timeout" type="number" min="1" step="1" placeholder="optional" /></label>
      <label class="models-wide">Description <input name="description" placeholder="optional" /></label>
    </div>
    <label class="models-check"><input type="checkbox" name="default" /> Make it the tenant's default of its kind</label>
    <p class="muted models-name">Name: <code data-testid="derived-name">${registeredName(provider, upstream || hint.example)}</code></p>
    <p class="muted">The API key is stored encrypted and never shown again.</p>
    <${ErrorNotice} error=${error} />
    ${saved && html`<p class="notice ok" role="status">Registered ${saved.name}.</p>`}
    <button type="submit" class="primary" disabled=${busy}>${busy ? "Registering…" : "Register"}</button>
  </form>`;
}
