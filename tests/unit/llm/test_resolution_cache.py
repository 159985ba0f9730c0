"""The per-process cache of resolved models."""

from __future__ import annotations

import uuid

import pytest

from wxo.llm.base import ModelTarget, ProviderConfig
from wxo.llm.resolution import ResolutionCache
from wxo.llm.routing import Route


def target(name: str) -> Route:
    """The route to one resolved OpenAI model named `name`."""
    model = ModelTarget(
        name=name,
        provider="openai",
        upstream_model="gpt-x",
        model_type="chat",
        config=ProviderConfig(provider="openai"),
    )
    return Route(targets=(model,))


def test_an_entry_is_served_until_its_ttl_passes(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [100.0]
    monkeypatch.setattr("wxo.llm.resolution.time.monotonic", lambda: now[0])
    cache = ResolutionCache(ttl=5.0)
    tenant = uuid.uuid4()
    cache.put(tenant, "m", "chat", target("m"))

    now[0] = 104.9
    hit = cache.get(tenant, "m", "chat")
    now[0] = 105.0
    expired = cache.get(tenant, "m", "chat")

    assert hit is not None
    assert hit.primary.name == "m"
    assert expired is None


def test_entries_are_per_tenant_name_and_kind() -> None:
    cache = ResolutionCache(ttl=60.0)
    tenant, other = uuid.uuid4(), uuid.uuid4()
    cache.put(tenant, "m", "chat", target("m"))

    assert cache.get(other, "m", "chat") is None
    assert cache.get(tenant, "m", "embedding") is None
    assert cache.get(tenant, "n", "chat") is None


def test_forget_drops_only_that_tenants_entries() -> None:
    cache = ResolutionCache(ttl=60.0)
    tenant, other = uuid.uuid4(), uuid.uuid4()
    cache.put(tenant, "m", "chat", target("m"))
    cache.put(tenant, "", "embedding", target("e"))
    cache.put(other, "m", "chat", target("m"))

    cache.forget(tenant)

    assert cache.get(tenant, "m", "chat") is None
    assert cache.get(tenant, "", "embedding") is None
    assert cache.get(other, "m", "chat") is not None


def test_a_zero_ttl_caches_nothing_and_the_size_is_bounded() -> None:
    disabled = ResolutionCache(ttl=0.0)
    tenant = uuid.uuid4()
    disabled.put(tenant, "m", "chat", target("m"))
    assert disabled.get(tenant, "m", "chat") is None

    small = ResolutionCache(ttl=60.0, max_entries=2)
    for name in ("a", "b", "c"):
        small.put(tenant, name, "chat", target(name))
    assert small.get(tenant, "a", "chat") is None
    assert small.get(tenant, "c", "chat") is not None
