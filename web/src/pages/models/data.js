// The Models page's calls: the catalog (built-in + registered) joined with the registered models'
// details, registration, deletion, and one prompt through the OpenAI-shaped chat completions route.
import { ApiError, authHeaders, del, get, patch, post } from "../../api.js";

// Providers the server can call (registry_rules.SUPPORTED_PROVIDERS), with a base-URL hint.
export const PROVIDERS = [
  { value: "watsonx", label: "watsonx.ai", host: "https://us-south.ml.cloud.ibm.com", example: "ibm/granite-3-8b-instruct" },
  { value: "openai", label: "OpenAI", host: "https://api.openai.com/v1", example: "gpt-4o-mini" },
  { value: "mistral-ai", label: "Mistral", host: "https://api.mistral.ai/v1", example: "mistral-small-latest" },
  { value: "ollama", label: "Ollama", host: "http://localhost:11434", example: "llama3.2" },
  { value: "openai-compatible", label: "OpenAI-compatible", host: "http://localhost:8000/v1", example: "my-model" },
];

export const KINDS = [
  { value: "chat", label: "chat" },
  { value: "chat_vision", label: "chat (vision)" },
  { value: "completion", label: "completion" },
  { value: "embedding", label: "embedding" },
];

export function providerLabel(provider) {
  if (provider === "local") return "built-in (local)";
  return PROVIDERS.find((p) => p.value === provider)?.label || provider;
}

export function kindLabel(modelType) {
  return KINDS.find((k) => k.value === modelType)?.label || modelType;
}

export const isChat = (model) => model.model_type !== "embedding";

// The name the registry derives the provider and upstream model id from.
export function registeredName(provider, upstream) {
  return `virtual-model/${provider}/${upstream.trim()}`;
}

// Every model the tenant can use: catalog entries, registered ones with their details
// (provider_config as the server returns it: secrets redacted).
export async function loadModels(kind) {
  const path = kind === "embedding" ? "/v1/models/list/embeddings" : "/v1/models/list";
  const [catalog, registered] = await Promise.all([get(path), get("/v1/models")]);
  const byId = new Map(registered.map((m) => [m.id, m]));
  return catalog.resources
    .filter((entry) => kind !== "chat" || isChat(entry))
    .map((entry) => ({ ...entry, registered: entry.is_custom ? byId.get(entry.id) || null : null }));
}

export const registerModel = (body) => post("/v1/models", body);
export const deleteModel = (id) => del(`/v1/models/${encodeURIComponent(id)}`);
// PATCH merges provider_config key by key: only the key changes.
export const replaceKey = (id, apiKey) =>
  patch(`/v1/models/${encodeURIComponent(id)}`, { provider_config: { api_key: apiKey } });

function messageOf(status, body) {
  const detail = body && body.detail;
  if (typeof detail === "string") return detail;
  if (Array.isArray(detail)) return detail.map((d) => `${(d.loc || []).slice(1).join(".")}: ${d.msg}`).join("; ");
  return `HTTP ${status}`;
}

// POST a chat completion. Not through api.js's `request`, which signs out on every 401: the
// proxy also answers 401 when a *provider* rejects its API key. Only a 401 carrying
// `WWW-Authenticate` (the server's own authentication) means the session is over; then a plain
// call through api.js lets the shared client sign out.
async function postCompletion(body, signal) {
  const response = await fetch("/v1/chat/completions", {
    method: "POST",
    signal,
    headers: { ...authHeaders(), "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  if (response.ok) return response;
  const payload = await response.json().catch(() => null);
  if (response.status === 401 && response.headers.has("WWW-Authenticate")) await get("/v1/models");
  throw new ApiError(response.status, messageOf(response.status, payload), payload);
}

// The `data:` payloads of a server-sent event stream, one per event.
async function* sseData(response) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true }).replace(/\r\n/g, "\n");
    let cut;
    while ((cut = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      const lines = block.split("\n").filter((line) => line.startsWith("data:"));
      if (lines.length) yield lines.map((line) => line.slice(5).replace(/^ /, "")).join("\n");
    }
  }
}

// One prompt through POST /v1/chat/completions. Streaming asks for the usage chunk
// (stream_options.include_usage). Latency is measured here, in the browser: from sending the
// request to the last byte (and to the first content, when streamed).
export async function sendPrompt({ model, system, prompt, stream, maxTokens, signal, onDelta }) {
  const messages = [];
  if (system.trim()) messages.push({ role: "system", content: system });
  messages.push({ role: "user", content: prompt });
  const body = { model, messages };
  if (maxTokens) body.max_tokens = maxTokens;
  const started = performance.now();
  if (!stream) {
    const reply = await (await postCompletion(body, signal)).json();
    const choice = reply.choices[0] || {};
    return {
      answer: choice.message?.content || "",
      model: reply.model,
      finish: choice.finish_reason,
      usage: reply.usage,
      latency: performance.now() - started,
      firstToken: null,
    };
  }
  const result = { answer: "", model, finish: null, usage: null, firstToken: null };
  const response = await postCompletion(
    { ...body, stream: true, stream_options: { include_usage: true } },
    signal,
  );
  for await (const text of sseData(response)) {
    if (text === "[DONE]") break;
    const data = JSON.parse(text);
    if (data.error) throw new Error(data.error.message || "The model failed");
    result.model = data.model || result.model;
    if (data.usage) result.usage = data.usage;
    for (const choice of data.choices || []) {
      const text = choice.delta?.content;
      if (text) {
        if (result.firstToken === null) result.firstToken = performance.now() - started;
        result.answer += text;
        onDelta(result.answer);
      }
      if (choice.finish_reason) result.finish = choice.finish_reason;
    }
  }
  result.latency = performance.now() - started;
  return result;
}
