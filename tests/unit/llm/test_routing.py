"""The order in which a route tries its targets."""

from __future__ import annotations

import random
from collections import Counter

from wxo.llm.base import ModelTarget, ProviderConfig
from wxo.llm.routing import Route


def targets(*names: str) -> tuple[ModelTarget, ...]:
    """Resolved OpenAI models with these names."""
    return tuple(
        ModelTarget(
            name=n, provider="openai", upstream_model=n, config=ProviderConfig(provider="openai")
        )
        for n in names
    )


def names(route: Route, rng: random.Random) -> list[str]:
    """The names `route.order` gives."""
    return [t.name for t in route.order(rng)]


def test_fallback_tries_every_target_in_order_and_single_only_the_first() -> None:
    rng = random.Random(1)  # noqa: S311 (seeded, not for secrets)
    assert names(Route(targets("a", "b", "c")), rng) == ["a", "b", "c"]
    assert names(Route(targets("a", "b"), mode="single"), rng) == ["a"]


def test_loadbalance_draws_one_target_by_weight() -> None:
    route = Route(targets("a", "b"), mode="loadbalance", weights=(3.0, 1.0))
    rng = random.Random(7)  # noqa: S311 (seeded, not for secrets)

    draws = Counter(tuple(names(route, rng)) for _ in range(4000))

    assert set(draws) == {("a",), ("b",)}
    assert 0.70 < draws[("a",)] / 4000 < 0.80
