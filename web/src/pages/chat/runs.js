// Runs for the chat: start one (POST /v1/orchestrate/runs), follow its events, cancel it.
//
// The run is started without `stream` so that its `run_id` and `thread_id` are known at once
// (the stream's first event, `run.started`, only comes when a worker picks the run up): Stop
// works even for a run still waiting in the queue, and a new thread's URL is set immediately.
// The events are then read from GET /v1/orchestrate/runs/{id}/events?follow=true, the same
// newline-delimited JSON a streamed run sends.
import { ndjsonEvents, open, post } from "../../api.js";

export function startRun({ text, agentId, threadId }) {
  const body = { message: { role: "user", content: text } };
  if (agentId) body.agent_id = agentId;
  if (threadId) body.thread_id = threadId;
  return post("/v1/orchestrate/runs", body);
}

export function cancelRun(runId) {
  return post(`/v1/orchestrate/runs/cancel/${encodeURIComponent(runId)}`);
}

// Yields the run's events {id, event, data} until `done` (stored ones first, then live ones).
export async function* followRun(runId, { after, signal } = {}) {
  const path = `/v1/orchestrate/runs/${encodeURIComponent(runId)}/events`;
  const response = await open("GET", path, { query: { follow: "true", after }, signal });
  yield* ndjsonEvents(response);
}

// The live state of a run as its events arrive (a new object per event, for Preact).
export function newLive(runId = null) {
  return { runId, status: "starting", text: "", steps: [], progress: null, message: null, error: null };
}

function errorText(error) {
  if (!error) return "The run failed.";
  if (typeof error === "string") return error;
  return error.message || JSON.stringify(error);
}

export function applyEvent(live, { event, data = {} }) {
  switch (event) {
    case "run.started":
      return { ...live, status: "running" };
    case "message.delta": {
      const parts = (data.delta?.content || []).map((c) => c.text || "").join("");
      return { ...live, status: "running", text: live.text + parts, progress: null };
    }
    case "run.step.delta":
      return { ...live, steps: [...live.steps, ...(data.delta?.step_details || [])] };
    case "run.step.intermediate":
      return { ...live, progress: data.message?.text || null };
    case "message.created":
      return data.message && data.message.role === "assistant" ? { ...live, message: data.message } : live;
    case "run.completed":
      return { ...live, status: "completed" };
    case "run.cancelled":
      return { ...live, status: "cancelled" };
    case "run.failed":
    case "error":
      return { ...live, status: "failed", error: new Error(errorText(data.error ?? data.message)) };
    case "run.expired":
      return { ...live, status: "failed", error: new Error("The run expired.") };
    default:
      return live;
  }
}

export const ENDED = new Set(["completed", "cancelled", "failed"]);
