// One chat message: the user's text, or the assistant's content items (Markdown text, cited
// answers), its step history, and for a live run its progress, stop/cancel state and errors.
import { useMemo } from "preact/hooks";
import { html } from "../../html.js";
import { renderMarkdown } from "../../markdown.js";
import { CitedAnswer } from "./citations.js";
import { StepHistory, flatSteps } from "./steps.js";

// Rendered once per text (a streaming answer re-renders the whole conversation per delta).
export function Markdown({ text }) {
  const markup = useMemo(() => renderMarkdown(text), [text]);
  return html`<div class="md" dangerouslySetInnerHTML=${{ __html: markup }}></div>`;
}

function ContentItem({ item, onCite }) {
  if (typeof item === "string") return html`<${Markdown} text=${item} />`;
  if (item.response_type === "conversational_search") return html`<${CitedAnswer} item=${item} onCite=${onCite} />`;
  if (typeof item.text === "string") return html`<${Markdown} text=${item.text} />`;
  return html`<pre class="raw">${JSON.stringify(item, null, 2)}</pre>`;
}

function contentOf(message) {
  const content = message.content;
  if (typeof content === "string") return [content];
  return Array.isArray(content) ? content : [];
}

export function Message({ message, onCite }) {
  const user = message.role === "user";
  return html`<article class=${`message ${user ? "user" : "assistant"}`} aria-label=${user ? "You" : "Assistant"}>
    <div class="who">${user ? "You" : "Assistant"}</div>
    <div class="bubble">
      ${contentOf(message).map((item, i) => html`<${ContentItem} key=${i} item=${item} onCite=${onCite} />`)}
      ${message.stopped && html`<p class="run-state" data-testid="run-state">Stopped: the run was cancelled; this partial answer was not saved.</p>`}
    </div>
    ${!user && html`<${StepHistory} details=${flatSteps(message.step_history)} />`}
  </article>`;
}

// The answer of the run in progress (or just ended without a stored message).
export function LiveMessage({ live, onCite, onRetry }) {
  const waiting = live.status === "starting" || (live.status === "running" && !live.text);
  return html`<article class="message assistant live" aria-label="Assistant" aria-busy=${live.status === "running" || live.status === "starting"}>
    <div class="who">Assistant</div>
    <div class="bubble">
      ${live.text ? html`<${Markdown} text=${live.text} />` : null}
      ${waiting && html`<p class="muted typing">${live.progress || (live.status === "starting" ? "Starting…" : "Thinking…")}</p>`}
      ${live.status === "cancelled" &&
      html`<p class="run-state" data-testid="run-state">Stopped: the run was cancelled; this partial answer was not saved.</p>`}
      ${live.status === "failed" &&
      html`<div class="notice error" role="alert">
        <span>${live.error?.message || "The run failed."}</span>
        <button type="button" onClick=${onRetry}>Retry</button>
      </div>`}
    </div>
    <${StepHistory} details=${live.steps} />
  </article>`;
}
