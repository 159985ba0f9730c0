"""Sentence spans of passages, and citations: which passage span supports which answer sentence.

A citation's `text` is always an exact slice of the cited chunk's text: `chunk.text[range_start:
range_end]`. Spans are sentences of the chunk (split on `.`, `!`, `?` followed by space, or on
line breaks), trimmed of surrounding white space.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from wxo.llm.local.extractive import tokens

_BOUNDARY = re.compile(r"(?<=[.!?])\s+|\n+")
#: `[1]`, `[1, 2]`, `[Source 1]` (what models write when asked for `[n]`).
_MARKER = re.compile(r"\[(?:sources?\s*)?(\d{1,3}(?:\s*,\s*\d{1,3})*)\]", re.IGNORECASE)
_MARKER_BEFORE_END = re.compile(
    r"\s*\[(?:sources?\s*)?\d{1,3}(?:\s*,\s*\d{1,3})*\](?=[\s.,;:!?[]|$)", re.IGNORECASE
)
#: Without source markers, an answer sentence cites a passage sentence sharing at least this
#: share of its content words (and at least two of them).
MIN_OVERLAP = 0.5


@dataclass(frozen=True)
class Span:
    """A sentence of a text: `text[start:end]`."""

    start: int
    end: int


@dataclass(frozen=True)
class Support:
    """An answer sentence's support: passage `passage_index` (0-based), `span` of its text."""

    passage_index: int
    span: Span


def sentence_spans(text: str) -> list[Span]:
    """The sentences of `text` as character spans (white space around them excluded)."""
    spans: list[Span] = []
    start = 0
    for match in [*_BOUNDARY.finditer(text), None]:
        end = match.start() if match else len(text)
        piece = text[start:end]
        stripped = piece.strip()
        if len(stripped) >= 3:
            left = start + (len(piece) - len(piece.lstrip()))
            spans.append(Span(left, left + len(stripped)))
        if match:
            start = match.end()
    return spans


def _overlap(claim: set[str], sentence: str) -> float:
    if not claim:
        return 0.0
    return len(claim & set(tokens(sentence))) / len(claim)


def best_span(claim: str, text: str) -> Span | None:
    """The sentence of `text` sharing most content words with `claim` (the first on ties)."""
    spans = sentence_spans(text)
    if not spans:
        return None
    words = set(tokens(claim))
    return max(spans, key=lambda s: (_overlap(words, text[s.start : s.end]), -s.start))


def strip_markers(sentence: str) -> str:
    """A sentence without its `[n]` source markers."""
    return " ".join(_MARKER.sub(" ", _MARKER_BEFORE_END.sub("", sentence)).split())


def supports(answer: str, passages: Sequence[str]) -> list[Support]:
    """Which passage spans support the answer's sentences, in answer order, without repeats.

    When the answer cites sources with `[n]` markers (1-based, as numbered in the prompt), each
    marked sentence cites the best-matching sentence of each passage it names. When it has no
    valid marker at all (small models often ignore the instruction), each answer sentence cites
    the passage sentence with the largest word overlap, if at least `MIN_OVERLAP` of its content
    words (and two or more) appear there.
    """
    found: list[Support] = []
    seen: set[tuple[int, int, int]] = set()

    def add(index: int, span: Span | None) -> None:
        if span is not None and (index, span.start, span.end) not in seen:
            seen.add((index, span.start, span.end))
            found.append(Support(index, span))

    sentences = [answer[s.start : s.end] for s in sentence_spans(answer)]
    marked = False
    for sentence in sentences:
        claim = strip_markers(sentence)
        numbers = [n for group in _MARKER.findall(sentence) for n in group.split(",")]
        for number in numbers:
            index = int(number) - 1
            if 0 <= index < len(passages):
                marked = True
                add(index, best_span(claim or sentence, passages[index]))
    if marked:
        return found
    for sentence in sentences:
        words = set(tokens(strip_markers(sentence)))
        if len(words) < 2:
            continue
        best: tuple[float, int, Span] | None = None
        for index, text in enumerate(passages):
            for span in sentence_spans(text):
                score = _overlap(words, text[span.start : span.end])
                if best is None or score > best[0]:
                    best = (score, index, span)
        if best is not None and best[0] >= MIN_OVERLAP:
            add(best[1], best[2])
    return found
