// The tenant's collections (GET /v1/document-collections, newest first, paginated), a form that
// creates one (POST, name + optional description and duplicate policy), delete with a confirmation.
import { useState } from "preact/hooks";
import { html } from "../../html.js";
import { del, get, post } from "../../api.js";
import { Empty, ErrorNotice, formatBytes, useLoad } from "../../components.js";
import { navigate } from "../../router.js";
import { ConfirmDelete, Pager, formatDate, plural } from "./shared.js";

const PAGE_SIZE = 20;

function CreateCollection({ onCreated }) {
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  async function submit(event) {
    event.preventDefault();
    const form = event.currentTarget;
    const data = new FormData(form);
    const body = { name: String(data.get("name")).trim() };
    const description = String(data.get("description")).trim();
    if (description) body.description = description;
    body.settings = { duplicate_policy: String(data.get("duplicate_policy")) };
    setBusy(true);
    setError(null);
    try {
      const created = await post("/v1/document-collections", body);
      form.reset();
      onCreated(created);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }
  return html`<form class="card kn-create" onSubmit=${submit} aria-labelledby="kn-create-title">
    <h2 id="kn-create-title">New collection</h2>
    <label>Name <input name="name" required maxlength="1024" autocomplete="off" /></label>
    <label>Description <input name="description" autocomplete="off" /></label>
    <label>When the same file is uploaded again
      <select name="duplicate_policy">
        <option value="skip">Skip it (keep the existing document)</option>
        <option value="replace">Replace the existing document's metadata</option>
        <option value="version">Add a new version</option>
        <option value="reject">Reject it</option>
      </select>
    </label>
    <${ErrorNotice} error=${error} />
    <button type="submit" class="primary" disabled=${busy}>${busy ? "Creating…" : "Create collection"}</button>
  </form>`;
}

function statusSummary(byStatus) {
  const parts = Object.entries(byStatus || {}).filter(([, n]) => n > 0);
  return parts.map(([status, n]) => `${n} ${status}`).join(", ");
}

function CollectionRow({ collection, onDeleted }) {
  const [error, setError] = useState(null);
  const stats = collection.stats;
  const meta = [
    `${plural(stats.documents, "document")}${stats.documents ? ` (${statusSummary(stats.by_status)})` : ""}`,
    formatBytes(stats.bytes),
    plural(stats.chunks, "chunk"),
    `created ${formatDate(collection.created_at)}`,
  ].join(" · ");
  async function remove() {
    setError(null);
    try {
      await del(`/v1/document-collections/${collection.id}`);
      onDeleted();
    } catch (err) {
      setError(err);
    }
  }
  return html`<li class="kn-row" data-testid="collection-row">
    <div class="kn-row-main">
      <a href=${`#/knowledge/${collection.id}`} class="kn-row-title">${collection.title || collection.name}</a>
      ${collection.description && html`<span class="muted">${collection.description}</span>`}
      <span class="muted kn-row-meta">${meta}</span>
      <${ErrorNotice} error=${error} />
    </div>
    <${ConfirmDelete} label="Delete"
      question=${`Delete “${collection.name}” and its ${stats.documents} document(s)?`}
      onConfirm=${remove} />
  </li>`;
}

export function CollectionsView() {
  const [offset, setOffset] = useState(0);
  const list = useLoad(
    () => get("/v1/document-collections", { query: { limit: PAGE_SIZE, offset } }),
    [offset],
  );
  const page = list.data;
  let body;
  if (list.error) body = html`<${ErrorNotice} error=${list.error} onRetry=${list.reload} />`;
  else if (!page) body = html`<p class="muted" aria-busy="true">Loading collections…</p>`;
  else if (page.total === 0) body = html`<${Empty}>No collections yet: create one to upload documents.</${Empty}>`;
  else {
    body = html`<ul class="kn-list" aria-label="Collections">
        ${page.data.map(
          (c) => html`<${CollectionRow} key=${c.id} collection=${c}
            onDeleted=${() => (page.data.length === 1 && offset > 0 ? setOffset(offset - PAGE_SIZE) : list.reload())} />`,
        )}
      </ul>
      <${Pager} page=${page} onOffset=${setOffset} label="Collection pages" />`;
  }
  return html`<main class="page knowledge">
    <h1>Knowledge</h1>
    <div class="kn-columns">
      <section class="card" aria-labelledby="kn-collections-title">
        <h2 id="kn-collections-title">Collections ${page && html`<span class="muted">(${page.total})</span>`}</h2>
        ${body}
      </section>
      <${CreateCollection} onCreated=${(c) => navigate("knowledge", c.id)} />
    </div>
  </main>`;
}
