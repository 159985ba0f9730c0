// What extraction made of a ready document: clean text, elements, images and metadata.
import { useEffect, useState } from "preact/hooks";
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

export function TextTab({ documentId, version }) {
  const [format, setFormat] = useState("markdown");
  const text = useLoad(
    () => get(`${base(documentId)}/text`, { query: { format } }),
    [documentId, version, format],
  );
  let body;
  if (text.error) body = html`<${ErrorNotice} error=${text.error} onRetry=${text.reload} />`;
  else if (!text.data) body = html`<p class="muted" aria-busy="true">Loading text…</p>`;
  else if (!text.data.text.trim()) body = html`<${Empty}>The document has no text.</${Empty}>`;
  else if (format === "markdown") {
    body = html`<div class="kn-markdown" data-testid="document-text"
      dangerouslySetInnerHTML=${{ __html: renderMarkdown(text.data.text) }}></div>`;
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
export function ImagesTab({ documentId, version }) {
  const list = useLoad(() => get(`${base(documentId)}/images`), [documentId, version]);
  const [urls, setUrls] = useState({});
  const [failed, setFailed] = useState({});
  useEffect(() => {
    if (!list.data) return undefined;
    let alive = true;
    const made = [];
    for (const image of list.data) {
      blobUrl(`${base(documentId)}/images/${encodeURIComponent(image.id)}`).then(
        (url) => {
          if (!alive) return URL.revokeObjectURL(url);
          made.push(url);
          setUrls((u) => ({ ...u, [image.id]: url }));
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
  }, [list.data]);
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
