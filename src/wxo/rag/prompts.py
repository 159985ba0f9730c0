"""Prompts for answers with numbered sources (CitationQueryEngine style)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from llama_index.core.base.llms.types import ChatMessage, MessageRole
from llama_index.core.prompts import ChatPromptTemplate

Length = Literal["concise", "medium", "verbose"]
LENGTH_HINTS: dict[str, str] = {
    "concise": "Answer in one or two sentences.",
    "medium": "Answer in a short paragraph.",
    "verbose": "Answer in detail, in several paragraphs if needed.",
}
INSTRUCTIONS = (
    "Answer the question using only the numbered sources below. After each sentence, cite the"
    " sources that support it by their numbers in square brackets, like [1] or [2][3]. If the"
    " sources do not contain the answer, say that you do not know."
)


def system_text(length: Length, system_prompt: str | None) -> str:
    """The system message: our instructions, the length hint, then the engine's own prompt."""
    parts = [INSTRUCTIONS, LENGTH_HINTS[length]]
    if system_prompt:
        parts.append(system_prompt)
    return "\n\n".join(parts)


def numbered(texts: Sequence[str], titles: Sequence[str | None]) -> list[str]:
    """Each passage's text under its 1-based source number (and title)."""
    return [
        f"[{i}]" + (f" {title}" if title else "") + f"\n{text}"
        for i, (text, title) in enumerate(zip(texts, titles, strict=True), start=1)
    ]


def templates(length: Length, system_prompt: str | None) -> dict[str, ChatPromptTemplate]:
    """The synthesizer's question, refine and summary templates."""
    system = ChatMessage(role=MessageRole.SYSTEM, content=system_text(length, system_prompt))
    qa = ChatPromptTemplate(
        [
            system,
            ChatMessage(
                role=MessageRole.USER,
                content="Sources:\n{context_str}\n\nQuestion: {query_str}\nAnswer:",
            ),
        ]
    )
    refine = ChatPromptTemplate(
        [
            system,
            ChatMessage(
                role=MessageRole.USER,
                content="Question: {query_str}\nAnswer so far: {existing_answer}\n\n"
                "More sources:\n{context_msg}\n\nImprove the answer with these sources if they"
                " help (keep its source numbers), or repeat it unchanged.\nAnswer:",
            ),
        ]
    )
    return {"text_qa_template": qa, "refine_template": refine, "summary_template": qa}
