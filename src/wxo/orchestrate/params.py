"""A run's `llm_params` (watsonx.ai text-generation names) as Model Proxy generation parameters."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from wxo.llm import params as llm_params
from wxo.llm.base import GenerationParams


def generation_params(values: Mapping[str, Any]) -> GenerationParams:
    """`llm_params` mapped as the Model Proxy maps them (`wxo.llm.params.from_watsonx`).

    `max_new_tokens` -> `max_tokens`, `decoding_method: greedy` -> temperature 0, `stop_sequences`
    -> `stop`, `random_seed` -> `seed`, `time_limit` (ms) -> timeout; names a provider has no
    equivalent for are kept for watsonx.ai providers only. Empty -> the model's defaults.

    Raises:
        InvalidInputError: A value of the wrong type or an unknown `decoding_method`.
    """
    if not values:
        return GenerationParams()
    return llm_params.from_watsonx(values)
