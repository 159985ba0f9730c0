// A `conversational_search` answer: Markdown text whose `[n]` markers (1-based, into
// `search_results`) become buttons, a numbered source list, and the dialog showing a cited passage.
import { useEffect, useMemo, useRef } from "preact/hooks";
import { html } from "../../html.js";
import { renderMarkdown } from "../../markdown.js";

const MARKER = /\[(\d+)\]/g;

function resultTitle(item, index) {
  const result = (item.search_results || [])[index];
  return (result && (result.title || result.url)) || `Source ${index + 1}`;
}

// Replace the valid `[n]` markers of the rendered HTML (outside code) with citation buttons.
function withCitationButtons(markup, item) {
  const count = (item.search_results || []).length;
  const template = document.createElement("template");
  template.innerHTML = markup;
  const walker = document.createTreeWalker(template.content, NodeFilter.SHOW_TEXT);
  const nodes = [];
  while (walker.nextNode()) nodes.push(walker.currentNode);
  for (const node of nodes) {
    if (node.parentElement && node.parentElement.closest("code, pre, a")) continue;
    const text = node.nodeValue;
    if (!/\[\d+\]/.test(text)) continue;
    const fragment = document.createDocumentFragment();
    let cursor = 0;
    for (const match of text.matchAll(MARKER)) {
      const n = Number(match[1]);
      if (n < 1 || n > count) continue;
      fragment.append(text.slice(cursor, match.index));
      const button = document.createElement("button");
      button.type = "button";
      button.className = "cite";
      button.dataset.cite = String(n - 1);
      button.setAttribute("aria-label", `Citation ${n}: ${resultTitle(item, n - 1)}`);
      button.textContent = `[${n}]`;
      fragment.append(button);
      cursor = match.index + match[0].length;
    }
    fragment.append(text.slice(cursor));
    node.replaceWith(fragment);
  }
  return template.innerHTML;
}

// The search results the answer cites, in order, each once.
function citedResults(item) {
  const indexes = new Set((item.citations || []).map((c) => c.search_result_idx).filter((i) => i != null));
  for (const match of (item.text || "").matchAll(MARKER)) {
    const n = Number(match[1]);
    if (n >= 1 && n <= (item.search_results || []).length) indexes.add(n - 1);
  }
  return [...indexes].sort((a, b) => a - b);
}

export function CitedAnswer({ item, onCite }) {
  const markup = useMemo(() => withCitationButtons(renderMarkdown(item.text || ""), item), [item]);
  function click(event) {
    const button = event.target.closest("button.cite");
    if (button) onCite({ item, index: Number(button.dataset.cite) });
  }
  const cited = citedResults(item);
  return html`<div class="cited-answer">
    <div class="md" onClick=${click} dangerouslySetInnerHTML=${{ __html: markup }}></div>
    ${cited.length > 0 &&
    html`<div class="sources">
      <h3>${item.citations_title || "Sources"}</h3>
      <ol>
        ${cited.map(
          (index) => html`<li key=${index}>
            <button type="button" class="source" onClick=${() => onCite({ item, index })}>
              [${index + 1}] ${resultTitle(item, index)}
            </button>
          </li>`,
        )}
      </ol>
    </div>`}
  </div>`;
}

// The passage with the cited ranges marked: [{text, cited}] pieces.
export function passagePieces(body, citations) {
  const ranges = [];
  for (const c of citations) {
    let start = c.range_start;
    let end = c.range_end;
    const valid = Number.isInteger(start) && Number.isInteger(end) && start >= 0 && end <= body.length && start < end;
    if (!valid || (c.text && body.slice(start, end).trim() !== c.text.trim())) {
      const at = c.text ? body.indexOf(c.text) : -1;
      if (at < 0) continue;
      start = at;
      end = at + c.text.length;
    }
    ranges.push([start, end]);
  }
  ranges.sort((a, b) => a[0] - b[0]);
  const pieces = [];
  let cursor = 0;
  for (const [start, end] of ranges) {
    if (end <= cursor) continue;
    const from = Math.max(start, cursor);
    if (from > cursor) pieces.push({ text: body.slice(cursor, from), cited: false });
    pieces.push({ text: body.slice(from, end), cited: true });
    cursor = end;
  }
  if (cursor < body.length) pieces.push({ text: body.slice(cursor), cited: false });
  return pieces;
}

export function CitationDialog({ citation, onClose }) {
  const ref = useRef(null);
  useEffect(() => {
    const dialog = ref.current;
    if (citation && dialog && !dialog.open) dialog.showModal();
    if (!citation && dialog && dialog.open) dialog.close();
  }, [citation]);
  if (!citation) return html`<dialog ref=${ref} class="citation" onClose=${onClose}></dialog>`;
  const { item, index } = citation;
  const result = (item.search_results || [])[index] || {};
  const cites = (item.citations || []).filter((c) => c.search_result_idx === index);
  const body = result.body || cites.map((c) => c.body || c.text).find(Boolean) || "";
  const score = result.result_metadata?.score;
  // A click on the backdrop (the dialog element itself, outside its content) closes it.
  const backdrop = (event) => event.target === ref.current && ref.current.close();
  return html`<dialog ref=${ref} class="citation" aria-labelledby="citation-title" onClose=${onClose} onClick=${backdrop}>
    <div class="citation-body">
    <header>
      <h2 id="citation-title">[${index + 1}] ${resultTitle(item, index)}</h2>
      <button type="button" onClick=${() => ref.current.close()}>Close</button>
    </header>
    ${result.url && html`<p><a href=${result.url} target="_blank" rel="noopener noreferrer">${result.url}</a></p>`}
    ${score != null && html`<p class="muted">Relevance score ${Number(score).toFixed(2)}</p>`}
    <blockquote class="passage" data-testid="cited-passage">
      ${passagePieces(body, cites).map((p) => (p.cited ? html`<mark>${p.text}</mark>` : p.text))}
    </blockquote>
    ${cites.length === 0 && html`<p class="muted">No sentence of this passage is marked as cited.</p>`}
    </div>
  </dialog>`;
}
