// Markdown to safe HTML. Raw HTML inside the Markdown is shown as text, never parsed: messages
// and documents are data, and parsing `<img onerror=…>` even to remove it makes Chromium report a
// blocked inline handler. DOMPurify then sanitises what marked made (links, images, code).
import { Marked } from "marked";
import DOMPurify from "dompurify";

const ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

function escapeHtml(text) {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

const markdown = new Marked({
  gfm: true,
  breaks: true,
  renderer: { html: ({ text }) => escapeHtml(text) },
});

export function renderMarkdown(text) {
  return DOMPurify.sanitize(markdown.parse(text || ""));
}
