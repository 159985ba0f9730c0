"""Token usage of a run, summed per model, in the `message.completed` shape (orchestrate.md §6.4)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from wxo.llm.base import Usage


@dataclass
class UsageTally:
    """Every model call of a run (collaborators' included), per model."""

    _models: dict[str, tuple[str, int, int, int]] = field(default_factory=dict)

    def add(self, model: str, provider: str, usage: Usage | None) -> None:
        """Count one call of `model` (a call without reported usage still counts as a call)."""
        prompt, completion, calls = (0, 0, 0)
        if model in self._models:
            _, prompt, completion, calls = self._models[model]
        used = usage or Usage()
        self._models[model] = (
            provider,
            prompt + used.prompt_tokens,
            completion + used.completion_tokens,
            calls + 1,
        )

    @property
    def calls(self) -> int:
        """How many model calls were counted."""
        return sum(entry[3] for entry in self._models.values())

    def as_dict(self) -> dict[str, Any]:
        """`{token_usage{prompt_tokens, completion_tokens, total_tokens}, model_usage[...]}`."""
        model_usage: list[dict[str, Any]] = [
            {
                "model_name": model,
                "provider": provider,
                "token_usage": {
                    "prompt_tokens": prompt,
                    "completion_tokens": completion,
                    "total_tokens": prompt + completion,
                },
            }
            for model, (provider, prompt, completion, _) in self._models.items()
        ]
        prompt = sum(m["token_usage"]["prompt_tokens"] for m in model_usage)
        completion = sum(m["token_usage"]["completion_tokens"] for m in model_usage)
        return {
            "token_usage": {
                "prompt_tokens": prompt,
                "completion_tokens": completion,
                "total_tokens": prompt + completion,
            },
            "model_usage": model_usage,
        }
