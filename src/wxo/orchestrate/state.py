"""The state of one run through the agent loop, and of each agent answering in it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from wxo.llm.base import GenerationParams
from wxo.llm.routing import Route
from wxo.orchestrate.backends import AgentLike, Backends
from wxo.orchestrate.tools import Tool
from wxo.orchestrate.usage import UsageTally
from wxo.runs.execution import RunEnv, RunInput, RunSink

MAX_TOOL_ROUNDS = 6
MAX_DEPTH = 3


class RunStoppedError(Exception):
    """The run was cancelled: unwinds the loop to `run_loop`, which returns what it has."""


@dataclass
class LoopState:
    """One run's shared state: where to report, what was collected."""

    env: RunEnv
    run: RunInput
    sink: RunSink
    backends: Backends
    params: GenerationParams
    max_rounds: int = MAX_TOOL_ROUNDS
    max_depth: int = MAX_DEPTH
    tally: UsageTally = field(default_factory=UsageTally)
    steps: list[dict[str, Any]] = field(default_factory=list)
    items: list[dict[str, Any]] = field(default_factory=list)  # conversational_search items
    streamed: list[str] = field(default_factory=list)  # every delta sent
    direct: bool = False  # the run's agent answered on the direct path (no tool calling)

    async def step(self, details: list[dict[str, Any]]) -> None:
        """Report a step and keep it for `step_history`."""
        self.steps.append({"role": "assistant", "step_details": details})
        await self.sink.step(details)

    async def delta(self, text: str) -> None:
        """Stream a piece of the answer."""
        self.streamed.append(text)
        await self.sink.delta(text)

    def check(self) -> None:
        """Stop if the run was cancelled.

        Raises:
            RunStoppedError: `sink.cancelled()` is true.
        """
        if self.sink.cancelled():
            raise RunStoppedError


@dataclass(frozen=True)
class Level:
    """One agent answering at one depth of the chain."""

    agent: AgentLike | None
    label: str
    route: Route
    tools: list[Tool]
    tool_use: bool
    depth: int = 0
    stream: bool = True
    chain: tuple[str, ...] = ()
