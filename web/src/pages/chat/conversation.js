// The open thread: its messages (oldest first), the answer of the run in progress, the composer
// (Enter sends, Shift+Enter is a new line), Stop while a run goes on, Retry after a failure.
import { useEffect, useRef, useState } from "preact/hooks";
import { html } from "../../html.js";
import { ApiError, get } from "../../api.js";
import { Empty, ErrorNotice } from "../../components.js";
import { navigate } from "../../router.js";
import { CitationDialog } from "./citations.js";
import { LiveMessage, Message } from "./message.js";
import { ENDED, applyEvent, cancelRun, followRun, newLive, startRun } from "./runs.js";

// A cancelled run stores no answer: what it had streamed is shown, marked as stopped.
function stoppedMessage(runId, state) {
  return {
    id: `stopped-${runId}`,
    role: "assistant",
    stopped: true,
    content: state.text ? [state.text] : [],
    step_history: [{ step_details: state.steps }],
  };
}

// Once per run: Stop and the stream's own `run.cancelled` can both get there first.
function withStopped(messages, runId, state) {
  const stopped = stoppedMessage(runId, state);
  return messages.some((m) => m.id === stopped.id) ? messages : [...messages, stopped];
}

export function Conversation({ threadId, agentId, onThread, onActivity }) {
  const [messages, setMessages] = useState([]);
  const [loadState, setLoadState] = useState({ loading: false, error: null });
  const [live, setLive] = useState(null);
  const [citation, setCitation] = useState(null);
  const [draft, setDraft] = useState("");
  const [notice, setNotice] = useState(null);
  const composer = useRef(null);
  const run = useRef(null); // the run followed: {runId, controller, stopping, state, lastEventId}
  const created = useRef(null); // a thread our own run just created: its state is already here
  const log = useRef(null);
  const stick = useRef(true); // the log follows new text (false once the reader scrolls up)
  const threadRef = useRef(threadId);
  threadRef.current = threadId;

  async function load() {
    const id = threadId;
    setLoadState({ loading: true, error: null });
    try {
      const [thread, found] = await Promise.all([get(`/v1/threads/${id}`), get(`/v1/threads/${id}/messages`)]);
      if (id !== threadRef.current) return; // another thread was opened meanwhile
      setMessages(found);
      onThread(thread);
      setLoadState({ loading: false, error: null });
      if (found.length && found[found.length - 1].role === "user") resumeActive(id);
    } catch (error) {
      if (id === threadRef.current) setLoadState({ loading: false, error });
    }
  }

  useEffect(() => {
    if (threadId && threadId === created.current) {
      // Our run's new thread: keep what is shown, just learn its title.
      get(`/v1/threads/${threadId}`).then(onThread, () => {});
      return;
    }
    created.current = null;
    if (run.current) run.current.controller.abort(); // leave the old thread's run to the server
    run.current = null;
    setMessages([]);
    setLive(null);
    setCitation(null);
    stick.current = true;
    if (threadId) load();
    else {
      setLoadState({ loading: false, error: null });
      onThread(null);
    }
    composer.current?.focus();
  }, [threadId]);

  // Keep the newest text in view, unless the reader scrolled up to read something older.
  useEffect(() => {
    if (log.current && stick.current) log.current.scrollTop = log.current.scrollHeight;
  }, [messages, live]);
  function scrolled() {
    const el = log.current;
    stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 60;
  }

  const running = live && !ENDED.has(live.status);

  // Follow `mine.runId` from after `mine.lastEventId` until `done`; show how it ended.
  async function watch(mine) {
    try {
      for await (const event of followRun(mine.runId, { after: mine.lastEventId, signal: mine.controller.signal })) {
        mine.state = applyEvent(mine.state, event);
        mine.lastEventId = event.id;
        if (run.current === mine) setLive(mine.state);
        if (event.event === "done") break;
      }
      if (run.current !== mine) return;
      const state = mine.state;
      if (state.status === "completed" && state.message) {
        setMessages((m) => [...m, state.message]);
        setLive(null);
      } else if (state.status === "cancelled") {
        setMessages((m) => withStopped(m, mine.runId, state));
        setLive(null);
      } else if (!ENDED.has(state.status)) {
        const error = new Error("The event stream ended before the run did.");
        setLive({ ...state, status: "failed", resumable: true, lastEventId: mine.lastEventId, error });
      }
      onActivity();
    } catch (error) {
      if (run.current !== mine || mine.stopping) return; // left, or Stop aborted the stream
      const network = !(error instanceof ApiError);
      const message = network ? `Network error: ${error.message}` : error.message;
      // A dropped stream does not stop the run: Retry then resumes after the last event.
      setLive({ ...mine.state, status: "failed", resumable: network, lastEventId: mine.lastEventId, error: new Error(message) });
    } finally {
      if (run.current === mine && !mine.stopping) run.current = null;
    }
  }

  function track(runId, state, lastEventId = null) {
    const mine = { runId, controller: new AbortController(), stopping: false, state, lastEventId };
    run.current = mine;
    setLive(state);
    return mine;
  }

  async function send(text) {
    if (!text.trim() || running) return;
    const userMessage = { id: `local-${Date.now()}`, role: "user", content: [{ response_type: "text", text }] };
    setMessages((m) => [...m, userMessage]);
    setDraft("");
    setNotice(null);
    stick.current = true;
    const mine = track(null, newLive());
    composer.current?.focus();
    try {
      const started = await startRun({ text, agentId, threadId });
      if (run.current !== mine) return;
      mine.runId = started.run_id;
      mine.state = { ...mine.state, runId: started.run_id };
      setLive(mine.state);
      if (!threadId) {
        created.current = started.thread_id;
        navigate("chat", started.thread_id);
      }
      onActivity();
    } catch (error) {
      // A refusal (a 4xx, e.g. 404 for an agent or thread the tenant does not have) stored
      // nothing: the server's message is shown where a failed run's is, below the user's message,
      // which stays on screen (not stored, `local-` id) for Retry to send again.
      if (run.current === mine) {
        run.current = null;
        setLive({ ...mine.state, status: "failed", error });
      }
      return;
    }
    await watch(mine);
  }

  // A run of this thread still going (started elsewhere, or before a reload): follow it.
  async function resumeActive(id) {
    try {
      const runs = await get("/v1/orchestrate/runs", { query: { limit: 50 } });
      const active = runs.data.find((r) => r.thread_id === id && (r.status === "pending" || r.status === "running"));
      if (!active || run.current || id !== threadRef.current) return;
      await watch(track(active.id, { ...newLive(active.id), status: active.status === "pending" ? "starting" : "running" }));
    } catch {
      // the conversation is shown anyway; a run still going shows up on the next visit
    }
  }

  async function stop() {
    const mine = run.current;
    if (!mine || !mine.runId) return; // the run is being created: Stop is enabled once it exists
    mine.stopping = true;
    setNotice(null);
    try {
      await cancelRun(mine.runId);
    } catch (error) {
      mine.stopping = false;
      if (!(error instanceof ApiError && error.status === 409)) setNotice(error); // 409: it just ended
      return;
    }
    mine.controller.abort();
    run.current = null;
    setMessages((m) => withStopped(m, mine.runId, mine.state));
    setLive(null);
    composer.current?.focus();
  }

  function retry() {
    if (live && live.resumable && live.runId && !run.current) {
      watch(track(live.runId, { ...live, status: "running", error: null, resumable: false }, live.lastEventId));
      return;
    }
    const lastUser = [...messages].reverse().find((m) => m.role === "user");
    if (!lastUser) return;
    const item = (Array.isArray(lastUser.content) ? lastUser.content : [lastUser.content])[0];
    // A message whose run was never created was not stored: it is sent again, not shown twice.
    if (live && !live.runId && String(lastUser.id).startsWith("local-")) {
      setMessages((m) => m.filter((x) => x !== lastUser));
    }
    setLive(null);
    send(typeof item === "string" ? item : item?.text || "");
  }

  function keyDown(event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      send(draft);
    }
  }

  return html`<section class="conversation" aria-label="Conversation">
    <div class="log" ref=${log} role="log" aria-live="polite" onScroll=${scrolled}>
      ${loadState.loading && html`<p class="muted" role="status">Loading messages…</p>`}
      <${ErrorNotice} error=${loadState.error} onRetry=${threadId ? load : undefined} />
      ${!loadState.loading && !loadState.error && messages.length === 0 && !live &&
      html`<${Empty}>${threadId ? "This chat has no messages yet." : "Ask a question to start a new chat."}</${Empty}>`}
      ${messages.map((m) => html`<${Message} key=${m.id} message=${m} onCite=${setCitation} />`)}
      ${live && html`<${LiveMessage} live=${live} onRetry=${retry} />`}
    </div>
    <${ErrorNotice} error=${notice} />
    <form class="composer" onSubmit=${(e) => { e.preventDefault(); send(draft); }}>
      <label for="chat-composer" class="visually-hidden">Message</label>
      <textarea id="chat-composer" ref=${composer} rows="2" value=${draft} placeholder="Ask something… (Enter sends, Shift+Enter for a new line)"
        onInput=${(e) => setDraft(e.currentTarget.value)} onKeyDown=${keyDown}></textarea>
      ${running
        ? html`<button type="button" class="danger stop" onClick=${stop} disabled=${!live.runId}>Stop</button>`
        : html`<button type="submit" class="primary" disabled=${!draft.trim()}>Send</button>`}
    </form>
    <${CitationDialog} citation=${citation} onClose=${() => setCitation(null)} />
  </section>`;
}
