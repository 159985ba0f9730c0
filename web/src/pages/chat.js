// The chat page (#/chat, #/chat/<thread_id>): the thread list beside the open conversation,
// with the agent picker above it. At phone width the list folds above the conversation.
import { useEffect, useState } from "preact/hooks";
import { html } from "../html.js";
import { navigate } from "../router.js";
import { AgentPicker, rememberAgent, rememberedAgent, useAgents } from "./chat/agents.js";
import { Conversation } from "./chat/conversation.js";
import { ThreadList } from "./chat/threads.js";

export function ChatPage({ params }) {
  const threadId = params[0] || null;
  const agents = useAgents();
  const [agentId, setAgentId] = useState(rememberedAgent);
  const [thread, setThread] = useState(null);
  const [version, setVersion] = useState(0);
  const [listOpen, setListOpen] = useState(false);

  function pickAgent(id) {
    setAgentId(id);
    rememberAgent(id);
  }

  // Opening a thread of a known agent picks that agent for its next runs.
  useEffect(() => {
    const list = agents.data || [];
    if (thread && thread.agent_id && list.some((a) => a.id === thread.agent_id)) pickAgent(thread.agent_id);
  }, [thread && thread.id, agents.data]);

  // A remembered agent that the tenant no longer has is dropped: the picker shows the default
  // assistant then, and the runs must go where the picker says (its run creation would be a 404).
  useEffect(() => {
    if (agentId && agents.data && !agents.data.some((a) => a.id === agentId)) pickAgent("");
  }, [agents.data]);

  useEffect(() => setListOpen(false), [threadId]);

  function newChat() {
    navigate("chat");
    document.getElementById("chat-composer")?.focus();
  }

  return html`<main class="page chat-page">
    <h1 class="visually-hidden">Chat</h1>
    <aside class="chat-threads" data-open=${listOpen}>
      <button type="button" class="list-toggle" aria-expanded=${listOpen} onClick=${() => setListOpen(!listOpen)}>
        ${listOpen ? "Hide chats" : "Show chats"}
      </button>
      <${ThreadList}
        activeId=${threadId}
        version=${version}
        onNew=${newChat}
        onRenamed=${(t) => t.id === threadId && setThread(t)}
        onDeleted=${(t) => t.id === threadId && navigate("chat")}
      />
    </aside>
    <div class="chat-main">
      <header class="chat-head">
        <h2 data-testid="chat-title">${threadId ? (thread && thread.id === threadId ? thread.title : "…") : "New chat"}</h2>
        <${AgentPicker} agents=${agents} value=${agentId} onChange=${pickAgent} />
      </header>
      <${Conversation}
        threadId=${threadId}
        agentId=${agentId}
        onThread=${setThread}
        onActivity=${() => setVersion((v) => v + 1)}
      />
    </div>
  </main>`;
}
