"""watsonx.ai ``llm_params`` and OpenAI request parameters, both ways, via GenerationParams.

GenerationParams speaks OpenAI's vocabulary. The watsonx.ai text-generation names map as:

==================== ======================= ==============================================
watsonx.ai           GenerationParams        notes
==================== ======================= ==============================================
decoding_method      temperature             ``greedy`` -> temperature 0, and top_p/top_k
                                             dropped (watsonx.ai ignores them when greedy);
                                             ``sample`` keeps them. Absent: sampling if any
                                             sampling knob is given, else provider default.
max_new_tokens       max_tokens
min_new_tokens       min_tokens              no OpenAI equivalent (vLLM-style extension)
stop_sequences       stop                    OpenAI's single string becomes a list
repetition_penalty   repetition_penalty      multiplicative, 1.0 = off (see below)
random_seed          seed
top_k, top_p         top_k, top_p            top_k has no OpenAI equivalent
temperature          temperature
time_limit (ms)      timeout_seconds (s)
==================== ======================= ==============================================

Penalties: watsonx.ai's ``repetition_penalty`` (1.0-2.0, multiplicative) and OpenAI's
``frequency_penalty`` (-2..2, additive) are different mechanisms. Where only one of them can be
sent, it is approximated linearly: ``frequency_penalty = 2 * (repetition_penalty - 1)`` and back
``repetition_penalty = 1 + frequency_penalty / 2``, clamped to each side's range. OpenAI's
``presence_penalty`` has no watsonx.ai counterpart and is dropped by :func:`to_watsonx`.

Keys with no GenerationParams field are kept, by the vocabulary they came in, under
``extra["watsonx"]`` or ``extra["openai"]`` and given back only to the same side, so neither
side ever receives the other's unknown names.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from wxo.core.errors import InvalidInputError
from wxo.llm.base import GenerationParams

# OpenAI Chat Completions parameters official OpenAI accepts, besides the request's own keys.
OPENAI_STANDARD = (
    "temperature",
    "top_p",
    "max_tokens",
    "stop",
    "seed",
    "frequency_penalty",
    "presence_penalty",
    "n",
)
# Accepted by vLLM, llama.cpp server, LM Studio and others, not by api.openai.com.
OPENAI_EXTENSIONS = ("top_k", "min_tokens", "repetition_penalty")

# Request keys that are not sampling/length parameters: from_openai skips them.
OPENAI_REQUEST_KEYS = frozenset(
    {
        "model",
        "messages",
        "prompt",
        "tools",
        "tool_choice",
        "functions",
        "function_call",
        "stream",
        "stream_options",
        "response_format",
        "extra_model_args",
    }
)

_SAMPLING_KEYS = ("temperature", "top_p", "top_k")
_WATSONX_RENAMES = {
    "max_new_tokens": "max_tokens",
    "min_new_tokens": "min_tokens",
    "stop_sequences": "stop",
    "random_seed": "seed",
    "repetition_penalty": "repetition_penalty",
    "top_k": "top_k",
    "top_p": "top_p",
    "temperature": "temperature",
}


class InvalidParamsError(InvalidInputError):
    """Generation parameters of the wrong type or value."""


def _build(fields: dict[str, Any], *, source: str) -> GenerationParams:
    try:
        return GenerationParams.model_validate(fields)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise InvalidParamsError(f"{source}: {where}: {first['msg']}") from None


def _rp_to_fp(repetition_penalty: float) -> float:
    return round(min(2.0, max(-2.0, 2.0 * (repetition_penalty - 1.0))), 4)


def _fp_to_rp(frequency_penalty: float) -> float:
    return round(min(2.0, max(1.0, 1.0 + frequency_penalty / 2.0)), 4)


def from_watsonx(llm_params: Mapping[str, Any]) -> GenerationParams:
    """Read watsonx.ai ``llm_params`` (text-generation names).

    Raises:
        InvalidParamsError: For an unknown ``decoding_method`` or a value of the wrong type.
    """
    fields: dict[str, Any] = {}
    unknown: dict[str, Any] = {}
    for key, value in llm_params.items():
        if value is None or key == "decoding_method":
            continue
        if key in _WATSONX_RENAMES:
            fields[_WATSONX_RENAMES[key]] = value
        elif key == "time_limit":
            fields["timeout_seconds"] = _number(value, "llm_params.time_limit") / 1000.0
        else:
            unknown[key] = value
    method = llm_params.get("decoding_method")
    if method is not None and method not in ("greedy", "sample"):
        raise InvalidParamsError("llm_params.decoding_method: must be 'greedy' or 'sample'")
    if method == "greedy":
        for key in _SAMPLING_KEYS:
            fields.pop(key, None)
        fields["temperature"] = 0.0
    if isinstance(fields.get("stop"), str):
        fields["stop"] = [fields["stop"]]
    if unknown:
        fields["extra"] = {"watsonx": unknown}
    return _build(fields, source="llm_params")


def to_watsonx(params: GenerationParams) -> dict[str, Any]:
    """Write watsonx.ai ``llm_params`` (text-generation names); None values are left out."""
    out: dict[str, Any] = {}
    if params.temperature == 0:
        out["decoding_method"] = "greedy"
    elif any(getattr(params, key) is not None for key in _SAMPLING_KEYS):
        out["decoding_method"] = "sample"
        for key in _SAMPLING_KEYS:
            if (value := getattr(params, key)) is not None:
                out[key] = value
    renames = {
        "max_tokens": "max_new_tokens",
        "min_tokens": "min_new_tokens",
        "stop": "stop_sequences",
        "seed": "random_seed",
    }
    for ours, theirs in renames.items():
        if (value := getattr(params, ours)) is not None:
            out[theirs] = value
    if params.repetition_penalty is not None:
        out["repetition_penalty"] = params.repetition_penalty
    elif params.frequency_penalty is not None:
        out["repetition_penalty"] = _fp_to_rp(params.frequency_penalty)
    if params.timeout_seconds is not None:
        out["time_limit"] = max(1, math.ceil(params.timeout_seconds * 1000))
    extra = params.extra.get("watsonx")
    if isinstance(extra, Mapping):
        out.update({k: v for k, v in extra.items() if k not in out})
    return out


def from_openai(request_params: Mapping[str, Any]) -> GenerationParams:
    """Read OpenAI request parameters (a whole request body may be given: see module doc).

    ``max_completion_tokens`` is read as ``max_tokens``; a single ``stop`` string as a list.

    Raises:
        InvalidParamsError: For a value of the wrong type.
    """
    fields: dict[str, Any] = {}
    unknown: dict[str, Any] = {}
    names = set(GenerationParams.model_fields) - {"extra", "timeout_seconds"}
    for key, value in request_params.items():
        if value is None or key in OPENAI_REQUEST_KEYS:
            continue
        if key in names:
            fields[key] = value
        elif key == "max_completion_tokens":
            fields.setdefault("max_tokens", value)
        elif key == "timeout":
            fields["timeout_seconds"] = _number(value, "timeout")
        else:
            unknown[key] = value
    if isinstance(fields.get("stop"), str):
        fields["stop"] = [fields["stop"]]
    if unknown:
        fields["extra"] = {"openai": unknown}
    return _build(fields, source="parameters")


def to_openai(params: GenerationParams, *, strict: bool = False) -> dict[str, Any]:
    """Write OpenAI Chat Completions parameters; None values are left out.

    Args:
        params: What to send.
        strict: Official OpenAI only: drop ``top_k`` and ``min_tokens``, and send a
            ``repetition_penalty`` as its ``frequency_penalty`` approximation (unless a
            frequency penalty is set). Otherwise those three are kept under their names, as
            OpenAI-compatible servers (vLLM, llama.cpp) accept them.

    Returns:
        Parameters for the request body. ``timeout_seconds`` is not a body parameter and is
        left out; adapters apply it as the HTTP timeout.
    """
    out: dict[str, Any] = {}
    for key in OPENAI_STANDARD:
        if (value := getattr(params, key)) is not None:
            out[key] = value
    if strict:
        if params.repetition_penalty is not None and "frequency_penalty" not in out:
            out["frequency_penalty"] = _rp_to_fp(params.repetition_penalty)
    else:
        for key in OPENAI_EXTENSIONS:
            if (value := getattr(params, key)) is not None:
                out[key] = value
    extra = params.extra.get("openai")
    if isinstance(extra, Mapping):
        out.update({k: v for k, v in extra.items() if k not in out})
    return out


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidParamsError(f"{where}: must be a number")
    return float(value)
