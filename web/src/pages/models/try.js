// Try a prompt against a chat model: Enter sends, Shift+Enter adds a line. Shows the answer (live
// when streamed), the latency measured in the browser and the token usage the server reports.
import { useEffect, useRef, useState } from "preact/hooks";
import { html } from "../../html.js";
import { ErrorNotice } from "../../components.js";
import { isChat, sendPrompt } from "./data.js";

function Metrics({ result }) {
  const usage = result.usage;
  return html`<dl class="models-metrics" aria-label="Answer metrics">
    <div><dt>Latency</dt><dd data-testid="latency">${Math.round(result.latency)} ms</dd></div>
    ${result.firstToken !== null && html`<div><dt>First token</dt><dd>${Math.round(result.firstToken)} ms</dd></div>`}
    <div><dt>Prompt tokens</dt><dd data-testid="prompt-tokens">${usage ? usage.prompt_tokens : "—"}</dd></div>
    <div><dt>Completion tokens</dt><dd data-testid="completion-tokens">${usage ? usage.completion_tokens : "—"}</dd></div>
    <div><dt>Total tokens</dt><dd data-testid="total-tokens">${usage ? usage.total_tokens : "—"}</dd></div>
    <div><dt>Model</dt><dd class="models-name">${result.model}</dd></div>
    ${result.finish && html`<div><dt>Finish</dt><dd>${result.finish}</dd></div>`}
  </dl>`;
}

export function TryPrompt({ models, selected, onSelect, onDone }) {
  const chatModels = models.filter((m) => isChat(m) && m.available);
  const model = chatModels.some((m) => m.name === selected) ? selected : chatModels[0]?.name || "";
  const [hasPrompt, setHasPrompt] = useState(false);
  const [running, setRunning] = useState(null); // AbortController while a prompt runs
  const [partial, setPartial] = useState("");
  const [result, setResult] = useState(null);
  const [error, setError] = useState(null);
  const promptRef = useRef(null);
  const formRef = useRef(null);

  const picked = useRef(false); // the selection came from this panel's own select
  // A model chosen elsewhere (a table's Try button, a deep link): go straight to the prompt.
  useEffect(() => {
    if (selected && promptRef.current && !picked.current) promptRef.current.focus();
    picked.current = false;
  }, [selected]);

  // The fields are read from the form when sending (uncontrolled): what the user sees is sent.
  async function send() {
    const data = new FormData(formRef.current);
    const prompt = String(data.get("prompt") || "");
    const chosen = String(data.get("model") || "");
    if (!chosen || !prompt.trim() || running) return;
    const controller = new AbortController();
    setRunning(controller);
    setError(null);
    setResult(null);
    setPartial("");
    try {
      setResult(
        await sendPrompt({
          model: chosen,
          system: String(data.get("system") || ""),
          prompt,
          stream: data.get("stream") === "on",
          maxTokens: Number(data.get("max_tokens")) || null,
          signal: controller.signal, onDelta: setPartial,
        }),
      );
    } catch (err) {
      setError(err.name === "AbortError" ? new Error("Stopped.") : err);
    } finally {
      setRunning(null);
      onDone();
    }
  }

  function onKeyDown(event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      send();
    }
  }

  const answer = result ? result.answer : partial;
  return html`<section class="models-try" aria-labelledby="try-title">
    <h2 id="try-title">Try a prompt</h2>
    <form ref=${formRef} onSubmit=${(e) => { e.preventDefault(); send(); }}>
      <label>Model
        <select name="model" aria-label="Model" value=${model} onChange=${(e) => { picked.current = true; onSelect(e.currentTarget.value); }}>
          ${chatModels.length === 0 && html`<option value="">No chat model available</option>`}
          <optgroup label="Built-in">
            ${chatModels.filter((m) => !m.is_custom).map((m) => html`<option value=${m.name}>${m.name}</option>`)}
          </optgroup>
          <optgroup label="Registered">
            ${chatModels.filter((m) => m.is_custom).map((m) => html`<option value=${m.name}>${m.name}</option>`)}
          </optgroup>
        </select>
      </label>
      <label>Context (system message, optional)
        <textarea name="system" rows="2"></textarea>
      </label>
      <label>Prompt
        <textarea ref=${promptRef} name="prompt" rows="3"
          onInput=${(e) => setHasPrompt(!!e.currentTarget.value.trim())}
          onKeyDown=${onKeyDown} aria-describedby="try-keys"></textarea>
      </label>
      <p id="try-keys" class="muted">Enter sends, Shift+Enter starts a new line.</p>
      <div class="models-try-options">
        <label class="models-check"><input type="checkbox" name="stream" defaultChecked /> Stream the answer</label>
        <label class="models-inline">Max tokens
          <input type="number" name="max_tokens" min="1" step="1" placeholder="default" />
        </label>
      </div>
      <div class="models-actions">
        <button type="submit" class="primary" disabled=${!!running || !model || !hasPrompt}>
          ${running ? "Waiting…" : "Send"}</button>
        ${running && html`<button type="button" onClick=${() => running.abort()}>Stop</button>`}
      </div>
    </form>
    <${ErrorNotice} error=${error} onRetry=${error && send} />
    ${(answer || result) && html`<div class="models-answer" aria-live="polite" aria-busy=${!!running}>
      <h3>Answer</h3>
      <div data-testid="answer" class="models-answer-text">${answer || html`<span class="muted">(empty answer)</span>`}</div>
      ${result && html`<${Metrics} result=${result} />`}
    </div>`}
  </section>`;
}
