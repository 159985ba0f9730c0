// The result list: one result per document as the server ranks them, the snippet with the
// query's terms in <mark> (the server's only markup, sanitized again here), and the opened
// result's passage with a link to the document on the Knowledge page.
import { useState } from "preact/hooks";
import DOMPurify from "dompurify";
import { html } from "../../html.js";
import { get } from "../../api.js";
import { ErrorNotice, useLoad } from "../../components.js";

// The snippet is HTML: keep the highlight tag and its text, nothing else.
export function safeSnippet(snippet) {
  return DOMPurify.sanitize(snippet || "", { ALLOWED_TAGS: ["mark"], ALLOWED_ATTR: [] });
}

// The highlighted words of a snippet (to mark them in the full passage too).
function markedTerms(snippet) {
  const box = document.createElement("div");
  box.innerHTML = safeSnippet(snippet);
  return [...new Set([...box.querySelectorAll("mark")].map((m) => m.textContent.trim()).filter(Boolean))];
}

// Plain text with the given words in <mark>, as vnodes (no HTML parsing).
export function highlight(text, terms) {
  if (!terms.length) return text;
  const escaped = terms.map((t) => t.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  const pattern = new RegExp(`(${escaped.join("|")})`, "gi");
  return text.split(pattern).map((part, i) => (i % 2 ? html`<mark>${part}</mark>` : part));
}

export function safeUrl(url) {
  return url && /^https?:\/\//i.test(url) ? url : null;
}

// The result's chunk: the index lists a document's chunks in order, a page at a time.
async function loadPassage(result) {
  const limit = 1000;
  for (let offset = 0; ; offset += limit) {
    const chunks = await get(`/v1/vector-indices/${result.index_id}/chunks`, {
      query: { document_id: result.document_id, limit, offset },
    });
    const found = chunks.data.find((c) => c.id === result.chunk_id);
    if (found) return found;
    if (offset + limit >= chunks.total) return null;
  }
}

function Passage({ result }) {
  const passage = useLoad(() => loadPassage(result), [result.chunk_id]);
  const chunk = passage.data;
  const source = safeUrl(result.url);
  return html`<div class="search-passage" role="region" aria-label=${`Passage from ${result.title}`}>
    <${ErrorNotice} error=${passage.error} onRetry=${passage.reload} />
    ${passage.loading && html`<p class="muted" role="status">Loading the passage…</p>`}
    ${chunk && chunk.heading_path.length > 0 && html`<p class="muted">${chunk.heading_path.join(" › ")}</p>`}
    ${chunk && html`<blockquote data-testid="passage">${highlight(chunk.text, markedTerms(result.snippet))}</blockquote>`}
    ${passage.data === null && !passage.loading && !passage.error &&
    html`<p class="muted">This passage is no longer in the index (the document changed since the search).</p>`}
    <p class="search-links">
      <a href=${`#/knowledge/${encodeURIComponent(result.collection_id)}/${encodeURIComponent(result.document_id)}`}>Open the document</a>
      ${source && html`<a href=${source} target="_blank" rel="noopener noreferrer">Source</a>`}
    </p>
  </div>`;
}

function ResultItem({ result, labels }) {
  const [open, setOpen] = useState(false);
  const collection = (labels.collection || {})[result.collection_id];
  const facts = [
    result.document_name !== result.title && result.document_name,
    collection && `in ${collection}`,
    result.page_number != null && `page ${result.page_number}`,
    result.matching_chunks > 1 && `${result.matching_chunks} matching passages`,
  ].filter(Boolean);
  return html`<li class="search-result">
    <h3>
      <button type="button" class="search-result-title" aria-expanded=${open} onClick=${() => setOpen(!open)}>
        <span class="muted">${result.rank}.</span> ${result.title}
      </button>
    </h3>
    ${facts.length > 0 && html`<p class="search-facts muted">${facts.join(" · ")}</p>`}
    <p class="search-snippet" dangerouslySetInnerHTML=${{ __html: safeSnippet(result.snippet) }}></p>
    ${open && html`<${Passage} result=${result} />`}
  </li>`;
}

export function ResultList({ data }) {
  if (!data.results.length) {
    return html`<p class="empty">No document matches “${data.query}”${data.page > 1 ? " on this page" : ""}.</p>`;
  }
  return html`<ol class="search-results" aria-label="Results">
    ${data.results.map((r) => html`<${ResultItem} key=${r.chunk_id} result=${r} labels=${data.facet_labels || {}} />`)}
  </ol>`;
}

export function Summary({ data }) {
  const count = data.total_relation === "gte" ? `At least ${data.total}` : String(data.total);
  const noun = data.total === 1 ? "result" : "results";
  const from = (data.page - 1) * data.page_size + 1;
  const to = from + data.results.length - 1;
  const shown = data.results.length ? ` · showing ${from}–${to}` : "";
  const took = data.timings_ms && data.timings_ms.total != null ? ` · ${Math.round(data.timings_ms.total)} ms` : "";
  return html`<p class="search-summary" data-testid="search-summary">${count} ${noun}${shown}${took}</p>`;
}

export function Pager({ data, onPage }) {
  if (data.page === 1 && !data.has_more) return null;
  const pages = data.total_relation === "eq" ? Math.max(1, Math.ceil(data.total / data.page_size)) : null;
  return html`<nav class="search-pager" aria-label="Result pages">
    <button type="button" disabled=${data.page <= 1} onClick=${() => onPage(data.page - 1)}>Previous page</button>
    <span aria-current="page">Page ${data.page}${pages ? ` of ${pages}` : ""}</span>
    <button type="button" disabled=${!data.has_more || data.page >= 100} onClick=${() => onPage(data.page + 1)}>Next page</button>
  </nav>`;
}
