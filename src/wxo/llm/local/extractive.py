"""`local/extractive`: answers only with sentences taken from the context it is given.

No generation happens: the responder ranks the context's sentences against the question with
BM25 and returns the best ones verbatim, each followed by its source, after a plain statement that
the answer is extractive. Useful offline, in tests, and as the floor every other model must beat.

Context is every message before the last user message (system prompts, earlier turns, tool
results). A passage can name its source with a first line such as ``[doc-1]``, ``Source: doc-1``
or ``<document id="doc-1">``; otherwise the source is the message's position (``message 2``).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

from wxo.llm.base import ChatChunk, ChatMessage, ChatRequest, ChatResult, Usage

MODEL_ID = "local/extractive"
PREFIX = "Extractive answer (sentences quoted from the provided context; no generative model):"
NO_CONTEXT = (
    "I am an extractive responder: I can only quote the context I am given, and no context was "
    "provided, so I cannot answer."
)
NO_MATCH = (
    "I am an extractive responder: none of the provided context matches the question, so I "
    "cannot answer from it."
)

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[]?[A-Z0-9])|\n{2,}")
_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)
_SOURCE_LINE = re.compile(
    r"^\s*(?:\[(?P<bracket>[^\]\n]{1,200})\]|source\s*:\s*(?P<label>[^\n]{1,200})|"
    r"<document[^>]*\bid=[\"'](?P<doc>[^\"']{1,200})[\"'][^>]*>)\s*",
    re.IGNORECASE,
)
_STOP_WORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "do",
        "does",
        "did",
        "for",
        "from",
        "has",
        "have",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "of",
        "on",
        "or",
        "that",
        "the",
        "their",
        "there",
        "these",
        "this",
        "to",
        "was",
        "were",
        "what",
        "when",
        "where",
        "which",
        "who",
        "why",
        "will",
        "with",
        "you",
        "your",
        "can",
        "could",
        "should",
        "would",
        "about",
        "than",
        "then",
        "them",
        "they",
        "we",
        "our",
        "not",
        "no",
    ]
)


@dataclass(frozen=True)
class Passage:
    """A piece of context and where it came from."""

    source: str
    text: str


@dataclass(frozen=True)
class Sentence:
    """A sentence of a passage, with its position for stable ordering."""

    source: str
    text: str
    order: int


def tokens(text: str) -> list[str]:
    """Lower-cased word tokens without stop words."""
    return [t for t in (m.group().lower() for m in _TOKEN.finditer(text)) if t not in _STOP_WORDS]


def split_passages(messages: Sequence[ChatMessage]) -> list[Passage]:
    """The context passages: each message's text, split where a new source label starts."""
    passages: list[Passage] = []
    for position, message in enumerate(messages, start=1):
        if not message.content:
            continue
        default = f"message {position}"
        current_source = default
        lines: list[str] = []
        for line in message.content.splitlines():
            match = _SOURCE_LINE.match(line)
            if match:
                if lines:
                    passages.append(Passage(current_source, "\n".join(lines)))
                current_source = (
                    match.group("bracket") or match.group("label") or match.group("doc") or default
                ).strip()
                rest = line[match.end() :].strip()
                lines = [rest] if rest else []
            else:
                lines.append(line)
        if any(line.strip() for line in lines):
            passages.append(Passage(current_source, "\n".join(lines)))
    return passages


def split_sentences(passages: Sequence[Passage]) -> list[Sentence]:
    """Every non-trivial sentence of the passages, in reading order."""
    sentences: list[Sentence] = []
    for passage in passages:
        for piece in _SENTENCE_END.split(passage.text):
            text = " ".join(piece.split())
            if len(text) >= 3 and not text.startswith("</document"):
                sentences.append(Sentence(passage.source, text, len(sentences)))
    return sentences


def rank(
    question: str, sentences: Sequence[Sentence], *, k1: float = 1.2, b: float = 0.75
) -> list[tuple[float, Sentence]]:
    """BM25 score of every sentence for the question's terms, best first (ties: reading order)."""
    query = set(tokens(question))
    docs = [tokens(s.text) for s in sentences]
    if not query or not docs:
        return []
    n = len(docs)
    avg_len = sum(len(d) for d in docs) / n or 1.0
    df = Counter(term for d in docs for term in set(d))
    scored = []
    for sentence, doc in zip(sentences, docs, strict=True):
        tf = Counter(doc)
        score = 0.0
        for term in query & tf.keys():
            idf = math.log(1 + (n - df[term] + 0.5) / (df[term] + 0.5))
            score += idf * tf[term] * (k1 + 1) / (tf[term] + k1 * (1 - b + b * len(doc) / avg_len))
        if score > 0:
            scored.append((score, sentence))
    scored.sort(key=lambda item: (-item[0], item[1].order))
    return scored


def answer(request: ChatRequest, *, max_sentences: int = 3) -> str:
    """The extractive answer text for a chat request."""
    messages = request.messages
    last_user = max((i for i, m in enumerate(messages) if m.role == "user"), default=None)
    if last_user is None:
        return NO_CONTEXT
    question = messages[last_user].content or ""
    context = [m for i, m in enumerate(messages) if i != last_user]
    sentences = split_sentences(split_passages(context))
    if not sentences:
        return NO_CONTEXT
    best = rank(question, sentences)[:max_sentences]
    if not best:
        return NO_MATCH
    chosen = sorted((s for _, s in best), key=lambda s: s.order)
    return PREFIX + "\n" + "\n".join(f"- {s.text} [{s.source}]" for s in chosen)


def _count(request: ChatRequest) -> int:
    return sum(len((m.content or "").split()) for m in request.messages)


class ExtractiveChatModel:
    """`ChatModel` that quotes the best context sentences; it never calls tools."""

    model_id = MODEL_ID

    async def complete(self, request: ChatRequest) -> ChatResult:
        """The whole extractive answer."""
        text = answer(request)
        return ChatResult(
            content=text,
            finish_reason="stop",
            usage=Usage(prompt_tokens=_count(request), completion_tokens=len(text.split())),
            model=MODEL_ID,
            metadata={"extractive": True},
        )

    async def stream(self, request: ChatRequest) -> AsyncIterator[ChatChunk]:
        """The same answer, a word at a time."""
        text = answer(request)
        words = re.findall(r"\S+\s*", text)
        for word in words:
            yield ChatChunk(content=word)
        yield ChatChunk(
            finish_reason="stop",
            usage=Usage(prompt_tokens=_count(request), completion_tokens=len(words)),
        )
