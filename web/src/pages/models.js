// Models (#/models, #/models/try/NAME): the built-in and registered models in one table,
// registering a provider model, and trying a prompt against a chat model.
import { useState } from "preact/hooks";
import { html } from "../html.js";
import { navigate } from "../router.js";
import { ErrorNotice, useLoad } from "../components.js";
import { loadModels } from "./models/data.js";
import { ModelTable } from "./models/table.js";
import { RegisterForm } from "./models/register.js";
import { TryPrompt } from "./models/try.js";
import { UsageTable } from "./models/usage.js";

export function ModelsPage({ params = [] }) {
  const [kind, setKind] = useState("all");
  const [version, setVersion] = useState(0); // bumped when a model is registered or deleted
  const changed = () => setVersion((v) => v + 1);
  const listed = useLoad(() => loadModels(kind), [kind, version]);
  const [prompts, setPrompts] = useState(0); // bumped when a prompt ends: usage changed
  // The try panel and the usage filter need every model, whatever the table's kind filter shows.
  const all = useLoad(() => loadModels("all"), [version]);
  // A model name has slashes: `#/models/try/virtual-model/ollama/x` works as well as its %2F form.
  const selected = params[0] === "try" ? params.slice(1).join("/") : "";

  return html`<main class="page models-page">
    <h1>Models</h1>
    <section class="card" aria-labelledby="models-title">
      <h2 id="models-title">Built-in and registered models</h2>
      <${ErrorNotice} error=${listed.error} onRetry=${listed.reload} />
      ${listed.loading && !listed.data
        ? html`<p class="muted" role="status">Loading models…</p>`
        : listed.data && html`<${ModelTable} models=${listed.data} kind=${kind} onKind=${setKind} onChanged=${changed} />`}
    </section>
    <div class="models-columns">
      <section class="card" id="try">
        <${ErrorNotice} error=${all.error} onRetry=${all.reload} />
        ${all.data
          ? html`<${TryPrompt} models=${all.data} selected=${selected} onSelect=${(name) => navigate("models", "try", name)}
              onDone=${() => setPrompts((n) => n + 1)} />`
          : !all.error && html`<p class="muted" role="status">Loading models…</p>`}
      </section>
      <section class="card">
        <${RegisterForm} onRegistered=${changed} />
      </section>
    </div>
    ${all.data && html`<${UsageTable} models=${all.data} version=${prompts} />`}
  </main>`;
}
