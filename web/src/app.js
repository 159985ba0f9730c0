// The console's shell: sign-in gate, navigation, and the page the hash route names.
import { useEffect, useState } from "preact/hooks";
import { html } from "./html.js";
import { setToken, setUnauthorizedHandler } from "./api.js";
import { clearToken, describeToken, loadToken, saveToken } from "./auth.js";
import { useRoute } from "./router.js";
import { SignIn } from "./pages/signin.js";
import { ChatPage } from "./pages/chat.js";
import { KnowledgePage } from "./pages/knowledge.js";
import { SearchPage } from "./pages/search.js";
import { ModelsPage } from "./pages/models.js";

const PAGES = {
  chat: { title: "Chat", component: ChatPage },
  knowledge: { title: "Knowledge", component: KnowledgePage },
  search: { title: "Search", component: SearchPage },
  models: { title: "Models", component: ModelsPage },
};

export function App() {
  const [token, setSessionToken] = useState(() => {
    const saved = loadToken();
    setToken(saved);
    return saved;
  });
  const route = useRoute();

  function signIn(value) {
    saveToken(value);
    setToken(value);
    setSessionToken(value);
  }
  function signOut() {
    clearToken();
    setToken(null);
    setSessionToken(null);
  }
  useEffect(() => setUnauthorizedHandler(signOut), []);

  if (!token) return html`<${SignIn} onSignedIn=${signIn} />`;
  const page = PAGES[route.page] || PAGES.chat;
  const who = describeToken(token);
  return html`<div class="shell">
    <header class="topbar">
      <a class="brand" href="#/chat">wxo</a>
      <nav aria-label="Main">
        ${Object.entries(PAGES).map(
          ([key, p]) =>
            html`<a href=${`#/${key}`} aria-current=${page === p ? "page" : undefined}>${p.title}</a>`,
        )}
      </nav>
      <span class="who" data-testid="tenant">${who.tenant ? `Tenant: ${who.tenant}` : "Tenant: unknown"}</span>
      <button type="button" onClick=${signOut}>Sign out</button>
    </header>
    <${page.component} params=${route.params} />
  </div>`;
}
