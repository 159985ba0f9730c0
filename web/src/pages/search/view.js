// One engine's search: query box, answer toggle, the answer on top, facets, results and pages.
// Searches POST /v1/search-engines/{id}/search with {query, page, page_size, filters, answer};
// the route answers in one JSON body (it has no streaming form).
import { useEffect, useRef, useState } from "preact/hooks";
import { html } from "../../html.js";
import { get, post } from "../../api.js";
import { ErrorNotice, useLoad } from "../../components.js";
import { QueryBox } from "./query-box.js";
import { Pager, ResultList, Summary } from "./results.js";
import { ChosenFilters, Facets, toFilters } from "./facets.js";
import { Answer } from "./answer.js";
import { loadSources } from "./engine-form.js";

const PAGE_SIZE = 10;

// The last search per engine lives in this tab's sessionStorage, so a reload, or Back from the
// document a result opened, shows the same results again.
const savedKey = (engineId) => `wxo.search.${engineId}`;
function savedRequest(engineId) {
  try {
    const saved = JSON.parse(sessionStorage.getItem(savedKey(engineId)));
    return saved && typeof saved.query === "string" && saved.query ? saved : null;
  } catch {
    return null;
  }
}

function useSearch(engineId, request) {
  const [state, setState] = useState({ data: null, error: null, loading: false });
  useEffect(() => {
    if (!request) return undefined;
    let live = true;
    setState((s) => ({ ...s, loading: true, error: null }));
    post(`/v1/search-engines/${engineId}/search`, {
      query: request.query,
      page: request.page,
      page_size: PAGE_SIZE,
      filters: toFilters(request.selected),
      answer: request.answer,
    }).then(
      (data) => live && setState({ data, error: null, loading: false }),
      (error) => live && setState((s) => ({ ...s, error, loading: false })),
    );
    return () => {
      live = false;
    };
  }, [engineId, request]);
  return state;
}

// What the engine searches (its indices, named by their collections) and its description.
function EngineFacts({ engine, sources }) {
  const labels = new Map((sources || []).map((s) => [s.id, s.label]));
  const names = engine.index_ids.map((id) => labels.get(id)).filter(Boolean);
  return html`<p class="muted search-engine-facts">
    ${engine.description && html`${engine.description} · `}
    ${sources ? `Searches ${names.length ? names.join(", ") : "no collection left"}` : ""}
  </p>`;
}

export function SearchView({ engineId }) {
  const engine = useLoad(() => get(`/v1/search-engines/${engineId}`), [engineId]);
  const sources = useLoad(loadSources, []);
  const [request, setRequest] = useState(() => savedRequest(engineId));
  // null: the engine's setting
  const [answerChoice, setAnswerChoice] = useState(() => (request ? request.answer : null));
  const results = useSearch(engineId, request);
  useEffect(() => {
    if (request) sessionStorage.setItem(savedKey(engineId), JSON.stringify(request));
  }, [engineId, request]);
  const top = useRef(null);

  const engineAnswers = Boolean(engine.data && engine.data.settings.answer.enabled);
  const answer = answerChoice ?? engineAnswers;

  function update(changes) {
    setRequest((r) => ({ query: "", page: 1, selected: {}, answer, ...r, ...changes }));
  }
  function toggleFacet(facet, value) {
    const selected = { ...(request ? request.selected : {}) };
    const values = selected[facet] || [];
    selected[facet] = values.includes(value) ? values.filter((v) => v !== value) : [...values, value];
    update({ selected, page: 1 });
  }
  function toPage(page) {
    update({ page });
    if (top.current) top.current.scrollIntoView({ block: "start" });
  }
  function toggleAnswer(on) {
    setAnswerChoice(on);
    if (request) update({ answer: on });
  }

  if (engine.error) return html`<${ErrorNotice} error=${engine.error} onRetry=${engine.reload} />`;
  if (!engine.data) return html`<p class="muted" role="status">Loading the search engine…</p>`;
  const data = results.data;
  const selected = request ? request.selected : {};
  return html`<section class="search-view" aria-label=${`Search ${engine.data.title || engine.data.name}`}>
    <${EngineFacts} engine=${engine.data} sources=${sources.data} />
    <${QueryBox} engineId=${engineId} initial=${request ? request.query : ""} onSearch=${(query) => update({ query, page: 1 })} />
    <label class="search-check search-answer-toggle">
      <input type="checkbox" checked=${answer} onChange=${(e) => toggleAnswer(e.currentTarget.checked)} />
      <span>Generate an answer</span>
    </label>
    <div ref=${top}></div>
    <${ErrorNotice} error=${results.error} onRetry=${() => update({})} />
    <p class="muted" role="status" aria-live="polite">
      ${results.loading ? (request.answer ? "Searching and writing the answer…" : "Searching…") : ""}
    </p>
    ${!request && html`<p class="empty">Type a query and press Enter to search.</p>`}
    ${data &&
    html`<div class=${`search-layout${results.loading ? " search-stale" : ""}`} aria-busy=${results.loading}>
      <div class="search-main">
        ${data.answer && html`<${Answer} key=${data.query + data.page} item=${data.answer} />`}
        <${ChosenFilters} selected=${selected} labels=${data.facet_labels} onToggle=${toggleFacet} onClear=${() => update({ selected: {}, page: 1 })} />
        <${Summary} data=${data} />
        <${ResultList} key=${`${data.query}|${data.page}`} data=${data} />
        <${Pager} data=${data} onPage=${toPage} />
      </div>
      <${Facets} data=${data} selected=${selected} onToggle=${toggleFacet} />
    </div>`}
  </section>`;
}
