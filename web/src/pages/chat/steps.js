// The step history of an answer: tool calls and their results, collapsed by default.
import { html } from "../../html.js";

function pretty(value) {
  if (typeof value === "string") {
    try {
      return JSON.stringify(JSON.parse(value), null, 2);
    } catch {
      return value;
    }
  }
  return JSON.stringify(value ?? {}, null, 2);
}

function Step({ detail }) {
  if (detail.type === "tool_calls" || detail.type === "tool_call") {
    const calls = detail.tool_calls || [detail];
    return calls.map(
      (call) => html`<li class="step call">
        <strong>Tool call</strong> <code>${call.name}</code>
        ${detail.agent_display_name && html` <span class="muted">by ${detail.agent_display_name}</span>`}
        <pre>${pretty(call.args)}</pre>
      </li>`,
    );
  }
  if (detail.type === "tool_response") {
    return html`<li class="step result">
      <strong>Result</strong> of <code>${detail.name}</code>
      <pre>${pretty(detail.content)}</pre>
    </li>`;
  }
  return html`<li class="step"><strong>${detail.type || "Step"}</strong><pre>${pretty(detail)}</pre></li>`;
}

// `details`: a flat list of step details (a stored message's step_history flattened, or the
// run.step.delta events of a live run).
export function StepHistory({ details }) {
  if (!details || details.length === 0) return null;
  const calls = details.filter((d) => d.type === "tool_calls" || d.type === "tool_call").length;
  return html`<details class="steps">
    <summary>Step history (${details.length} ${details.length === 1 ? "step" : "steps"}, ${calls} tool ${calls === 1 ? "call" : "calls"})</summary>
    <ol>${details.map((d, i) => html`<${Step} key=${i} detail=${d} />`)}</ol>
  </details>`;
}

export function flatSteps(stepHistory) {
  return (stepHistory || []).flatMap((s) => s.step_details || []);
}
