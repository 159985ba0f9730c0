"""watsonx.ai llm_params and OpenAI parameters, both ways."""

from __future__ import annotations

from typing import Any

import pytest

from wxo.core.errors import InvalidInputError
from wxo.llm.base import GenerationParams
from wxo.llm.params import (
    InvalidParamsError,
    from_openai,
    from_watsonx,
    to_openai,
    to_watsonx,
)

WATSONX_SAMPLE = {
    "decoding_method": "sample",
    "max_new_tokens": 300,
    "min_new_tokens": 5,
    "stop_sequences": ["\n\n", "END"],
    "repetition_penalty": 1.05,
    "random_seed": 42,
    "top_k": 50,
    "top_p": 0.9,
    "temperature": 0.7,
    "time_limit": 12000,
}


def test_from_watsonx_sample() -> None:
    params = from_watsonx(WATSONX_SAMPLE)

    assert params == GenerationParams(
        temperature=0.7,
        top_p=0.9,
        top_k=50,
        max_tokens=300,
        min_tokens=5,
        stop=["\n\n", "END"],
        seed=42,
        repetition_penalty=1.05,
        timeout_seconds=12.0,
    )


def test_from_watsonx_greedy_is_temperature_zero_without_sampling_knobs() -> None:
    params = from_watsonx(
        {"decoding_method": "greedy", "temperature": 0.9, "top_k": 5, "top_p": 0.5}
    )

    assert params.temperature == 0.0
    assert params.top_k is None
    assert params.top_p is None


@pytest.mark.parametrize(
    ("llm_params", "temperature"),
    [({"temperature": 0.4}, 0.4), ({"max_new_tokens": 10}, None)],
)
def test_from_watsonx_without_decoding_method(
    llm_params: dict[str, Any], temperature: float | None
) -> None:
    assert from_watsonx(llm_params).temperature == temperature


def test_from_watsonx_keeps_unknown_keys_under_watsonx() -> None:
    params = from_watsonx({"truncate_input_tokens": 512, "include_stop_sequence": True})

    assert params.extra == {
        "watsonx": {"truncate_input_tokens": 512, "include_stop_sequence": True}
    }
    assert to_openai(params) == {}
    assert to_watsonx(params) == {"truncate_input_tokens": 512, "include_stop_sequence": True}


@pytest.mark.parametrize(
    ("llm_params", "message"),
    [
        ({"decoding_method": "beam"}, "decoding_method: must be 'greedy' or 'sample'"),
        ({"max_new_tokens": "many"}, "llm_params: max_tokens:"),
        ({"time_limit": "soon"}, "time_limit: must be a number"),
        ({"stop_sequences": [1, 2]}, "llm_params: stop.0:"),
    ],
)
def test_from_watsonx_refuses_bad_values(llm_params: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidParamsError, match=message) as caught:
        from_watsonx(llm_params)

    assert isinstance(caught.value, InvalidInputError)


def test_to_watsonx_sample_round_trip() -> None:
    assert to_watsonx(from_watsonx(WATSONX_SAMPLE)) == WATSONX_SAMPLE


def test_to_watsonx_greedy_round_trip() -> None:
    llm_params = {"decoding_method": "greedy", "max_new_tokens": 20, "random_seed": 1}

    assert to_watsonx(from_watsonx(llm_params)) == llm_params


def test_to_watsonx_from_openai_parameters() -> None:
    params = from_openai(
        {
            "temperature": 0.8,
            "max_tokens": 100,
            "stop": "###",
            "seed": 9,
            "frequency_penalty": 0.5,
            "presence_penalty": 0.3,
            "logit_bias": {"50256": -100},
        }
    )

    assert to_watsonx(params) == {
        "decoding_method": "sample",
        "temperature": 0.8,
        "max_new_tokens": 100,
        "stop_sequences": ["###"],
        "random_seed": 9,
        "repetition_penalty": 1.25,  # approximated from frequency_penalty 0.5
    }


@pytest.mark.parametrize(
    ("frequency_penalty", "repetition_penalty"),
    [(-1.0, 1.0), (0.0, 1.0), (1.0, 1.5), (2.0, 2.0)],
)
def test_frequency_penalty_approximation_is_clamped_to_watsonx_range(
    frequency_penalty: float, repetition_penalty: float
) -> None:
    params = GenerationParams(frequency_penalty=frequency_penalty)

    assert to_watsonx(params)["repetition_penalty"] == repetition_penalty


