"""A document's summary and the questions it answers, by the tenant's default chat model.

Only when the tenant has a default chat model (a registered model tagged `default`): without
one, both stay absent rather than invented (the extractive built-in model cannot summarise).
The call goes through the Model Proxy like any other, so retries, fallbacks, policies and usage
accounting apply.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from wxo.core.errors import AppError
from wxo.llm import service as llm
from wxo.llm.base import ChatMessage, ChatRequest, GenerationParams
from wxo.llm.exceptions import NoDefaultModelError

logger = logging.getLogger(__name__)

TEXT_SAMPLE = 12_000  # characters sent to the model (about 3,000 tokens)
MAX_QUESTIONS = 5
INSTRUCTIONS = (
    "You read one document and describe it. Answer with a JSON object only, no prose around "
    'it: {"summary": "<at most 3 sentences>", "questions": ["<a question the document '
    f'answers>", ...]}} with at most {MAX_QUESTIONS} questions. Use only the document.'
)
_FENCE = re.compile(r"^```(?:json)?\s*|\s*```$", re.MULTILINE)


@dataclass(frozen=True)
class Enrichment:
    """What the model said about the document, and which model said it."""

    summary: str | None
    questions: list[str]
    model: str


def parse_answer(content: str) -> tuple[str | None, list[str]]:
    """The summary and questions in a model's answer (JSON, or plain text as a fallback)."""
    text = _FENCE.sub("", content.strip())
    start, end = text.find("{"), text.rfind("}")
    if start != -1 and end > start:
        try:
            data = json.loads(text[start : end + 1])
        except json.JSONDecodeError:
            data = None
        if isinstance(data, dict):
            summary = data.get("summary")
            questions = data.get("questions") or []
            return (
                str(summary).strip() or None if summary else None,
                [str(q).strip() for q in questions if str(q).strip()][:MAX_QUESTIONS],
            )
    lines = [line.strip(" -*\t") for line in text.splitlines() if line.strip()]
    questions = [line for line in lines if line.endswith("?")][:MAX_QUESTIONS]
    prose = " ".join(line for line in lines if not line.endswith("?")).strip()
    return (prose or None), questions


async def enrich(
    session: AsyncSession,
    proxy: llm.ProxyContext,
    text: str,
) -> Enrichment | None:
    """Summary and questions of `text`; None without a default chat model or on a model error.

    A failing model never fails the document: the error is logged and the fields stay absent.
    """
    if not text.strip():
        return None
    try:
        route = await llm.resolve_route(session, proxy, None, "chat")
    except NoDefaultModelError:
        return None
    request = ChatRequest(
        messages=[
            ChatMessage(role="system", content=INSTRUCTIONS),
            ChatMessage(role="user", content=text[:TEXT_SAMPLE]),
        ],
        params=GenerationParams(temperature=0, max_tokens=400),
    )
    try:
        result = await llm.chat(proxy, route, request)
    except AppError as exc:
        logger.warning("no summary for tenant %s: %s", proxy.tenant_id, exc)
        return None
    summary, questions = parse_answer(result.content or "")
    return Enrichment(summary=summary, questions=questions, model=result.model or "")
