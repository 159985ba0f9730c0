// "New search engine": a name, the collections it searches and whether it answers every search.
// An engine searches vector indices (`index_ids`); each collection has its own default index,
// so the form offers collections by name and sends their indices (other indices by their name).
import { useState } from "preact/hooks";
import { html } from "../../html.js";
import { get, post } from "../../api.js";
import { ErrorNotice, useLoad } from "../../components.js";

export async function loadSources() {
  const [collections, indices] = await Promise.all([
    get("/v1/document-collections", { query: { limit: 1000 } }),
    get("/v1/vector-indices", { query: { limit: 1000 } }),
  ]);
  const names = new Map(collections.data.map((c) => [c.id, c.title || c.name]));
  return indices.data.map((index) => {
    const own = index.default_for_collection_id && names.get(index.default_for_collection_id);
    const covered = index.collection_ids.map((id) => names.get(id)).filter(Boolean);
    return {
      id: index.id,
      label: own || index.title || index.name,
      detail: own
        ? `${index.stats.documents} documents`
        : `index over ${covered.length ? covered.join(", ") : "no collection"}`,
      own: Boolean(own),
    };
  }).sort((a, b) => Number(b.own) - Number(a.own) || a.label.localeCompare(b.label));
}

export function EngineForm({ onCreated, onCancel }) {
  const sources = useLoad(loadSources, []);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);

  async function submit(event) {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    const indexIds = data.getAll("index");
    if (!indexIds.length) {
      setError(new Error("Pick at least one collection to search."));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const body = {
        name: String(data.get("name")).trim(),
        index_ids: indexIds,
        settings: { answer: { enabled: data.get("answer") === "on" } },
      };
      const title = String(data.get("title") || "").trim();
      if (title) body.title = title;
      onCreated(await post("/v1/search-engines", body));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  const list = sources.data || [];
  return html`<form class="card search-engine-form" onSubmit=${submit} aria-labelledby="new-engine-title">
    <h2 id="new-engine-title">New search engine</h2>
    <div class="search-form-row">
      <label>Name <input name="name" required maxlength="256" autocomplete="off" /></label>
      <label><span>Title <span class="muted">(optional)</span></span><input name="title" maxlength="1024" autocomplete="off" /></label>
    </div>
    <fieldset>
      <legend>Collections to search</legend>
      <${ErrorNotice} error=${sources.error} onRetry=${sources.reload} />
      ${sources.loading && html`<p class="muted" role="status">Loading collections…</p>`}
      ${sources.data && list.length === 0 &&
      html`<p class="empty">No collection yet: create one and upload documents on the <a href="#/knowledge">Knowledge</a> page.</p>`}
      ${list.map(
        (s) => html`<label class="search-check">
          <input type="checkbox" name="index" value=${s.id} />
          <span>${s.label} <span class="muted">${s.detail}</span></span>
        </label>`,
      )}
    </fieldset>
    <label class="search-check">
      <input type="checkbox" name="answer" />
      <span>Answer every search with a generated answer</span>
    </label>
    <${ErrorNotice} error=${error} />
    <div class="search-form-actions">
      <button type="submit" class="primary" disabled=${busy || list.length === 0}>
        ${busy ? "Creating…" : "Create search engine"}
      </button>
      ${onCancel && html`<button type="button" onClick=${onCancel}>Cancel</button>`}
    </div>
  </form>`;
}
