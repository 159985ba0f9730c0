"""`llm_params` (watsonx.ai TextGenerationParameters) onto the Model Proxy's `GenerationParams`.

Mapped: `max_new_tokens` -> `max_tokens`, `min_new_tokens` -> `min_tokens`, `temperature`,
`top_p`, `top_k`, `stop_sequences` -> `stop`, `random_seed` -> `seed`, `repetition_penalty`,
`time_limit` (ms) -> `timeout_seconds`, `decoding_method` (`greedy`: temperature 0, no top_p/top_k).
Kept for watsonx.ai models only (other providers ignore them, see `wxo.llm.params`):
`beam_width`, `length_penalty`, `include_stop_sequence`, `return_options`,
`truncate_input_tokens`, `typical_p`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from wxo.llm.base import GenerationParams
from wxo.llm.params import from_watsonx

UNSUPPORTED_OUTSIDE_WATSONX = (
    "beam_width",
    "length_penalty",
    "include_stop_sequence",
    "return_options",
    "truncate_input_tokens",
    "typical_p",
)


def chat_params(llm_params: Mapping[str, Any]) -> GenerationParams:
    """The generation parameters of a run's `llm_params` (empty: the model's defaults).

    Raises:
        InvalidParamsError: a value of the wrong type or an unknown `decoding_method`.
    """
    return from_watsonx({k: v for k, v in llm_params.items() if v is not None and k != "model_id"})


def model_of(additional_parameters: Mapping[str, Any], llm_params: Mapping[str, Any]) -> str | None:
    """The model a run names, or None (the tenant's default chat model).

    `additional_parameters.llm_model_id` (the ADK's key) or `model_id`, else `llm_params.model_id`.
    """
    for source, key in (
        (additional_parameters, "llm_model_id"),
        (additional_parameters, "model_id"),
        (llm_params, "model_id"),
    ):
        value = source.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None
