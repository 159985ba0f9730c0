"""Scripted executors for run tests, loaded by real workers (`WXO_RUNS__EXECUTOR`).

`scripted` answers by the user message's first word:
- `fail ...`: raises an AppError after one delta;
- `slow ...`: emits a delta every 0.1 s for 60 s (stopped by cancellation only);
- `drip ...` / `slowdrip ...`: like the default answer, with 0.3 / 0.6 s after each delta;
- `burst ...`: 200 one-character deltas back to back (`BURST`), as a fast model streams;
- anything else: one intermediate, one step, three deltas spelling
  `echo: <message> (history=<n>)`, with step_history and usage.
"""

from __future__ import annotations

import asyncio

from wxo.core.errors import UpstreamError
from wxo.runs.execution import Executor, RunEnv, RunInput, RunOutput, RunSink

STEP = [{"type": "tool_calls", "tool_calls": [{"id": "call-1", "name": "lookup", "args": {}}]}]
USAGE = {
    "token_usage": {"total_tokens": 7},
    "model_usage": [
        {
            "model_name": "scripted",
            "provider": "test",
            "token_usage": {"prompt_tokens": 4, "completion_tokens": 3, "total_tokens": 7},
        }
    ],
}


BURST = "".join(str(i % 10) for i in range(200))


def answer_parts(message: str, history: int) -> list[str]:
    """The three deltas the default script sends."""
    return ["echo: ", message, f" (history={history})"]


async def _scripted(env: RunEnv, run: RunInput, sink: RunSink) -> RunOutput:
    first = run.message.split(" ", 1)[0]
    if first == "fail":
        await sink.delta("partial")
        raise UpstreamError("the scripted model is down")
    if first == "slow":
        for _ in range(600):
            await sink.delta(".")
            await asyncio.sleep(0.1)
        return RunOutput(content=[{"response_type": "text", "text": "too late"}])
    if first == "burst":
        for char in BURST:
            await sink.delta(char)
        return RunOutput(content=[{"response_type": "text", "text": BURST}], usage=USAGE)
    pause = {"drip": 0.3, "slowdrip": 0.6}.get(first, 0.0)
    await sink.intermediate("thinking", current_agent="scripted-agent")
    await sink.step(STEP)
    parts = answer_parts(run.message, len(run.history))
    for part in parts:
        await sink.delta(part)
        await asyncio.sleep(pause)
    return RunOutput(
        content=[{"response_type": "text", "text": "".join(parts)}],
        step_history=[{"role": "assistant", "step_details": STEP}],
        usage=USAGE,
        agent_id=run.agent_id,
    )


def scripted() -> Executor:
    """The factory named in `WXO_RUNS__EXECUTOR`."""
    return _scripted
