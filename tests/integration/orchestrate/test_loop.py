"""The agent loop against a scripted OpenAI-compatible model over real HTTP (the Model Proxy)."""

from __future__ import annotations

import asyncio
import json
import uuid

import httpx
import pytest

from tests.conftest import TenantUser
from tests.integration.llm.peers import FakeOpenAI, Reply, completion, register
from tests.integration.orchestrate.conftest import (
    KB,
    RecordingSink,
    Services,
    Spec,
    env_for,
    run_input,
    sse_text,
    sse_tool_calls,
)
from wxo.container import Container
from wxo.core.errors import NotFoundError
from wxo.orchestrate import prompts
from wxo.orchestrate.backends import Callee
from wxo.orchestrate.loop import run_loop
from wxo.runs.execution import HistoryMessage

HANDBOOK = {
    "leave-policy": "Employees get 25 vacation days a year. Unused days expire in March.",
    "parking": "The garage opens at seven. Bicycles park in the courtyard.",
}


async def model_for(client: httpx.AsyncClient, tenant: TenantUser, fake: FakeOpenAI) -> str:
    return await register(
        client, tenant, provider="openai-compatible", base_url=fake.base_url, model="agent"
    )


async def test_tool_call_then_text_reports_steps_deltas_content_and_usage(
    live_client: httpx.AsyncClient, live_tenant: TenantUser, container: Container, fake: FakeOpenAI
) -> None:
    model = await model_for(live_client, live_tenant, fake)
    kb = KB("HR Handbook", HANDBOOK, description="Company policies")
    agent = Spec(
        name="hr_agent",
        display_name="HR Agent",
        llm=model,
        instructions="You answer HR questions.",
        knowledge_base_ids=[kb.id],
    )
    services = Services(agents=[agent], kbs=[kb])
    fake.script(
        Reply(
            events=sse_tool_calls(
                [("call_1", "search_hr_handbook", {"query": "vacation days"})], usage=(11, 5)
            )
        ),
        Reply(events=sse_text(["You get ", "25 vacation ", "days."], usage=(30, 8))),
    )
    sink = RecordingSink()
    run = run_input(
        live_tenant.tenant_id,
        "How many vacation days do I get?",
        agent_id="hr_agent",
        history=[HistoryMessage("user", "Hi"), HistoryMessage("assistant", "Hello!")],
        llm_params={"max_new_tokens": 77, "decoding_method": "greedy", "stop_sequences": ["##"]},
        context_variables={"wxo_user_name": "Ada"},
    )

    out = await run_loop(env_for(container, live_tenant.tenant_id), run, sink, services.backends())

    answer = "You get 25 vacation days."
    assert sink.text == answer
    assert out.content[0] == {"response_type": "text", "text": answer}
    item = out.content[1]
    assert item["response_type"] == "conversational_search"
    assert len(out.content) == 2
    assert services.searches == [(kb.id, "vacation days", "local/extractive")]
    calls, response = sink.steps
    assert calls == [
        {
            "type": "tool_calls",
            "agent_display_name": "HR Agent",
            "tool_calls": [
                {"id": "call_1", "name": "search_hr_handbook", "args": {"query": "vacation days"}}
            ],
        }
    ]
    assert response[0]["type"] == "tool_response"
    assert response[0]["name"] == "search_hr_handbook"
    assert response[0]["tool_call_id"] == "call_1"
    result = json.loads(response[0]["content"])
    assert result["knowledge_base"] == "HR Handbook"
    assert "Employees get 25 vacation days a year." in result["answer"]
    assert {r["title"] for r in result["results"]} == set(HANDBOOK)
    assert out.step_history == [{"role": "assistant", "step_details": s} for s in sink.steps]
    assert out.agent_id == str(agent.id)
    assert out.usage == {
        "token_usage": {"prompt_tokens": 41, "completion_tokens": 13, "total_tokens": 54},
        "model_usage": [
            {
                "model_name": model,
                "provider": "openai-compatible",
                "token_usage": {"prompt_tokens": 41, "completion_tokens": 13, "total_tokens": 54},
            }
        ],
    }
    # what the model was sent: instructions, history, the tool, then the tool's result
    first, second = (seen.json() for seen in fake.seen)
    assert first["stream"] is True
    assert first["messages"][0]["role"] == "system"
    assert first["messages"][0]["content"].startswith("You answer HR questions.")
    assert "- wxo_user_name: Ada" in first["messages"][0]["content"]
    for sent in (first, second):
        assert (sent["max_tokens"], sent["temperature"], sent["stop"]) == (77, 0.0, ["##"])
    assert [m["role"] for m in first["messages"]] == ["system", "user", "assistant", "user"]
    tool = first["tools"][0]["function"]
    assert tool["name"] == "search_hr_handbook"
    assert "Company policies" in tool["description"]
    assert tool["parameters"]["required"] == ["query"]
    assistant, tool_message = second["messages"][-2:]
    assert assistant["tool_calls"][0]["id"] == "call_1"
    assert tool_message == {
        "role": "tool",
        "tool_call_id": "call_1",
        "name": "search_hr_handbook",
        "content": response[0]["content"],
    }


