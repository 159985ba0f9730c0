import { html } from "../html.js";

export function SearchPage() {
  return html`<main class="page"><h1>Search</h1></main>`;
}
