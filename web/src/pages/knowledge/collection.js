// One collection: its documents (GET /v1/documents?collection_id=…, paginated, with a status
// filter), the upload area, and live statuses polled until every document shown is ready or failed.
import { useCallback, useEffect, useMemo, useRef, useState } from "preact/hooks";
import { html } from "../../html.js";
import { get } from "../../api.js";
import { Empty, ErrorNotice, formatBytes, useLoad } from "../../components.js";
import { navigate } from "../../router.js";
import {
  Pager,
  STAGES,
  StatusBadge,
  TERMINAL,
  formatDate,
  newest,
  plural,
  useStatusPolling,
} from "./shared.js";
import { UploadArea, useUploads } from "./upload.js";

const PAGE_SIZE = 25;

function useDocuments(collectionId, offset, status) {
  const [state, setState] = useState({ page: null, error: null, loading: true });
  const generation = useRef(0);
  const load = useCallback(() => {
    const mine = (generation.current += 1);
    setState((s) => ({ ...s, loading: true, error: null }));
    get("/v1/documents", {
      query: { collection_id: collectionId, status, limit: PAGE_SIZE, offset },
    }).then(
      (page) => mine === generation.current && setState({ page, error: null, loading: false }),
      (error) => mine === generation.current && setState((s) => ({ ...s, error, loading: false })),
    );
  }, [collectionId, offset, status]);
  useEffect(() => {
    load();
    return () => {
      generation.current += 1;
    };
  }, [load]);
  return { ...state, reload: load };
}

function DocumentRow({ collectionId, doc, live }) {
  const now = newest(live, doc);
  const meta = [
    doc.content_type,
    formatBytes(doc.size_bytes),
    now.page_count ? plural(now.page_count, "page") : null,
    plural(now.chunk_count, "chunk"),
    doc.version > 1 ? `version ${doc.version}` : null,
    formatDate(doc.created_at),
  ].filter(Boolean);
  return html`<li class="kn-row" data-testid="document-row">
    <div class="kn-row-main">
      <a class="kn-row-title" href=${`#/knowledge/${collectionId}/${doc.id}`}>${doc.title || doc.name}</a>
      ${doc.title && doc.title !== doc.name && html`<span class="muted">${doc.name}</span>`}
      <span class="muted kn-row-meta">${meta.join(" · ")}</span>
    </div>
    <${StatusBadge} status=${now.status} detail=${now.status_detail} />
  </li>`;
}

export function CollectionView({ collectionId }) {
  const [offset, setOffset] = useState(0);
  const [status, setStatus] = useState("");
  const collection = useLoad(() => get(`/v1/document-collections/${collectionId}`), [collectionId]);
  const docs = useDocuments(collectionId, offset, status);
  const refresh = useRef(null);
  const { uploads, add, clearFinished } = useUploads(collectionId, () => {
    // Several files finish close together: refresh the list and the statistics once.
    clearTimeout(refresh.current);
    refresh.current = setTimeout(() => {
      docs.reload();
      collection.reload();
    }, 300);
  });
  useEffect(() => () => clearTimeout(refresh.current), []);

  const listed = docs.page ? docs.page.data : [];
  // Each document as last seen by the list, its upload's answer or the poller, newest wins.
  const known = useMemo(() => {
    const map = {};
    for (const d of listed) map[d.id] = newest(map[d.id], d);
    for (const u of uploads) if (u.document) map[u.document.id] = newest(map[u.document.id], u.document);
    return map;
  }, [docs.page, uploads]);
  const watched = Object.values(known)
    .filter((d) => !TERMINAL.has(d.status))
    .map((d) => d.id)
    .sort();
  const polled = useStatusPolling(watched, known);
  const statuses = {};
  for (const id of Object.keys(known)) statuses[id] = newest(polled[id], known[id]);

  // When a watched document settles, refresh the statistics (chunks, by status) once.
  const settled = Object.values(polled).filter((s) => TERMINAL.has(s.status)).length;
  useEffect(() => {
    if (settled) collection.reload();
  }, [settled]);

  if (collection.error && !collection.data) {
    return html`<main class="page knowledge">
      <p><a href="#/knowledge">← Collections</a></p>
      <${ErrorNotice} error=${collection.error} onRetry=${collection.reload} />
    </main>`;
  }
  const info = collection.data;
  let list;
  if (docs.error) list = html`<${ErrorNotice} error=${docs.error} onRetry=${docs.reload} />`;
  else if (!docs.page) list = html`<p class="muted" aria-busy="true">Loading documents…</p>`;
  else if (docs.page.total === 0) {
    list = html`<${Empty}>${status ? `No ${status} documents.` : "No documents yet: upload some above."}</${Empty}>`;
  } else {
    list = html`<ul class="kn-list" aria-label="Documents">
        ${listed.map((d) => html`<${DocumentRow} key=${d.id} collectionId=${collectionId} doc=${d} live=${statuses[d.id]} />`)}
      </ul>
      <${Pager} page=${docs.page} onOffset=${setOffset} label="Document pages" />`;
  }
  return html`<main class="page knowledge">
    <p><a href="#/knowledge">← Collections</a></p>
    <h1>${info ? info.title || info.name : "Collection"}</h1>
    ${info && html`<p class="muted">${[
      info.description,
      plural(info.stats.documents, "document"),
      formatBytes(info.stats.bytes),
      plural(info.stats.chunks, "chunk"),
      `duplicates: ${info.settings.duplicate_policy}`,
    ].filter(Boolean).join(" · ")}</p>`}
    <${UploadArea} uploads=${uploads} onFiles=${add} statuses=${statuses} onClear=${clearFinished}
      onOpen=${(id) => navigate("knowledge", collectionId, id)} />
    <section class="card" aria-labelledby="kn-docs-title">
      <div class="kn-section-head">
        <h2 id="kn-docs-title">Documents ${docs.page && html`<span class="muted">(${docs.page.total})</span>`}</h2>
        <label class="kn-inline">Status
          <select value=${status} onChange=${(e) => { setOffset(0); setStatus(e.currentTarget.value); }}>
            <option value="">All</option>
            ${[...STAGES, "failed"].map((s) => html`<option value=${s}>${s}</option>`)}
          </select>
        </label>
        <button type="button" onClick=${docs.reload} disabled=${docs.loading}>Refresh</button>
      </div>
      ${list}
    </section>
  </main>`;
}
