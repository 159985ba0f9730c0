// One document: its details and live status, download of the original, reprocess, delete, and
// once ready the extraction results in tabs (text, elements, images, metadata).
import { useState } from "preact/hooks";
import { html } from "../../html.js";
import { blobUrl, del, get, post } from "../../api.js";
import { ErrorNotice, formatBytes, useLoad } from "../../components.js";
import { navigate } from "../../router.js";
import { ConfirmDelete, StatusBadge, formatDate, newest, useStatusPolling } from "./shared.js";
import { ElementsTab, ImagesTab, MetadataTab, TextTab } from "./results.js";

const TABS = [
  ["text", "Text", TextTab],
  ["elements", "Elements", ElementsTab],
  ["images", "Images", ImagesTab],
  ["metadata", "Metadata", MetadataTab],
];

function Tabs({ documentId, version }) {
  const [tab, setTab] = useState("text");
  const current = TABS.find(([key]) => key === tab);
  const Panel = current[2];
  function keys(event) {
    const index = TABS.findIndex(([key]) => key === tab);
    let next = null;
    if (event.key === "ArrowRight") next = (index + 1) % TABS.length;
    if (event.key === "ArrowLeft") next = (index + TABS.length - 1) % TABS.length;
    if (next === null) return;
    event.preventDefault();
    setTab(TABS[next][0]);
    document.getElementById(`kn-tab-${TABS[next][0]}`)?.focus();
  }
  return html`<section class="card">
    <div class="tabs kn-tabs" role="tablist" aria-label="Extraction results" onKeyDown=${keys}>
      ${TABS.map(
        ([key, label]) => html`<button type="button" role="tab" id=${`kn-tab-${key}`}
          aria-selected=${key === tab} aria-controls="kn-tabpanel" tabindex=${key === tab ? 0 : -1}
          onClick=${() => setTab(key)}>${label}</button>`,
      )}
    </div>
    <div id="kn-tabpanel" role="tabpanel" aria-labelledby=${`kn-tab-${tab}`} class="kn-tabpanel">
      <${Panel} key=${tab} documentId=${documentId} version=${version} />
    </div>
  </section>`;
}

async function download(doc) {
  const url = await blobUrl(`/v1/documents/${doc.id}/download`);
  const link = document.createElement("a");
  link.href = url;
  link.download = doc.name;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

export function DocumentView({ collectionId, documentId }) {
  const loaded = useLoad(() => get(`/v1/documents/${documentId}`), [documentId]);
  const [override, setOverride] = useState(null); // the answer of a reprocess
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const base = newest(override && override.id === documentId ? override : null, loaded.data);
  const known = base ? { [documentId]: base } : {};
  const statuses = useStatusPolling(base ? [documentId] : [], known);
  const live = newest(statuses[documentId], base);

  const back = html`<p><a href=${`#/knowledge/${collectionId}`}>← Collection</a></p>`;
  if (loaded.error && !loaded.data) {
    return html`<main class="page knowledge">${back}
      <${ErrorNotice} error=${loaded.error} onRetry=${loaded.reload} /></main>`;
  }
  if (!base) return html`<main class="page knowledge">${back}<p class="muted" aria-busy="true">Loading…</p></main>`;
  const doc = { ...base, ...live };

  async function act(action) {
    setBusy(true);
    setError(null);
    try {
      await action();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }
  const reprocess = () => act(async () => setOverride(await post(`/v1/documents/${documentId}/reprocess`)));
  async function remove() {
    await act(async () => {
      await del(`/v1/documents/${documentId}`);
      navigate("knowledge", collectionId);
    });
  }

  const facts = [
    ["Status", html`<${StatusBadge} status=${doc.status} detail=${doc.status_detail} />`],
    ["File", doc.name],
    ["Type", doc.content_type || "unknown"],
    ["Size", formatBytes(doc.size_bytes)],
    ["Pages", doc.page_count ?? "—"],
    ["Chunks", doc.chunk_count],
    ["Version", doc.version],
    ["Uploaded", `${formatDate(doc.created_at)}${doc.created_by_username ? ` by ${doc.created_by_username}` : ""}`],
  ];
  if (doc.source_uri) facts.push(["Source", doc.source_uri]);
  if (doc.tags && doc.tags.length) facts.push(["Tags", doc.tags.join(", ")]);
  return html`<main class="page knowledge">
    ${back}
    <h1 class="kn-doc-title">${doc.title || doc.name}</h1>
    <section class="card">
      <dl class="kn-facts">${facts.map(([k, v]) => html`<dt>${k}</dt><dd>${v}</dd>`)}</dl>
      <div class="kn-actions">
        <button type="button" disabled=${busy || !doc.size_bytes} onClick=${() => act(() => download(doc))}>Download original</button>
        <button type="button" disabled=${busy || !["ready", "failed"].includes(doc.status)} onClick=${reprocess}>Reprocess</button>
        <${ConfirmDelete} label="Delete document" question=${`Delete “${doc.name}”?`} onConfirm=${remove} />
      </div>
      <${ErrorNotice} error=${error} />
    </section>
    ${doc.status === "ready"
      ? html`<${Tabs} documentId=${documentId} version=${doc.updated_at} />`
      : doc.status === "failed"
        ? html`<p class="notice error" role="alert">Extraction failed: the results are not available. Fix the file and upload it again, or reprocess.</p>`
        : html`<p class="muted" aria-live="polite">The results appear here once the document is ready (now ${doc.status}).</p>`}
  </main>`;
}
