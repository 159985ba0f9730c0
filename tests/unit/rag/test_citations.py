"""Citation spans and extractive answers (pure functions)."""

from __future__ import annotations

import uuid

import pytest

from wxo.query_engines.cron import check_cron
from wxo.rag.answer import Passage, extractive_answer
from wxo.rag.citations import best_span, sentence_spans, strip_markers, supports

MOON = "The moon pulls the oceans.  Tides rise twice a day!\n\nCats sleep."
SAIL = "Sailors time departures by the tides. Nothing else happens."


def _passage(text: str, title: str | None = None) -> Passage:
    return Passage(uuid.uuid4(), uuid.uuid4(), title, None, text, 1.0)


def test_sentence_spans_are_exact_trimmed_slices() -> None:
    spans = sentence_spans(MOON)
    assert [MOON[s.start : s.end] for s in spans] == [
        "The moon pulls the oceans.",
        "Tides rise twice a day!",
        "Cats sleep.",
    ]
    assert sentence_spans("  ") == []


def test_markers_cite_the_best_sentence_of_each_named_passage() -> None:
    found = supports("Tides rise daily [1]. Sailors watch them [2][9].", [MOON, SAIL])
    assert [
        (s.passage_index, [MOON, SAIL][s.passage_index][s.span.start : s.span.end]) for s in found
    ] == [
        (0, "Tides rise twice a day!"),
        (1, "Sailors time departures by the tides."),
    ]  # [9] names no passage: ignored


def test_without_markers_only_sentences_sharing_most_words_are_cited() -> None:
    found = supports("The moon pulls the oceans strongly. Bananas are yellow.", [MOON, SAIL])
    assert len(found) == 1
    assert MOON[found[0].span.start : found[0].span.end] == "The moon pulls the oceans."
    assert supports("Completely unrelated words here.", [MOON, SAIL]) == []


def test_best_span_prefers_overlap_then_the_first() -> None:
    span = best_span("cats sleeping", MOON)
    assert span is not None
    assert MOON[span.start : span.end] == "Cats sleep."


@pytest.mark.parametrize(("length", "count"), [("concise", 1), ("medium", 2)])
def test_extractive_answer_quotes_and_numbers_sentences(length: str, count: int) -> None:
    passages = [_passage(MOON, "Moon"), _passage(SAIL)]
    answer = extractive_answer("why do tides rise", passages, length=length, note="n")  # type: ignore[arg-type]
    assert answer.extractive is True
    assert answer.model_id == "local/extractive"
    assert len(answer.citations) == count
    for citation in answer.citations:
        passage = passages[citation.passage_index]
        assert passage.text[citation.range_start : citation.range_end] == citation.text
        assert f"{citation.text} [{citation.passage_index + 1}]" in answer.text
    assert answer.citations[0].text == "Tides rise twice a day!"
    assert answer.citations[0].title == "Moon"


def test_extractive_answer_without_shared_words_quotes_the_best_passage_and_says_so() -> None:
    answer = extractive_answer("zebra?", [_passage(SAIL)], note=None)
    assert answer.citations[0].text == "Sailors time departures by the tides."
    assert answer.note is not None
    assert "No sentence shares a word" in answer.note
    empty = extractive_answer("zebra?", [], note=None)
    assert empty.citations == []


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("0  3 * * MON-fri", "0 3 * * mon-fri"),
        ("*/15 0-6,22 1 jan,jul 0", None),
        ("@Daily", "@daily"),
    ],
)
def test_cron_accepts(expression: str, expected: str | None) -> None:
    assert check_cron(expression) == (expected or expression)


@pytest.mark.parametrize(
    ("expression", "words"),
    [
        ("* * * *", "5 fields"),
        ("60 * * * *", "minute"),
        ("0 24 * * *", "hour"),
        ("0 0 0 * *", "day of month"),
        ("0 0 * 13 *", "month"),
        ("0 0 * * 8", "day of week"),
        ("0 5-2 * * *", "backwards"),
        ("*/0 * * * *", "step"),
        ("0 0 * foo *", "month"),
        ("@sometimes", "5 fields"),
    ],
)
def test_cron_refuses(expression: str, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        check_cron(expression)


def test_strip_markers_keeps_punctuation_tidy() -> None:
    assert strip_markers("The moon pulls the oceans [1].") == "The moon pulls the oceans."
    assert strip_markers("A [1][2], b [3] c[4]d.") == "A, b c d."


def test_marker_variants_models_write_are_understood() -> None:
    found = supports("Tides rise daily [Source 1]. Sailors and tides [1, 2].", [MOON, SAIL])
    assert [(s.passage_index, s.span.start) for s in found] == [(0, 28), (1, 0)]
    assert strip_markers("Tides rise [source 2, 3].") == "Tides rise."
