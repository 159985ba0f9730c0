// What extraction made of a ready document: clean text, elements, images and metadata.
import { useEffect, useMemo, useState } from "preact/hooks";
import DOMPurify from "dompurify";
import { html } from "../../html.js";
import { blobUrl, get } from "../../api.js";
import { Empty, ErrorNotice, useLoad } from "../../components.js";
import { renderMarkdown } from "../../markdown.js";
import { Pager } from "./shared.js";

const ELEMENTS_PAGE = 50;

function base(documentId) {
  return `/v1/documents/${encodeURIComponent(documentId)}`;
}

// The Markdown names extracted images `image:ID`; they are shown from the same object URLs as the
// Images tab (set after sanitising, in an inert <template>, so nothing loads before that).
function markdownWithImages(text, urls) {
  const marked = text.replace(/\]\(image:([^)\s]+)\)/g, (_, id) => `](#kn-image-${encodeURIComponent(id)})`);
  const template = document.createElement("template");
  template.innerHTML = renderMarkdown(marked);
  for (const img of template.content.querySelectorAll("img")) {
    const found = (img.getAttribute("src") || "").match(/^#kn-image-(.+)$/);
    if (!found) continue;
    const url = urls[decodeURIComponent(found[1])];
    if (url) img.setAttribute("src", url);
    else {
      const note = document.createElement("span");
      note.className = "muted";
      note.textContent = `[image: ${img.getAttribute("alt") || "loading"}]`;
      img.replaceWith(note);
    }
  }
  // The document's headings sit under the page's own (h1 becomes h3, and so on).
  for (const heading of template.content.querySelectorAll("h1, h2, h3, h4, h5, h6")) {
    const level = Math.min(6, Number(heading.tagName[1]) + 2);
    const lower = document.createElement(`h${level}`);
    lower.append(...heading.childNodes);
    heading.replaceWith(lower);
  }
  return template.innerHTML;
}

export function TextTab({ documentId, version }) {
  const [format, setFormat] = useState("markdown");
  const text = useLoad(
    () => get(`${base(documentId)}/text`, { query: { format } }),
    [documentId, version, format],
  );
  const withImages = Boolean(format === "markdown" && text.data && text.data.text.includes("](image:"));
  const images = useLoad(
    () => (withImages ? get(`${base(documentId)}/images`) : Promise.resolve(null)),
    [documentId, version, withImages],
  );
  const { urls } = useImageUrls(documentId, images.data);
  const rendered = useMemo(
    () => (text.data && format === "markdown" ? markdownWithImages(text.data.text, urls) : ""),
    [text.data, format, urls],
  );
  let body;
  if (text.error) body = html`<${ErrorNotice} error=${text.error} onRetry=${text.reload} />`;
  else if (!text.data) body = html`<p class="muted" aria-busy="true">Loading text…</p>`;
  else if (!text.data.text.trim()) body = html`<${Empty}>The document has no text.</${Empty}>`;
  else if (format === "markdown") {
    body = html`<div class="kn-markdown" data-testid="document-text"
      dangerouslySetInnerHTML=${{ __html: rendered }}></div>`;
  } else body = html`<pre class="kn-plain" data-testid="document-text">${text.data.text}</pre>`;
  return html`<div>
    <label class="kn-inline">Show as
      <select value=${format} onChange=${(e) => setFormat(e.currentTarget.value)}>
        <option value="markdown">Markdown (rendered)</option>
        <option value="text">Plain text</option>
      </select>
    </label>
    ${body}
  </div>`;
}

function Element({ element }) {
  const table = element.type === "Table" && element.html;
  return html`<li class="kn-element" data-testid="element">
    <div class="kn-element-head">
      <span class="kn-type">${element.type}</span>
      ${element.page_number != null && html`<span class="muted">page ${element.page_number}</span>`}
      ${element.metadata && element.metadata.level && html`<span class="muted">level ${element.metadata.level}</span>`}
    </div>
    ${table
      ? html`<div class="kn-table" dangerouslySetInnerHTML=${{ __html: DOMPurify.sanitize(element.html) }}></div>`
      : element.text
        ? html`<div class="kn-element-text">${element.text}</div>`
        : html`<div class="muted">(no text)</div>`}
  </li>`;
}

