// The thread list: newest activity first, search by title, infinite scroll, rename, delete.
import { useEffect, useRef, useState } from "preact/hooks";
import { html } from "../../html.js";
import { del, get, patch } from "../../api.js";
import { Empty, ErrorNotice } from "../../components.js";

const PAGE = 30;

function when(value) {
  if (!value) return "";
  const date = new Date(value);
  const today = new Date().toDateString() === date.toDateString();
  return today ? date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }) : date.toLocaleDateString();
}

function ThreadItem({ thread, active, onRenamed, onDeleted }) {
  const [mode, setMode] = useState("view"); // view | rename | confirm
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const title = thread.title || "Untitled";
  const field = useRef(null);
  const confirm = useRef(null);
  useEffect(() => {
    if (mode === "rename" && field.current) field.current.select();
    if (mode === "confirm" && confirm.current) confirm.current.focus();
  }, [mode]);

  async function act(work) {
    setBusy(true);
    setError(null);
    try {
      await work();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }
  function rename(event) {
    event.preventDefault();
    const value = String(new FormData(event.currentTarget).get("title")).trim();
    if (!value || value === title) return setMode("view");
    act(async () => {
      onRenamed(await patch(`/v1/threads/${thread.id}`, { title: value }));
      setMode("view");
    });
  }
  function remove() {
    act(async () => {
      await del(`/v1/threads/${thread.id}`);
      onDeleted(thread);
    });
  }

  let body;
  if (mode === "rename") {
    body = html`<form class="rename" onSubmit=${rename} onKeyDown=${(e) => e.key === "Escape" && setMode("view")}>
      <label>New title <input name="title" ref=${field} value=${title} maxlength="500" required /></label>
      <div class="row">
        <button type="submit" class="primary" disabled=${busy}>Save</button>
        <button type="button" onClick=${() => setMode("view")}>Cancel</button>
      </div>
    </form>`;
  } else if (mode === "confirm") {
    body = html`<div class="confirm" role="group" aria-label=${`Delete ${title}?`} onKeyDown=${(e) => e.key === "Escape" && setMode("view")}>
      <span>Delete “${title}” and its messages?</span>
      <div class="row">
        <button type="button" class="danger" ref=${confirm} disabled=${busy} onClick=${remove}>Delete chat</button>
        <button type="button" onClick=${() => setMode("view")}>Keep</button>
      </div>
    </div>`;
  } else {
    body = html`<a href=${`#/chat/${thread.id}`} aria-current=${active ? "page" : undefined}>
        <span class="title">${title}</span>
        <span class="muted when">${when(thread.updated_at)}</span>
      </a>
      <div class="actions">
        <button type="button" aria-label=${`Rename ${title}`} title="Rename" onClick=${() => setMode("rename")}>✎</button>
        <button type="button" aria-label=${`Delete ${title}`} title="Delete" class="danger" onClick=${() => setMode("confirm")}>✕</button>
      </div>`;
  }
  return html`<li class=${`thread ${active ? "active" : ""} ${mode}`}>
    ${body}
    <${ErrorNotice} error=${error} />
  </li>`;
}

export function ThreadList({ activeId, version, onNew, onRenamed, onDeleted }) {
  const [query, setQuery] = useState("");
  const [title, setTitle] = useState("");
  const [state, setState] = useState({ items: [], done: false, loading: true, error: null });
  const generation = useRef(0);
  const sentinel = useRef(null);
  const stateRef = useRef(state);
  stateRef.current = state;

  useEffect(() => {
    const timer = setTimeout(() => setTitle(query.trim()), 250);
    return () => clearTimeout(timer);
  }, [query]);

  async function load(reset) {
    const current = stateRef.current;
    if (!reset && (current.loading || current.done)) return;
    const mine = reset ? ++generation.current : generation.current;
    const offset = reset ? 0 : current.items.length;
    setState((s) => ({ ...s, loading: true, error: null, ...(reset ? { items: [], done: false } : {}) }));
    stateRef.current = { ...stateRef.current, loading: true };
    try {
      const page = await get("/v1/threads", { query: { limit: PAGE, offset, title } });
      if (mine !== generation.current) return;
      setState((s) => {
        const seen = new Set(s.items.map((t) => t.id));
        return { items: [...s.items, ...page.filter((t) => !seen.has(t.id))], done: page.length < PAGE, loading: false, error: null };
      });
    } catch (error) {
      if (mine === generation.current) setState((s) => ({ ...s, loading: false, error }));
    }
  }

  useEffect(() => {
    load(true);
  }, [title]);

  // After a run (a new thread, a thread's new activity): fetch the first page again and put it
  // on top of what is listed, so the order is fresh and a list scrolled far keeps its place.
  async function refresh() {
    const mine = generation.current;
    try {
      const page = await get("/v1/threads", { query: { limit: PAGE, offset: 0, title } });
      if (mine !== generation.current) return;
      setState((s) => {
        const fresh = new Set(page.map((t) => t.id));
        return { ...s, items: [...page, ...s.items.filter((t) => !fresh.has(t.id))], error: null };
      });
    } catch (error) {
      if (mine === generation.current) setState((s) => ({ ...s, error }));
    }
  }
  useEffect(() => {
    if (version > 0) refresh();
  }, [version]);

  useEffect(() => {
    const target = sentinel.current;
    if (!target) return undefined;
    const observer = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) load(false);
    });
    observer.observe(target);
    return () => observer.disconnect();
  }, [title, state.items.length, state.loading]);

  function renamed(thread) {
    setState((s) => ({ ...s, items: s.items.map((t) => (t.id === thread.id ? thread : t)) }));
    onRenamed(thread);
  }
  function deleted(thread) {
    setState((s) => ({ ...s, items: s.items.filter((t) => t.id !== thread.id) }));
    onDeleted(thread);
  }

  const { items, loading, done, error } = state;
  return html`<div class="thread-list">
    <div class="thread-tools">
      <button type="button" class="primary" onClick=${onNew}>New chat</button>
      <label class="search">Search chats
        <input type="search" value=${query} placeholder="Title contains…" onInput=${(e) => setQuery(e.currentTarget.value)} />
      </label>
    </div>
    <ul class="threads" aria-label="Chats" aria-busy=${loading}>
      ${items.map(
        (t) => html`<${ThreadItem} key=${t.id} thread=${t} active=${t.id === activeId} onRenamed=${renamed} onDeleted=${deleted} />`,
      )}
    </ul>
    ${!loading && !error && items.length === 0 &&
    html`<${Empty}>${title ? `No chat title contains “${title}”.` : "No chats yet: ask something to start one."}</${Empty}>`}
    <${ErrorNotice} error=${error} onRetry=${() => load(items.length === 0)} />
    ${loading && html`<p class="muted" role="status">Loading chats…</p>`}
    ${!done && !loading && !error && html`<div ref=${sentinel} class="sentinel" aria-hidden="true"></div>`}
  </div>`;
}
