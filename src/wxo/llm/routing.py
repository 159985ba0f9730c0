"""Where a proxied request goes: the candidate models, and when to retry and fall back."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Literal

from wxo.llm.base import ModelTarget

RouteMode = Literal["single", "fallback", "loadbalance"]


@dataclass(frozen=True)
class Route:
    """A resolved model name: one model and its `config.fallbacks`, or a model policy.

    `retry_attempts` None means the server's `WXO_LLM__MAX_RETRIES`; `retry_on` and
    `fallback_on` None mean "errors the adapter marks retryable" (429, 5xx, timeouts, connection
    errors); a set of HTTP status codes narrows that (timeouts and connection errors, which have
    no status, always qualify).
    """

    targets: tuple[ModelTarget, ...]
    mode: RouteMode = "fallback"
    weights: tuple[float, ...] | None = None
    retry_attempts: int | None = None
    retry_on: frozenset[int] | None = None
    fallback_on: frozenset[int] | None = None

    def order(self, rng: random.Random | None = None) -> list[ModelTarget]:
        """The targets to try for one request, in order.

        `single`: the first target only. `fallback`: all, in order. `loadbalance`: one target
        drawn by weight (default 1 each), with no fallback, as IBM describes the strategy.
        """
        if self.mode == "single":
            return [self.targets[0]]
        if self.mode == "loadbalance":
            weights = self.weights or tuple(1.0 for _ in self.targets)
            chooser = rng or random
            return chooser.choices(list(self.targets), weights=list(weights), k=1)
        return list(self.targets)

    @property
    def primary(self) -> ModelTarget:
        """The first target (what a single-model route calls)."""
        return self.targets[0]
