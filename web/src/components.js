// Small shared pieces: error notice, empty state, a loader hook, a byte formatter.
import { useCallback, useEffect, useState } from "preact/hooks";
import { html } from "./html.js";

export function ErrorNotice({ error, onRetry }) {
  if (!error) return null;
  return html`<div class="notice error" role="alert">
    <span>${error.message || String(error)}</span>
    ${onRetry && html`<button type="button" onClick=${onRetry}>Retry</button>`}
  </div>`;
}

export function Empty({ children }) {
  return html`<p class="empty">${children}</p>`;
}

// Run `load` now and whenever `deps` change: {data, error, loading, reload}.
export function useLoad(load, deps) {
  const [state, setState] = useState({ data: null, error: null, loading: true });
  const run = useCallback(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true, error: null }));
    load().then(
      (data) => live && setState({ data, error: null, loading: false }),
      (error) => live && setState((s) => ({ ...s, error, loading: false })),
    );
    return () => {
      live = false;
    };
  }, deps);
  useEffect(run, [run]);
  return { ...state, reload: run };
}

export function formatBytes(bytes) {
  if (bytes == null) return "";
  const units = ["B", "KB", "MB", "GB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(unit ? 1 : 0)} ${units[unit]}`;
}
