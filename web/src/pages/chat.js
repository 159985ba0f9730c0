import { html } from "../html.js";

export function ChatPage() {
  return html`<main class="page"><h1>Chat</h1></main>`;
}