async def test_extractive_model_answers_knowledge_question_with_citations(
    live_client: httpx.AsyncClient, live_tenant: TenantUser, container: Container
) -> None:
    kb = KB("HR Handbook", HANDBOOK)
    agent = Spec(name="hr", llm="local/extractive", knowledge_base_ids=[kb.id])
    services = Services(agents=[agent], kbs=[kb])
    sink = RecordingSink()
    question = "How many vacation days do employees get?"
    run = run_input(live_tenant.tenant_id, question, agent_id="hr")

    out = await run_loop(env_for(container, live_tenant.tenant_id), run, sink, services.backends())

    assert services.searches == [(kb.id, question, "local/extractive")]
    [item] = out.content
    assert item["response_type"] == "conversational_search"
    assert item["text"].startswith("Extractive answer")
    assert sink.text == item["text"]
    assert item["citations"]
    for citation in item["citations"]:
        chunk = HANDBOOK[citation["title"]]
        assert citation["text"] in chunk
        assert chunk[citation["range_start"] : citation["range_end"]] == citation["text"]
    assert any("25 vacation days" in c["text"] for c in item["citations"])
    calls, response = sink.steps
    assert calls[0]["tool_calls"][0]["args"] == {"query": question}
    said = json.loads(response[0]["content"])
    assert "cannot call tools" in said["note"]
    assert "local/extractive" in said["note"]
    assert out.step_history[0]["step_details"] == calls


async def test_provider_refusing_tools_falls_back_to_the_direct_path(
    live_client: httpx.AsyncClient, live_tenant: TenantUser, container: Container, fake: FakeOpenAI
) -> None:
    model = await model_for(live_client, live_tenant, fake)
    kb = KB("HR Handbook", HANDBOOK)
    services = Services(agents=[Spec(name="hr", llm=model, knowledge_base_ids=[kb.id])], kbs=[kb])
    quoted = "- Employees get 25 vacation days a year. [leave-policy]"
    fake.script(
        Reply(status=400, json={"error": {"message": "gemma does not support tools"}}),
        Reply(json=completion(quoted)),
    )
    sink = RecordingSink()
    question = "How many vacation days?"
    out = await run_loop(
        env_for(container, live_tenant.tenant_id),
        run_input(live_tenant.tenant_id, question, agent_id="hr"),
        sink,
        services.backends(),
    )
    assert "tools" in fake.seen[0].json()
    assert "tools" not in fake.seen[1].json()
    assert services.searches == [(kb.id, question, model)]
    [item] = out.content
    assert item["response_type"] == "conversational_search"
    assert item["text"] == quoted
    assert item["citations"][0]["text"] == "Employees get 25 vacation days a year."
    assert sink.text == quoted
    assert model in json.loads(sink.steps[1][0]["content"])["note"]


async def test_a_search_that_finds_nothing_adds_no_content_item(
    live_client: httpx.AsyncClient, live_tenant: TenantUser, container: Container, fake: FakeOpenAI
) -> None:
    model = await model_for(live_client, live_tenant, fake)
    empty = KB("Empty", {})
    services = Services(
        agents=[Spec(name="a", llm=model, knowledge_base_ids=[empty.id])], kbs=[empty]
    )
    fake.script(
        Reply(events=sse_tool_calls([("e", "search_empty", {"query": "anything"})])),
        Reply(events=sse_text(["Nothing found."])),
    )
    out = await run_loop(
        env_for(container, live_tenant.tenant_id),
        run_input(live_tenant.tenant_id, "Find it", agent_id="a"),
        RecordingSink(),
        services.backends(),
    )
    assert services.searches == [(empty.id, "anything", "local/extractive")]
    assert out.content == [{"response_type": "text", "text": "Nothing found."}]


