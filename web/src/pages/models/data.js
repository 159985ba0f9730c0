// The Models page's calls: the catalog (built-in + registered) joined with the registered models'
// details, registration, deletion, and one prompt through the OpenAI-shaped chat completions route.
import { del, get, open, patch, post, sseEvents } from "../../api.js";

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

// POST a chat completion (api.js signs out only on the server's own 401, not on a provider's).
const postCompletion = (body, signal) =>
  open("POST", "/v1/chat/completions", { json: body, signal });

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
  for await (const { data } of sseEvents(response)) {
    if (data === "[DONE]") break;
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
