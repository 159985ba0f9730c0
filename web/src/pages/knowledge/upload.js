// Uploads into a collection: one XMLHttpRequest per file (POST
// /v1/document-collections/{id}/documents, multipart field `files`) so each file has its own
// progress and its own outcome (created, skipped, replaced, versioned, rejected, or an error such as
// 413 in the server's words). Three files travel at a time.
import { useEffect, useRef, useState } from "preact/hooks";
import { html } from "../../html.js";
import { ApiError, authHeaders, get } from "../../api.js";
import { formatBytes } from "../../components.js";
import { StatusBadge, newest } from "./shared.js";

const PARALLEL = 3;

function detailOf(status, text) {
  try {
    const body = JSON.parse(text);
    const detail = body && (body.detail ?? body.message);
    if (typeof detail === "string") return detail;
    if (Array.isArray(detail)) return detail.map((d) => d.msg).join("; ");
  } catch {
    // not JSON: fall through
  }
  return `HTTP ${status}`;
}

// Resolves with the server's UploadBatchRead; rejects with an ApiError carrying its message.
export function uploadFile(collectionId, file, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", `/v1/document-collections/${encodeURIComponent(collectionId)}/documents`);
    for (const [name, value] of Object.entries(authHeaders())) xhr.setRequestHeader(name, value);
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable) onProgress(event.loaded, event.total);
    };
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        try {
          resolve(JSON.parse(xhr.responseText));
        } catch (error) {
          reject(error);
        }
      } else {
        reject(new ApiError(xhr.status, detailOf(xhr.status, xhr.responseText), null));
      }
    };
    xhr.onerror = () => reject(new Error("The upload failed: the server could not be reached."));
    xhr.onabort = () => reject(new Error("The upload was cancelled."));
    const form = new FormData();
    form.append("files", file, file.name);
    xhr.send(form);
  });
}

let counter = 0;

// {uploads, add(files)}: uploads keep going when the view unmounts (the files still reach the
// server), but the view stops being updated.
export function useUploads(collectionId, onUploaded) {
  const [uploads, setUploads] = useState([]);
  const alive = useRef(true);
  const notify = useRef(onUploaded);
  notify.current = onUploaded;
  useEffect(() => {
    alive.current = true;
    return () => {
      alive.current = false;
    };
  }, []);

  function update(key, change) {
    if (!alive.current) return;
    setUploads((list) => list.map((u) => (u.key === key ? { ...u, ...change } : u)));
  }

  async function one(item) {
    update(item.key, { state: "uploading" });
    try {
      const batch = await uploadFile(collectionId, item.file, (loaded, total) =>
        update(item.key, { loaded, total }),
      );
      const result = batch.data[0];
      update(item.key, {
        state: "done",
        outcome: result.outcome,
        message: result.message,
        document: result.document,
      });
      if (alive.current) notify.current(result.document);
    } catch (error) {
      update(item.key, { state: "error", error });
      // A refused token: one call through api.js lets it decide whether to sign out.
      if (error.status === 401) get(`/v1/document-collections/${collectionId}`).catch(() => {});
    }
  }

  function add(fileList) {
    const items = Array.from(fileList).map((file) => ({
      key: `upload-${(counter += 1)}`,
      file,
      name: file.name,
      size: file.size,
      loaded: 0,
      total: file.size,
      state: "waiting",
    }));
    if (!items.length) return;
    setUploads((list) => [...items, ...list]);
    const queue = [...items];
    const worker = async () => {
      while (queue.length) await one(queue.shift());
    };
    for (let i = 0; i < Math.min(PARALLEL, items.length); i += 1) worker();
  }

  function clearFinished() {
    setUploads((list) => list.filter((u) => u.state === "waiting" || u.state === "uploading"));
  }

  return { uploads, add, clearFinished };
}

function UploadRow({ upload, status, onOpen }) {
  const percent = upload.total ? Math.round((upload.loaded / upload.total) * 100) : 0;
  let state;
  if (upload.state === "waiting") state = html`<span class="muted">Waiting</span>`;
  else if (upload.state === "uploading") {
    state = html`<progress max="100" value=${percent} aria-label=${`Upload of ${upload.name}`}></progress>
      <span class="muted">${percent < 100 ? `Uploading ${percent}%` : "Sent, the server is storing it…"}</span>`;
  } else if (upload.state === "error") {
    state = html`<span class="kn-reason" role="alert">${upload.error.message}</span>`;
  } else {
    const live = newest(status, upload.document);
    state = html`<span class=${`kn-outcome kn-outcome-${upload.outcome}`}>${upload.outcome}</span>
      ${upload.outcome !== "rejected" &&
        html`<${StatusBadge} status=${live.status} detail=${live.status_detail} />`}
      ${upload.message && html`<span class="muted kn-message">${upload.message}</span>`}
      <button type="button" class="link" onClick=${() => onOpen(upload.document.id)}>
        ${upload.outcome === "rejected" || upload.outcome === "skipped" ? "Open the existing document" : "Open"}
      </button>`;
  }
  return html`<li class="kn-upload" data-testid="upload-row">
    <span class="kn-upload-name">${upload.name}</span>
    <span class="muted">${formatBytes(upload.size)}</span>
    <span class="kn-upload-state">${state}</span>
  </li>`;
}

// The drop zone with a "Choose files" button (keyboard) and the per-file rows.
export function UploadArea({ uploads, onFiles, statuses, onOpen, onClear }) {
  const [dragging, setDragging] = useState(false);
  const depth = useRef(0); // dragenter/dragleave also fire over the zone's children
  const input = useRef(null);
  function drop(event) {
    event.preventDefault();
    depth.current = 0;
    setDragging(false);
    if (event.dataTransfer && event.dataTransfer.files.length) onFiles(event.dataTransfer.files);
  }
  function over(event) {
    event.preventDefault();
    if (event.dataTransfer) event.dataTransfer.dropEffect = "copy";
    setDragging(true);
  }
  function enter(event) {
    depth.current += 1;
    over(event);
  }
  function leave() {
    depth.current = Math.max(0, depth.current - 1);
    if (depth.current === 0) setDragging(false);
  }
  function chosen(event) {
    onFiles(event.currentTarget.files);
    event.currentTarget.value = "";
  }
  const busy = uploads.some((u) => u.state === "waiting" || u.state === "uploading");
  return html`<section class="card kn-upload-area" aria-labelledby="kn-upload-title">
    <h2 id="kn-upload-title">Upload</h2>
    <div class=${`kn-dropzone${dragging ? " dragging" : ""}`} data-testid="dropzone"
      onDragOver=${over} onDragEnter=${enter} onDragLeave=${leave} onDrop=${drop}>
      <p>Drop files here, as many as you like, or</p>
      <button type="button" class="primary" onClick=${() => input.current.click()}>Choose files</button>
      <input ref=${input} type="file" multiple class="kn-hidden-input" tabindex="-1"
        aria-label="Files to upload" onChange=${chosen} />
    </div>
    ${uploads.length > 0 && html`<div class="kn-uploads-head">
        <span class="muted" aria-live="polite">${busy ? "Uploading…" : `${uploads.length} file(s) sent`}</span>
        ${!busy && html`<button type="button" onClick=${onClear}>Clear list</button>`}
      </div>
      <ul class="kn-uploads" aria-label="Uploads">
        ${uploads.map(
          (u) => html`<${UploadRow} key=${u.key} upload=${u} onOpen=${onOpen}
            status=${u.document ? statuses[u.document.id] : null} />`,
        )}
      </ul>`}
  </section>`;
}
