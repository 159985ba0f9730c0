// Pieces the knowledge views share: pager, document status badge, inline delete confirmation,
// and the status poller (GET /v1/documents/{id}/status about every second until terminal).
import { useEffect, useRef, useState } from "preact/hooks";
import { html } from "../../html.js";
import { get } from "../../api.js";

export const TERMINAL = new Set(["ready", "failed"]);
export const STAGES = ["queued", "extracting", "indexing", "ready"];
export const POLL_MS = 1000;

export function plural(count, word) {
  return `${count} ${word}${count === 1 ? "" : "s"}`;
}

export function formatDate(value) {
  if (!value) return "";
  return new Date(value).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

// `{total, limit, offset}` of a page and a setter of the new offset.
export function Pager({ page, onOffset, label }) {
  if (!page || page.total <= page.limit) return null;
  const from = page.total ? page.offset + 1 : 0;
  const to = Math.min(page.offset + page.limit, page.total);
  return html`<nav class="kn-pager" aria-label=${label || "Pages"}>
    <button type="button" disabled=${page.offset === 0}
      onClick=${() => onOffset(Math.max(0, page.offset - page.limit))}>Previous</button>
    <span class="muted">${from}–${to} of ${page.total}</span>
    <button type="button" disabled=${to >= page.total}
      onClick=${() => onOffset(page.offset + page.limit)}>Next</button>
  </nav>`;
}

// The failure the server wrote in status_detail.error, in its own words.
export function failureReason(detail) {
  const error = detail && detail.error;
  if (!error) return null;
  if (typeof error === "string") return error;
  const where = error.stage ? ` (${error.stage}${error.code ? `, ${error.code}` : ""})` : "";
  return `${error.message || error.code || "failed"}${where}`;
}

// Status word, progress within the current stage, and the reason when it failed.
export function StatusBadge({ status, detail }) {
  const progress = detail && typeof detail.progress === "number" ? detail.progress : null;
  const busy = !TERMINAL.has(status);
  const reason = status === "failed" ? failureReason(detail) : null;
  return html`<span class="kn-status-wrap">
    <span class=${`kn-status kn-status-${status}`} data-testid="document-status">${status}</span>
    ${busy && progress !== null && progress > 0 &&
      html`<span class="muted kn-progress-text">${Math.round(progress * 100)}%</span>`}
    ${reason && html`<span class="kn-reason" data-testid="failure-reason">${reason}</span>`}
  </span>`;
}

// A delete button that asks in place before it acts (no window.confirm).
export function ConfirmDelete({ label, question, onConfirm }) {
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  if (!asking) {
    return html`<button type="button" class="danger" onClick=${() => setAsking(true)}>${label}</button>`;
  }
  async function confirm() {
    setBusy(true);
    try {
      await onConfirm();
    } finally {
      setBusy(false);
      setAsking(false);
    }
  }
  return html`<span class="kn-confirm" role="group" aria-label=${question}>
    <span>${question}</span>
    <button type="button" class="danger" disabled=${busy} onClick=${confirm}>Yes, delete</button>
    <button type="button" disabled=${busy} onClick=${() => setAsking(false)}>Cancel</button>
  </span>`;
}

// Of two views of one document (a list row, a polled status), the one updated last.
export function newest(a, b) {
  if (!a) return b;
  if (!b) return a;
  return new Date(a.updated_at) >= new Date(b.updated_at) ? a : b;
}

// Poll the status of every id in `ids` that is not terminal yet, about every POLL_MS, until the
// component unmounts. Returns {id: DocumentStatusRead} for those seen so far.
export function useStatusPolling(ids, known = {}) {
  const [statuses, setStatuses] = useState({});
  const latest = useRef({ ids, known, statuses });
  latest.current = { ids, known, statuses };
  const key = ids.join(",");
  useEffect(() => {
    let alive = true;
    let timer = null;
    async function tick() {
      const { ids: now, known: given, statuses: seen } = latest.current;
      const pending = now.filter((id) => {
        const status = (newest(seen[id], given[id]) || {}).status;
        return !TERMINAL.has(status) && status !== "deleted";
      });
      if (pending.length) {
        const found = await Promise.all(
          pending.slice(0, 20).map((id) =>
            get(`/v1/documents/${id}/status`).catch((error) =>
              // Deleted meanwhile (elsewhere): say so and stop asking.
              error.status === 404 ? { id, status: "deleted", updated_at: "9999-12-31T00:00:00Z" } : null,
            ),
          ),
        );
        if (!alive) return;
        const update = {};
        for (const one of found) if (one) update[one.id] = one;
        setStatuses((s) => ({ ...s, ...update }));
      }
      if (alive) timer = setTimeout(tick, POLL_MS);
    }
    timer = setTimeout(tick, POLL_MS);
    return () => {
      alive = false;
      clearTimeout(timer);
    };
  }, [key]);
  return statuses;
}
