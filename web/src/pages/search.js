// The Search page (#/search, #/search/<engine_id>): pick or create a search engine, then query it.
// Engines come from GET /v1/search-engines; the query view lives in ./search/view.js.
import { useEffect, useState } from "preact/hooks";
import { html } from "../html.js";
import { get } from "../api.js";
import { Empty, ErrorNotice, useLoad } from "../components.js";
import { navigate } from "../router.js";
import { EngineForm } from "./search/engine-form.js";
import { SearchView } from "./search/view.js";

export function SearchPage({ params }) {
  const engineId = params[0] || null;
  const engines = useLoad(() => get("/v1/search-engines", { query: { limit: 1000 } }), []);
  const [creating, setCreating] = useState(false);
  const list = engines.data ? engines.data.data : [];

  // #/search alone opens the newest engine (replacing the history entry, so Back still works).
  useEffect(() => {
    if (!engineId && list.length) window.location.replace(`#/search/${encodeURIComponent(list[0].id)}`);
  }, [engineId, engines.data]);

  function created(engine) {
    setCreating(false);
    engines.reload();
    navigate("search", engine.id);
  }

  const none = engines.data && list.length === 0;
  const known = list.some((e) => e.id === engineId);
  return html`<main class="page search-page">
    <div class="search-top">
      <h1>Search</h1>
      ${list.length > 0 &&
      html`<label class="search-engine-pick">Search engine
        <select value=${known ? engineId : ""} onChange=${(e) => e.currentTarget.value && navigate("search", e.currentTarget.value)}>
          ${!known && html`<option value="">Choose an engine…</option>`}
          ${list.map((e) => html`<option value=${e.id}>${e.title || e.name}</option>`)}
        </select>
      </label>`}
      ${engines.data && !none &&
      html`<button type="button" aria-expanded=${creating} onClick=${() => setCreating(!creating)}>
        ${creating ? "Close the form" : "New search engine"}
      </button>`}
    </div>
    <${ErrorNotice} error=${engines.error} onRetry=${engines.reload} />
    ${engines.loading && !engines.data && html`<p class="muted" role="status">Loading search engines…</p>`}
    ${none && html`<${Empty}>No search engine yet: create one over your collections to start searching.<//>`}
    ${(creating || none) && html`<${EngineForm} onCreated=${created} onCancel=${none ? null : () => setCreating(false)} />`}
    ${engineId && html`<${SearchView} key=${engineId} engineId=${engineId} />`}
  </main>`;
}
