import { html } from "../html.js";

export function ModelsPage() {
  return html`<main class="page"><h1>Models</h1></main>`;
}
