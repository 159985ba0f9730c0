// The tenant's Model Proxy usage (GET /v1/models/usage): requests, errors, tokens and the mean
// latency the server measured, per model and UTC day, newest first, in pages.
import { useState } from "preact/hooks";
import { html } from "../../html.js";
import { get } from "../../api.js";
import { ErrorNotice, useLoad } from "../../components.js";

const PAGE_SIZE = 10;

export function UsageTable({ models, version }) {
  const [model, setModel] = useState("");
  const [offset, setOffset] = useState(0);
  const usage = useLoad(
    () => get("/v1/models/usage", { query: { model, limit: PAGE_SIZE, offset } }),
    [model, offset, version],
  );
  const page = usage.data;
  const names = [...new Set(models.map((m) => m.name))];

  return html`<section class="card" aria-labelledby="usage-title">
    <div class="models-usage-head">
      <h2 id="usage-title">Usage</h2>
      <label class="models-inline">Model
        <select aria-label="Usage of model" value=${model}
          onChange=${(e) => { setModel(e.currentTarget.value); setOffset(0); }}>
          <option value="">All models</option>
          ${names.map((name) => html`<option value=${name}>${name}</option>`)}
        </select>
      </label>
      <button type="button" onClick=${usage.reload} disabled=${usage.loading}>Refresh</button>
    </div>
    <p class="muted">Counted by the server per model and UTC day; latency is its mean per request.</p>
    <${ErrorNotice} error=${usage.error} onRetry=${usage.reload} />
    ${!page && usage.loading && html`<p class="muted" role="status">Loading usage…</p>`}
    ${page && page.data.length === 0 && html`<p class="empty">No usage yet.</p>`}
    ${page && page.data.length > 0 && html`<div class="models-scroll"><table class="models-usage" aria-label="Usage per model and day">
      <thead><tr>
        <th scope="col">Day</th><th scope="col">Model</th><th scope="col">Requests</th>
        <th scope="col">Errors</th><th scope="col">Prompt tokens</th>
        <th scope="col">Completion tokens</th><th scope="col">Total tokens</th>
        <th scope="col">Mean latency</th>
      </tr></thead>
      <tbody>${page.data.map((row) => html`<tr key=${`${row.day}-${row.model}`}>
        <td>${row.day}</td><td class="models-name">${row.model}</td><td>${row.requests}</td>
        <td>${row.errors}</td><td>${row.prompt_tokens}</td><td>${row.completion_tokens}</td>
        <td>${row.total_tokens}</td><td>${Math.round(row.avg_latency_ms)} ms</td>
      </tr>`)}</tbody>
    </table></div>`}
    ${page && page.total > PAGE_SIZE && html`<nav class="models-pager" aria-label="Usage pages">
      <button type="button" disabled=${offset === 0} onClick=${() => setOffset(Math.max(0, offset - PAGE_SIZE))}>Previous</button>
      <span>${offset + 1}–${Math.min(offset + PAGE_SIZE, page.total)} of ${page.total}</span>
      <button type="button" disabled=${offset + PAGE_SIZE >= page.total} onClick=${() => setOffset(offset + PAGE_SIZE)}>Next</button>
    </nav>`}
  </section>`;
}