async def test_tool_errors_go_back_to_the_model(
    live_client: httpx.AsyncClient, live_tenant: TenantUser, container: Container, fake: FakeOpenAI
) -> None:
    model = await model_for(live_client, live_tenant, fake)
    broken = KB("Broken", HANDBOOK, fail=True)
    agent = Spec(name="a", llm=model, knowledge_base_ids=[broken.id])
    services = Services(agents=[agent], kbs=[broken])
    fake.script(
        Reply(
            events=sse_tool_calls(
                [
                    ("c1", "no_such_tool", {}),
                    ("c2", "search_broken", "{not json"),
                    ("c3", "search_broken", {"query": ""}),
                    ("c4", "search_broken", {"query": "anything"}),
                ]
            )
        ),
        Reply(events=sse_text(["Sorry, the search failed."])),
    )
    sink = RecordingSink()
    out = await run_loop(
        env_for(container, live_tenant.tenant_id),
        run_input(live_tenant.tenant_id, "Search please", agent_id="a"),
        sink,
        services.backends(),
    )
    responses = [s[0] for s in sink.steps if s[0]["type"] == "tool_response"]
    contents = {r["tool_call_id"]: r["content"] for r in responses}
    assert contents["c1"] == "Error: there is no tool named 'no_such_tool'"
    assert contents["c2"].startswith("Error: the arguments are not valid JSON")
    assert contents["c3"] == "Error: the argument 'query' (a non-empty string) is required"
    assert contents["c4"] == "Error: the index is unavailable"
    assert sink.steps[0][0]["tool_calls"][1]["args"] == {"_raw": "{not json"}
    assert out.content == [{"response_type": "text", "text": "Sorry, the search failed."}]
    sent = [m for m in fake.seen[1].json()["messages"] if m["role"] == "tool"]
    assert [m["content"] for m in sent] == [contents[c] for c in ("c1", "c2", "c3", "c4")]


async def test_iteration_limit_asks_for_an_answer_without_tools(
    live_client: httpx.AsyncClient, live_tenant: TenantUser, container: Container, fake: FakeOpenAI
) -> None:
    model = await model_for(live_client, live_tenant, fake)
    kb = KB("Docs", HANDBOOK)
    services = Services(agents=[Spec(name="a", llm=model, knowledge_base_ids=[kb.id])], kbs=[kb])
    fake.script(Reply(events=sse_tool_calls([("c", "search_docs", {"query": "q"})])))
    sink = RecordingSink()
    out = await run_loop(
        env_for(container, live_tenant.tenant_id),
        run_input(live_tenant.tenant_id, "Loop forever", agent_id="a"),
        sink,
        services.backends(),
        max_rounds=2,
    )
    assert len(fake.seen) == 3
    assert all("tools" in s.json() for s in fake.seen[:2])
    last = fake.seen[2].json()
    assert "tools" not in last
    assert last["messages"][-1] == {"role": "system", "content": prompts.LIMIT_NOTE}
    assert len(services.searches) == 2  # the last round's calls are not carried out
    assert len(sink.steps) == 4
    assert out.content[0] == {"response_type": "text", "text": prompts.NO_ANSWER}
    assert sink.text == prompts.NO_ANSWER
    assert out.usage["model_usage"][0]["token_usage"]["total_tokens"] == 3 * 16


async def test_cancellation_between_steps_stops_the_loop(
    live_client: httpx.AsyncClient, live_tenant: TenantUser, container: Container, fake: FakeOpenAI
) -> None:
    model = await model_for(live_client, live_tenant, fake)
    kb = KB("Docs", HANDBOOK)
    services = Services(agents=[Spec(name="a", llm=model, knowledge_base_ids=[kb.id])], kbs=[kb])
    fake.script(
        Reply(
            events=sse_tool_calls(
                [("c1", "search_docs", {"query": "one"}), ("c2", "search_docs", {"query": "two"})]
            )
        ),
        Reply(events=sse_text(["never"])),
    )
    sink = RecordingSink(cancel_after=1)  # cancelled once the tool_calls step is reported
    out = await run_loop(
        env_for(container, live_tenant.tenant_id),
        run_input(live_tenant.tenant_id, "Go", agent_id="a"),
        sink,
        services.backends(),
    )
    assert services.searches == []
    assert len(fake.seen) == 1
    assert sink.text == ""
    assert len(sink.steps) == 1
    assert out.content == [{"response_type": "text", "text": ""}]
    assert out.step_history == [{"role": "assistant", "step_details": sink.steps[0]}]
    assert out.usage["token_usage"]["total_tokens"] == 16


