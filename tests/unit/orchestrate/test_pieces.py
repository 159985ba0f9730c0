"""Pure pieces of the agent loop: tool names and arguments, usage sums, prompts, tool support."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from pydantic import SecretStr

from wxo.llm.base import ModelTarget, ProviderConfig, Usage
from wxo.llm.routing import Route
from wxo.orchestrate import prompts
from wxo.orchestrate.backends import Callee, _callee
from wxo.orchestrate.exceptions import ToolFailedError
from wxo.orchestrate.loop import calls_tools
from wxo.orchestrate.tools import Tool, _Names, args_object, parse_arguments, slug
from wxo.orchestrate.usage import UsageTally


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("HR Handbook", "hr_handbook"),
        ("  Über-Agent 2000!! ", "ber-agent_2000"),
        ("***", "unnamed"),
        ("weather_agent", "weather_agent"),
    ],
)
def test_slug_makes_function_safe_names(name: str, expected: str) -> None:
    assert slug(name) == expected


def test_names_are_unique_and_at_most_64_characters() -> None:
    names = _Names()
    assert names.make("search_", "Docs") == "search_docs"
    assert names.make("search_", "docs!") == "search_docs_2"
    assert names.make("search_", "DOCS") == "search_docs_3"
    long = names.make("transfer_to_", "x" * 200)
    assert len(long) <= 64
    assert len(names.make("transfer_to_", "x" * 200)) <= 64


def kb_tool() -> Tool:
    return Tool(
        name="search_docs",
        kind="knowledge_base",
        label="Docs",
        target=uuid.uuid4(),
        description="Search.",
    )


def test_tool_spec_requires_its_one_argument() -> None:
    spec = kb_tool().spec()
    assert spec.parameters["required"] == ["query"]
    agent = Tool(name="transfer_to_a", kind="agent", label="A", target=None, description="d")
    assert agent.spec().parameters["required"] == ["message"]


@pytest.mark.parametrize(
    ("arguments", "error"),
    [
        ("{oops", "not valid JSON"),
        ("[1, 2]", "'query'"),
        ('{"query": 3}', "'query'"),
        ('{"query": "   "}', "'query'"),
        ('{"message": "x"}', "'query'"),
    ],
)
def test_bad_arguments_are_told_to_the_model(arguments: str, error: str) -> None:
    with pytest.raises(ToolFailedError, match=error):
        parse_arguments(kb_tool(), arguments)


def test_good_arguments_and_step_args() -> None:
    assert parse_arguments(kb_tool(), '{"query": "  tides  ", "extra": 1}') == "tides"
    assert args_object('{"query": "x"}') == {"query": "x"}
    assert args_object("nope") == {"_raw": "nope"}
    assert args_object("[1]") == {"_raw": "[1]"}
    assert args_object("") == {}


def test_usage_is_summed_per_model() -> None:
    tally = UsageTally()
    tally.add("m1", "openai", Usage(prompt_tokens=10, completion_tokens=2))
    tally.add("m2", "local", None)
    tally.add("m1", "openai", Usage(prompt_tokens=5, completion_tokens=1))
    assert tally.calls == 3
    assert tally.as_dict() == {
        "token_usage": {"prompt_tokens": 15, "completion_tokens": 3, "total_tokens": 18},
        "model_usage": [
            {
                "model_name": "m1",
                "provider": "openai",
                "token_usage": {"prompt_tokens": 15, "completion_tokens": 3, "total_tokens": 18},
            },
            {
                "model_name": "m2",
                "provider": "local",
                "token_usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
            },
        ],
    }


def test_system_prompt_uses_instructions_or_the_default() -> None:
    default = prompts.system_prompt(None, has_tools=False)
    assert default == prompts.DEFAULT_INSTRUCTIONS
    own = prompts.system_prompt("  Be terse. ", has_tools=True, context_variables={"b": 2, "a": 1})
    assert own.startswith("Be terse.")
    assert "search_" in own
    assert own.endswith("- a: 1\n- b: 2")
    assert prompts.system_prompt("   ", has_tools=False) == prompts.DEFAULT_INSTRUCTIONS


def route(provider: str, **extra: Any) -> Route:
    config = ProviderConfig(provider=provider, api_key=SecretStr("k"), extra=extra)
    target = ModelTarget(name="m", provider=provider, upstream_model="u", config=config)
    return Route(targets=(target,))


def test_tool_support() -> None:
    assert calls_tools(route("openai"))
    assert not calls_tools(route("local"))
    assert not calls_tools(route("ollama", metadata={"tools": "false"}))
    assert calls_tools(route("ollama", metadata={"tools": "true"}))


def test_callable_items_as_callees() -> None:
    ident = uuid.uuid4()
    assert _callee(Callee("custom", ident, "Helper", "d")) == Callee("custom", ident, "Helper", "d")
    assert _callee({"type": "watsonx", "id": ident, "nickname": "wa"}) == Callee(
        "watsonx", ident, "wa", None
    )