export function ElementsTab({ documentId, version }) {
  const [offset, setOffset] = useState(0);
  const page = useLoad(
    () => get(`${base(documentId)}/elements`, { query: { limit: ELEMENTS_PAGE, offset } }),
    [documentId, version, offset],
  );
  if (page.error) return html`<${ErrorNotice} error=${page.error} onRetry=${page.reload} />`;
  if (!page.data) return html`<p class="muted" aria-busy="true">Loading elements…</p>`;
  if (page.data.total === 0) return html`<${Empty}>No elements were extracted.</${Empty}>`;
  return html`<div>
    <p class="muted">${page.data.total} element(s) in reading order</p>
    <ol class="kn-elements" start=${offset + 1} aria-label="Elements">
      ${page.data.data.map((e) => html`<${Element} key=${e.id} element=${e} />`)}
    </ol>
    <${Pager} page=${page.data} onOffset=${setOffset} label="Element pages" />
  </div>`;
}

// The image route needs the token, so each image is fetched into an object URL, revoked when the
// tab unmounts or the document changes.
function useImageUrls(documentId, images) {
  const [urls, setUrls] = useState({});
  const [failed, setFailed] = useState({});
  useEffect(() => {
    if (!images) return undefined;
    let alive = true;
    const made = [];
    for (const image of images) {
      blobUrl(`${base(documentId)}/images/${encodeURIComponent(image.id)}`).then(
        (url) => {
          if (!alive) return URL.revokeObjectURL(url);
          made.push(url);
          return setUrls((u) => ({ ...u, [image.id]: url }));
        },
        (error) => alive && setFailed((f) => ({ ...f, [image.id]: error })),
      );
    }
    return () => {
      alive = false;
      made.forEach((url) => URL.revokeObjectURL(url));
      setUrls({});
      setFailed({});
    };
  }, [documentId, images]);
  return { urls, failed };
}

export function ImagesTab({ documentId, version }) {
  const list = useLoad(() => get(`${base(documentId)}/images`), [documentId, version]);
  const { urls, failed } = useImageUrls(documentId, list.data);
  if (list.error) return html`<${ErrorNotice} error=${list.error} onRetry=${list.reload} />`;
  if (!list.data) return html`<p class="muted" aria-busy="true">Loading images…</p>`;
  if (list.data.length === 0) return html`<${Empty}>No images were extracted.</${Empty}>`;
  return html`<ul class="kn-images" aria-label="Images">
    ${list.data.map((image, i) => {
      const label = image.caption || `Image ${i + 1}${image.page_number != null ? ` (page ${image.page_number})` : ""}`;
      const size = image.width && image.height ? `${image.width} × ${image.height}` : "";
      return html`<li key=${image.id} class="kn-image">
        ${failed[image.id]
          ? html`<${ErrorNotice} error=${failed[image.id]} />`
          : urls[image.id]
            ? html`<img src=${urls[image.id]} alt=${label} />`
            : html`<span class="muted">Loading…</span>`}
        <span class="muted">${label} · ${image.mime_type}${size && ` · ${size}`}</span>
      </li>`;
    })}
  </ul>`;
}

const NONE = html`<span class="muted kn-none">none</span>`;

export function MetadataTab({ documentId, version }) {
  const meta = useLoad(() => get(`${base(documentId)}/metadata`), [documentId, version]);
  if (meta.error) return html`<${ErrorNotice} error=${meta.error} onRetry=${meta.reload} />`;
  if (!meta.data) return html`<p class="muted" aria-busy="true">Loading metadata…</p>`;
  const m = meta.data;
  return html`<dl class="kn-meta" data-testid="metadata">
    <dt>Language</dt><dd>${m.language || NONE}</dd>
    <dt>Title</dt><dd>${m.title || NONE}</dd>
    <dt>Summary</dt><dd>${m.summary || NONE}</dd>
    <dt>Keywords</dt>
    <dd>${m.keywords.length
      ? html`<ul class="kn-chips" aria-label="Keywords">
          ${m.keywords.map((k) => html`<li title=${`score ${k.score.toFixed(3)}`}>${k.text}</li>`)}
        </ul>`
      : NONE}</dd>
    <dt>Entities</dt>
    <dd>${m.entities.length
      ? html`<ul class="kn-chips" aria-label="Entities">
          ${m.entities.map((e) => html`<li>${e.text} <span class="muted">${e.label}${e.count > 1 ? ` ×${e.count}` : ""}</span></li>`)}
        </ul>`
      : NONE}</dd>
    <dt>Questions it answers</dt>
    <dd>${m.questions && m.questions.length
      ? html`<ul aria-label="Questions">${m.questions.map((q) => html`<li>${q}</li>`)}</ul>`
      : NONE}</dd>
  </dl>`;
}