async def test_cancellation_during_a_stream_closes_it(
    live_client: httpx.AsyncClient, live_tenant: TenantUser, container: Container, fake: FakeOpenAI
) -> None:
    model = await model_for(live_client, live_tenant, fake)
    services = Services(agents=[Spec(name="a", llm=model)])
    fake.script(Reply(events=sse_text([f"w{i} " for i in range(200)]), event_delay=0.02))

    class StopAfterDeltas(RecordingSink):
        async def delta(self, text: str) -> None:
            await super().delta(text)
            self.stop = len(self.events) >= 3

    sink = StopAfterDeltas()
    out = await run_loop(
        env_for(container, live_tenant.tenant_id),
        run_input(live_tenant.tenant_id, "Talk", agent_id="a"),
        sink,
        services.backends(),
    )
    await asyncio.wait_for(fake.seen[0].client_left.wait(), 5)
    assert not fake.seen[0].answered
    assert sink.text == "w0 w1 w2 "
    assert out.content == [{"response_type": "text", "text": "w0 w1 w2 "}]


async def test_collaborator_runs_its_own_loop_and_its_answer_is_the_tool_result(
    live_client: httpx.AsyncClient, live_tenant: TenantUser, container: Container, fake: FakeOpenAI
) -> None:
    model = await model_for(live_client, live_tenant, fake)
    helper = Spec(
        name="weather_agent",
        display_name="Weather",
        llm=model,
        description="Knows the weather.",
        instructions="You are the weather agent.",
    )
    boss = Spec(name="boss", llm=model, collaborator_ids=[helper.id, "gone"])
    services = Services(agents=[boss, helper])
    fake.script(
        Reply(
            events=sse_tool_calls(
                [("t1", "transfer_to_weather_agent", {"message": "Weather in Paris?"})]
            )
        ),
        Reply(events=sse_text(["Sunny in Paris."])),
        Reply(events=sse_text(["It is sunny."])),
    )
    sink = RecordingSink()
    out = await run_loop(
        env_for(container, live_tenant.tenant_id),
        run_input(live_tenant.tenant_id, "Weather?", agent_id="boss"),
        sink,
        services.backends(),
    )
    assert [t["function"]["name"] for t in fake.seen[0].json()["tools"]] == [
        "transfer_to_weather_agent"
    ]
    inner = fake.seen[1].json()
    assert inner["messages"][0]["content"].startswith("You are the weather agent.")
    assert inner["messages"][-1] == {"role": "user", "content": "Weather in Paris?"}
    assert ("intermediate", ("Handing over to Weather", "Weather")) in sink.events
    response = sink.steps[1][0]
    assert response["content"] == "Sunny in Paris."
    assert sink.text == "It is sunny."  # the collaborator's text is not streamed
    assert out.content == [{"response_type": "text", "text": "It is sunny."}]
    assert out.usage["token_usage"]["total_tokens"] == 16 + 26 + 26


async def test_an_agent_cannot_hand_work_to_itself(
    live_client: httpx.AsyncClient, live_tenant: TenantUser, container: Container, fake: FakeOpenAI
) -> None:
    model = await model_for(live_client, live_tenant, fake)
    agent = Spec(name="selfish", llm=model)
    agent.collaborator_ids.append(agent.id)
    services = Services(agents=[agent])
    fake.script(
        Reply(events=sse_tool_calls([("t", "transfer_to_selfish", {"message": "again"})])),
        Reply(events=sse_text(["Done."])),
    )
    sink = RecordingSink()
    await run_loop(
        env_for(container, live_tenant.tenant_id),
        run_input(live_tenant.tenant_id, "Go", agent_id="selfish"),
        sink,
        services.backends(),
    )
    assert sink.steps[1][0]["content"] == (
        "Error: 'selfish' is already working on this request (no loops)"
    )
    assert len(fake.seen) == 2


async def test_builtin_assistant_calls_a_callable_assistant(
    live_client: httpx.AsyncClient, live_tenant: TenantUser, container: Container, fake: FakeOpenAI
) -> None:
    model = await model_for(live_client, live_tenant, fake)
    bot = Callee(kind="external_chat", id=uuid.uuid4(), name="Weather Bot", description="Weather.")
    services = Services(callees=[bot], answers={"Weather Bot": ["Rain ", "later."]})
    fake.script(
        Reply(events=sse_tool_calls([("x", "call_weather_bot", {"message": "Rain today?"})])),
        Reply(events=sse_text(["Rain later today."])),
    )
    sink = RecordingSink()
    history = [HistoryMessage("user", "Hello")]
    run = run_input(
        live_tenant.tenant_id,
        "Will it rain?",
        history=history,
        additional_parameters={"llm_model_id": model},
    )
    out = await run_loop(env_for(container, live_tenant.tenant_id), run, sink, services.backends())
    offered = [t["function"]["name"] for t in fake.seen[0].json()["tools"]]
    assert offered == ["call_weather_bot"]
    system = fake.seen[0].json()["messages"][0]["content"]
    assert system.startswith(prompts.DEFAULT_INSTRUCTIONS)
    assert services.calls == [
        {
            "kind": "external_chat",
            "id": bot.id,
            "message": "Rain today?",
            "history": history,
            "thread_id": run.thread_id,
        }
    ]
    assert sink.steps[1][0]["content"] == "Rain later."
    assert sink.steps[0][0]["agent_display_name"] == prompts.ASSISTANT_NAME
    assert out.agent_id is None
    assert out.content == [{"response_type": "text", "text": "Rain later today."}]


