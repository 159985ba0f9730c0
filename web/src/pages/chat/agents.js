// The agent picker: the tenant's agents (GET /v1/orchestrate/agents); the choice is remembered
// in this tab's sessionStorage and used for the next runs.
import { html } from "../../html.js";
import { get } from "../../api.js";
import { ErrorNotice, useLoad } from "../../components.js";

const KEY = "wxo.chat.agent";

export function rememberedAgent() {
  return sessionStorage.getItem(KEY) || "";
}

export function rememberAgent(id) {
  if (id) sessionStorage.setItem(KEY, id);
  else sessionStorage.removeItem(KEY);
}

export function useAgents() {
  return useLoad(() => get("/v1/orchestrate/agents"), []);
}

export function AgentPicker({ agents, value, onChange }) {
  const list = agents.data || [];
  const known = !value || list.some((a) => a.id === value);
  return html`<div class="agent-picker">
    <label>Agent
      <select value=${known ? value : ""} disabled=${agents.loading} onChange=${(e) => onChange(e.currentTarget.value)}>
        <option value="">Default assistant</option>
        ${list.map((a) => html`<option key=${a.id} value=${a.id}>${a.display_name || a.name}${a.llm ? ` (${a.llm})` : ""}</option>`)}
      </select>
    </label>
    <${ErrorNotice} error=${agents.error} onRetry=${agents.reload} />
    ${!agents.loading && !agents.error && list.length === 0 &&
    html`<p class="muted">No agents yet: the default assistant answers (create agents with POST /v1/orchestrate/agents).</p>`}
  </div>`;
}
