// The HTTP client of the console: every call carries the session's token; errors become ApiError
// with the server's own message; streams are read as NDJSON (runs) or SSE (engines, completions).

export class ApiError extends Error {
  constructor(status, message, body) {
    super(message);
    this.status = status;
    this.body = body;
  }
}

// Called on the server's own 401 (an expired or revoked token): the app signs out.
let onUnauthorized = () => {};
export function setUnauthorizedHandler(handler) {
  onUnauthorized = handler;
}

let token = null;
export function setToken(value) {
  token = value;
}

// The Authorization header for requests made without `request` (an XMLHttpRequest upload).
export function authHeaders() {
  return token ? { Authorization: `Bearer ${token}` } : {};
}

function messageOf(status, body) {
  if (body && typeof body === "object") {
    const detail = body.detail ?? body.message ?? body.error;
    if (typeof detail === "string") return detail;
    if (Array.isArray(detail)) {
      return detail.map((d) => `${(d.loc || []).slice(1).join(".")}: ${d.msg}`).join("; ");
    }
    if (detail && typeof detail === "object" && detail.message) return detail.message;
  }
  return `HTTP ${status}`;
}

// The response of one call, or an ApiError with the server's message. Only a 401 that carries
// `WWW-Authenticate` (the server refusing the token) signs out: the Model Proxy also answers 401
// when a *provider* rejects its API key, and that must not end the session.
export async function open(method, path, { json, form, query, signal, headers = {} } = {}) {
  const url = new URL(path, window.location.origin);
  for (const [key, value] of Object.entries(query || {})) {
    if (value === undefined || value === null || value === "") continue;
    for (const item of Array.isArray(value) ? value : [value]) url.searchParams.append(key, item);
  }
  const init = { method, signal, headers: { ...headers } };
  if (token) init.headers.Authorization = `Bearer ${token}`;
  if (json !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(json);
  } else if (form !== undefined) {
    init.body = form;
  }
  const response = await fetch(url, init);
  if (!response.ok) {
    let body = null;
    try {
      body = await response.json();
    } catch {
      body = null;
    }
    if (response.status === 401 && token && response.headers.has("WWW-Authenticate")) {
      onUnauthorized();
    }
    throw new ApiError(response.status, messageOf(response.status, body), body);
  }
  return response;
}

export async function request(method, path, options) {
  const response = await open(method, path, options);
  if (response.status === 204) return null;
  const type = response.headers.get("Content-Type") || "";
  return type.includes("json") ? response.json() : response.text();
}

export const get = (path, options) => request("GET", path, options);
export const post = (path, json, options = {}) => request("POST", path, { ...options, json });
export const patch = (path, json, options = {}) => request("PATCH", path, { ...options, json });
export const del = (path, options) => request("DELETE", path, options);

// A binary resource behind the token (images, downloads) as an object URL.
export async function blobUrl(path) {
  const response = await open("GET", path);
  return URL.createObjectURL(await response.blob());
}

async function* lines(response) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let cut;
    while ((cut = buffer.indexOf("\n")) >= 0) {
      yield buffer.slice(0, cut);
      buffer = buffer.slice(cut + 1);
    }
  }
  if (buffer) yield buffer;
}

// The objects of a newline-delimited JSON response (the runs' events), one per line.
export async function* ndjsonEvents(response) {
  for await (const line of lines(response)) {
    if (line.trim()) yield JSON.parse(line);
  }
}

// POST and read newline-delimited JSON events.
export async function* streamNdjson(path, json, { signal } = {}) {
  yield* ndjsonEvents(await open("POST", path, { json, signal }));
}

// The events of a server-sent event stream: {event, data}, data parsed as JSON when it is.
export async function* sseEvents(response) {
  let event = "message";
  let data = [];
  for await (const line of lines(response)) {
    if (line === "" || line === "\r") {
      if (data.length) {
        const text = data.join("\n");
        let parsed = text;
        try {
          parsed = JSON.parse(text);
        } catch {
          parsed = text;
        }
        yield { event, data: parsed };
      }
      event = "message";
      data = [];
    } else if (line.startsWith("event:")) {
      event = line.slice(6).trim();
    } else if (line.startsWith("data:")) {
      data.push(line.slice(5).replace(/^ /, "").replace(/\r$/, ""));
    }
  }
}

// POST and read server-sent events.
export async function* streamSse(path, json, { signal } = {}) {
  yield* sseEvents(await open("POST", path, { json, signal }));
}