def test_to_watsonx_prefers_a_real_repetition_penalty() -> None:
    params = GenerationParams(repetition_penalty=1.1, frequency_penalty=1.9)

    assert to_watsonx(params)["repetition_penalty"] == 1.1


def test_to_watsonx_time_limit_is_whole_milliseconds() -> None:
    assert to_watsonx(GenerationParams(timeout_seconds=0.0004))["time_limit"] == 1
    assert to_watsonx(GenerationParams(timeout_seconds=2.5))["time_limit"] == 2500


def test_to_watsonx_temperature_zero_is_greedy() -> None:
    assert to_watsonx(GenerationParams(temperature=0, top_p=0.5)) == {"decoding_method": "greedy"}


def test_to_watsonx_nothing_set_sends_nothing() -> None:
    assert to_watsonx(GenerationParams()) == {}


OPENAI_REQUEST = {
    "model": "gpt-4o-mini",
    "messages": [{"role": "user", "content": "hi"}],
    "stream": True,
    "stream_options": {"include_usage": True},
    "tools": [],
    "temperature": 0.3,
    "top_p": 0.95,
    "max_completion_tokens": 64,
    "stop": ["x"],
    "seed": 5,
    "frequency_penalty": 0.2,
    "presence_penalty": 0.1,
    "n": 1,
    "user": "alice",
    "logprobs": True,
}


def test_from_openai_skips_request_keys_and_keeps_unknown_parameters() -> None:
    params = from_openai(OPENAI_REQUEST)

    assert params == GenerationParams(
        temperature=0.3,
        top_p=0.95,
        max_tokens=64,
        stop=["x"],
        seed=5,
        frequency_penalty=0.2,
        presence_penalty=0.1,
        n=1,
        extra={"openai": {"user": "alice", "logprobs": True}},
    )


def test_from_openai_prefers_max_tokens_and_reads_extensions() -> None:
    params = from_openai(
        {"max_tokens": 10, "max_completion_tokens": 99, "top_k": 3, "min_tokens": 2}
    )

    assert (params.max_tokens, params.top_k, params.min_tokens) == (10, 3, 2)


def test_from_openai_refuses_bad_values() -> None:
    with pytest.raises(InvalidParamsError, match="parameters: temperature:"):
        from_openai({"temperature": "hot"})


def test_to_openai_round_trip() -> None:
    skip = ("model", "messages", "stream", "stream_options", "tools")
    request = {k: v for k, v in OPENAI_REQUEST.items() if k not in skip}
    expected = {k: v for k, v in request.items() if k != "max_completion_tokens"}
    expected["max_tokens"] = request["max_completion_tokens"]

    assert to_openai(from_openai(request)) == expected


def test_to_openai_from_watsonx_for_a_compatible_server() -> None:
    assert to_openai(from_watsonx(WATSONX_SAMPLE)) == {
        "temperature": 0.7,
        "top_p": 0.9,
        "max_tokens": 300,
        "stop": ["\n\n", "END"],
        "seed": 42,
        "top_k": 50,
        "min_tokens": 5,
        "repetition_penalty": 1.05,
    }


def test_to_openai_strict_for_openai_itself() -> None:
    assert to_openai(from_watsonx(WATSONX_SAMPLE), strict=True) == {
        "temperature": 0.7,
        "top_p": 0.9,
        "max_tokens": 300,
        "stop": ["\n\n", "END"],
        "seed": 42,
        "frequency_penalty": 0.1,  # 2 * (1.05 - 1)
    }


def test_to_openai_strict_keeps_an_explicit_frequency_penalty() -> None:
    params = GenerationParams(repetition_penalty=1.8, frequency_penalty=0.3)

    assert to_openai(params, strict=True) == {"frequency_penalty": 0.3}


def test_to_openai_greedy_is_temperature_zero() -> None:
    assert to_openai(from_watsonx({"decoding_method": "greedy"})) == {"temperature": 0.0}


def test_extras_from_one_side_never_reach_the_other() -> None:
    params = GenerationParams(
        extra={"watsonx": {"truncate_input_tokens": 1}, "openai": {"user": "u"}}
    )

    assert to_openai(params) == {"user": "u"}
    assert to_watsonx(params) == {"truncate_input_tokens": 1}