async def test_builtin_assistant_hands_work_to_the_tenants_agents(
    live_client: httpx.AsyncClient, live_tenant: TenantUser, container: Container, fake: FakeOpenAI
) -> None:
    model = await model_for(live_client, live_tenant, fake)
    billing = Spec(name="billing", display_name="Billing", llm=model, description="Invoices.")
    bot = Callee(kind="custom", id=uuid.uuid4(), name="Helper")
    services = Services(agents=[billing], callees=[bot])
    fake.script(
        Reply(events=sse_tool_calls([("b", "transfer_to_billing", {"message": "Invoice 7?"})])),
        Reply(events=sse_text(["Invoice 7 is paid."])),
        Reply(events=sse_text(["Your invoice is paid."])),
    )
    sink = RecordingSink()
    out = await run_loop(
        env_for(container, live_tenant.tenant_id),
        run_input(
            live_tenant.tenant_id,
            "Is invoice 7 paid?",
            additional_parameters={"llm_model_id": model},
        ),
        sink,
        services.backends(),
    )
    tools = {t["function"]["name"]: t["function"] for t in fake.seen[0].json()["tools"]}
    assert list(tools) == ["transfer_to_billing", "call_helper"]
    assert "Invoices." in tools["transfer_to_billing"]["description"]
    assert sink.steps[1][0]["content"] == "Invoice 7 is paid."
    assert out.content == [{"response_type": "text", "text": "Your invoice is paid."}]


async def test_builtin_assistant_without_a_default_model_answers_extractively(
    live_tenant: TenantUser, container: Container
) -> None:
    sink = RecordingSink()
    out = await run_loop(
        env_for(container, live_tenant.tenant_id),
        run_input(live_tenant.tenant_id, "What is the capital of France?"),
        sink,
        Services().backends(),
    )
    assert "extractive" in out.content[0]["text"]
    assert "no context was provided" in out.content[0]["text"]  # not our instructions
    assert sink.text == out.content[0]["text"]
    assert out.usage["model_usage"][0]["model_name"] == "local/extractive"
    assert out.usage["model_usage"][0]["provider"] == "local"


@pytest.mark.parametrize("kind", ["custom", "external_chat", "watsonx"])
async def test_assistant_run_streams_the_assistants_answer(
    live_tenant: TenantUser, container: Container, kind: str
) -> None:
    assistant = Callee(kind=kind, id=uuid.uuid4(), name="Helper")
    services = Services(callees=[assistant], answers={"Helper": ["Hi ", "there"]})
    sink = RecordingSink()
    history = [HistoryMessage("user", "Earlier")]
    run = run_input(live_tenant.tenant_id, "Hello", assistant_id=assistant.id, history=history)
    out = await run_loop(env_for(container, live_tenant.tenant_id), run, sink, services.backends())
    assert services.calls == [
        {
            "kind": kind,
            "id": assistant.id,
            "message": "Hello",
            "history": history,
            "thread_id": run.thread_id,
        }
    ]
    assert sink.text == "Hi there"
    assert [e for e in sink.events if e[0] == "delta"] == [("delta", "Hi "), ("delta", "there")]
    assert out.content == [{"response_type": "text", "text": "Hi there"}]


async def test_unknown_agent_or_model_fails_the_run(
    live_tenant: TenantUser, container: Container
) -> None:
    env = env_for(container, live_tenant.tenant_id)
    with pytest.raises(NotFoundError, match="nobody"):
        await run_loop(
            env,
            run_input(live_tenant.tenant_id, "Hi", agent_id="nobody"),
            RecordingSink(),
            Services().backends(),
        )
    services = Services(agents=[Spec(name="a", llm="virtual-model/openai/missing")])
    with pytest.raises(NotFoundError, match="missing"):
        await run_loop(
            env,
            run_input(live_tenant.tenant_id, "Hi", agent_id="a"),
            RecordingSink(),
            services.backends(),
        )
