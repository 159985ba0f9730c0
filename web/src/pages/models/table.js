// The models table: built-in and registered models, a name filter, a kind filter, pages of
// PAGE_SIZE rows, details of a registered model (secrets never shown) and delete with a confirm.
import { useEffect, useRef, useState } from "preact/hooks";
import { html } from "../../html.js";
import { navigate } from "../../router.js";
import { ErrorNotice } from "../../components.js";
import { deleteModel, isChat, kindLabel, providerLabel, replaceKey } from "./data.js";

const PAGE_SIZE = 20;
const SECRET_KEYS = /key|secret|token|password/i;

function ConfirmDelete({ model, onDone }) {
  const dialog = useRef(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  useEffect(() => {
    dialog.current.showModal();
  }, []);
  async function confirm() {
    setBusy(true);
    setError(null);
    try {
      await deleteModel(model.id);
      onDone(true);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  }
  return html`<dialog ref=${dialog} class="models-dialog" aria-labelledby="delete-title"
      onCancel=${(e) => { e.preventDefault(); onDone(false); }}>
    <h2 id="delete-title">Delete ${model.name}?</h2>
    <p>The model and its stored API key are removed for good. Agents that name it will fail.</p>
    <${ErrorNotice} error=${error} />
    <div class="models-actions">
      <button type="button" class="danger" onClick=${confirm} disabled=${busy}>${busy ? "Deleting…" : "Delete"}</button>
      <button type="button" onClick=${() => onDone(false)} disabled=${busy}>Cancel</button>
    </div>
  </dialog>`;
}

// Replace (rotate) the stored API key: write-only like at registration.
function ReplaceKey({ model, onReplaced }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [done, setDone] = useState(false);
  async function submit(event) {
    event.preventDefault();
    const form = event.currentTarget;
    const key = String(new FormData(form).get("api_key") || "");
    setBusy(true);
    setError(null);
    setDone(false);
    try {
      await replaceKey(model.id, key);
      form.reset();
      setDone(true);
      onReplaced();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }
  return html`<form class="models-replace" onSubmit=${submit} autocomplete="off"
      aria-label=${`Replace the API key of ${model.name}`}>
    <label class="models-inline">New API key
      <input name="api_key" type="password" autocomplete="new-password" required />
    </label>
    <button type="submit" disabled=${busy}>${busy ? "Saving…" : "Replace key"}</button>
    ${done && html`<span role="status" class="ok-text">API key replaced.</span>`}
    <${ErrorNotice} error=${error} />
  </form>`;
}

// What the server tells about a registered model; secret values are never displayed, only
// whether one is stored.
function Details({ model, onChanged }) {
  const reg = model.registered;
  if (!reg) {
    return html`<dl class="models-details">
      <dt>Description</dt><dd>${model.description || "none"}</dd>
      ${model.dimensions && html`<dt>Dimensions</dt><dd>${model.dimensions}</dd>`}
      <dt>Runtime</dt><dd>${model.available ? "installed, runs in the server" : "not installed on this server"}</dd>
    </dl>`;
  }
  const config = reg.provider_config || {};
  const rows = Object.entries(config)
    .filter(([key]) => key !== "provider")
    .map(([key, value]) => [key, SECRET_KEYS.test(key) ? "stored (write-only, never shown)" : String(value)]);
  if (!("api_key" in config)) rows.push(["api_key", "none"]);
  return html`<dl class="models-details">
    ${reg.description && html`<dt>Description</dt><dd>${reg.description}</dd>`}
    <dt>Provider's model id</dt><dd>${reg.name.split("/").slice(2).join("/")}</dd>
    ${rows.map(([key, value]) => html`<dt>${key}</dt><dd>${value}</dd>`)}
    <dt>Tags</dt><dd>${reg.tags.length ? reg.tags.join(", ") : "none"}</dd>
    <dt>Registered</dt><dd>${new Date(reg.created_at).toLocaleString()}</dd>
  </dl>
  <${ReplaceKey} model=${model} onReplaced=${onChanged} />`;
}

function Row({ model, onDelete, onChanged }) {
  const [open, setOpen] = useState(false);
  const detailsId = `model-details-${model.id || model.name}`.replace(/[^\w-]/g, "-");
  return html`<tr>
      <td data-label="Name">
        <strong class="models-name">${model.display_name && model.display_name !== model.name ? model.display_name : model.name}</strong>
        ${model.display_name && model.display_name !== model.name && html`<div class="muted models-name">${model.name}</div>`}
        ${model.is_default && html` <span class="badge">default</span>`}
        ${!model.available && html` <span class="badge warn">not installed</span>`}
      </td>
      <td data-label="Provider">${providerLabel(model.provider)}</td>
      <td data-label="Kind">${kindLabel(model.model_type)}</td>
      <td data-label="Source">${model.is_custom ? "Registered" : "Built-in"}</td>
      <td><div class="models-row-actions">
        <button type="button" aria-expanded=${open} aria-controls=${detailsId}
          aria-label=${`Details of ${model.name}`} onClick=${() => setOpen(!open)}>Details</button>
        ${isChat(model) && model.available && html`<button type="button" aria-label=${`Try ${model.name}`}
          onClick=${() => navigate("models", "try", model.name)}>Try</button>`}
        ${model.is_custom && html`<button type="button" class="danger" aria-label=${`Delete ${model.name}`}
          onClick=${() => onDelete(model)}>Delete</button>`}
      </div></td>
    </tr>
    ${open && html`<tr class="models-details-row"><td colspan="5" id=${detailsId}><${Details} model=${model} onChanged=${onChanged} /></td></tr>`}`;
}

export function ModelTable({ models, kind, onKind, onChanged }) {
  const [filter, setFilter] = useState("");
  const [page, setPage] = useState(0);
  const [deleting, setDeleting] = useState(null);
  const needle = filter.trim().toLowerCase();
  const shown = models.filter(
    (m) => !needle || `${m.name} ${m.display_name || ""} ${m.provider}`.toLowerCase().includes(needle),
  );
  const pages = Math.max(1, Math.ceil(shown.length / PAGE_SIZE));
  const current = Math.min(page, pages - 1);
  const rows = shown.slice(current * PAGE_SIZE, (current + 1) * PAGE_SIZE);

  return html`<div>
    <div class="models-filters">
      <label>Filter by name
        <input type="search" value=${filter} onInput=${(e) => { setFilter(e.currentTarget.value); setPage(0); }} />
      </label>
      <label>Kind
        <select aria-label="Kind" value=${kind} onChange=${(e) => { onKind(e.currentTarget.value); setPage(0); }}>
          <option value="all">All</option>
          <option value="chat">Chat</option>
          <option value="embedding">Embedding</option>
        </select>
      </label>
    </div>
    ${rows.length === 0
      ? html`<p class="empty">${models.length ? "No model matches the filter." : "No models."}</p>`
      : html`<table class="models-table" aria-label="Models">
          <caption class="muted">${shown.length} model${shown.length === 1 ? "" : "s"}</caption>
          <thead><tr><th scope="col">Name</th><th scope="col">Provider</th><th scope="col">Kind</th>
            <th scope="col">Source</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
          <tbody>${rows.map((m) => html`<${Row} key=${m.id || m.name} model=${m} onDelete=${setDeleting} onChanged=${onChanged} />`)}</tbody>
        </table>`}
    ${pages > 1 && html`<nav class="models-pager" aria-label="Model pages">
      <button type="button" disabled=${current === 0} onClick=${() => setPage(current - 1)}>Previous</button>
      <span>Page ${current + 1} of ${pages}</span>
      <button type="button" disabled=${current >= pages - 1} onClick=${() => setPage(current + 1)}>Next</button>
    </nav>`}
    ${deleting && html`<${ConfirmDelete} model=${deleting}
      onDone=${(deleted) => { setDeleting(null); if (deleted) onChanged(); }} />`}
  </div>`;
}
