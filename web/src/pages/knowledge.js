import { html } from "../html.js";

export function KnowledgePage() {
  return html`<main class="page"><h1>Knowledge</h1></main>`;
}
