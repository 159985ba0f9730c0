// Markdown to safe HTML: marked renders, DOMPurify removes anything executable.
import { marked } from "marked";
import DOMPurify from "dompurify";

export function renderMarkdown(text) {
  return DOMPurify.sanitize(marked.parse(text || "", { gfm: true, breaks: true }));
}
