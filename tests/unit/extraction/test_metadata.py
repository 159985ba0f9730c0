"""Language, title, keywords and entities, offline."""

from __future__ import annotations

import pytest

from wxo.extraction import entities
from wxo.extraction.service import extract

ENGLISH = (
    "Barack Obama met Angela Merkel in Berlin on 3 March 2021 to discuss climate policy. "
    "Obama said climate policy needs cooperation. Contact press@example.com for details. "
) * 3
FRENCH = (
    "Le gouvernement a présenté hier un nouveau projet de loi sur l'énergie renouvelable. "
    "Les députés examineront le texte la semaine prochaine à l'Assemblée nationale."
)


def test_language_is_detected_offline() -> None:
    assert extract(ENGLISH.encode(), filename="a.txt").language == "en"
    assert extract(FRENCH.encode(), filename="b.txt").language == "fr"


def test_keywords_are_ranked_phrases() -> None:
    result = extract(ENGLISH.encode(), filename="a.txt")
    texts = [k.text.lower() for k in result.keywords]
    assert "climate policy" in texts
    scores = [k.score for k in result.keywords]
    assert scores == sorted(scores, reverse=True)
    assert all(0 < s <= 1 for s in scores)


@pytest.mark.skipif(not entities.model_available(), reason="spaCy model not installed")
def test_entities_from_spacy_model() -> None:
    result = extract(ENGLISH.encode(), filename="a.txt")
    found = {(e.text, e.label): e.count for e in result.entities}
    assert found[("Angela Merkel", "PERSON")] == 3
    assert found[("Berlin", "GPE")] == 3
    assert found[("press@example.com", "EMAIL")] == 3
    assert not any("heuristic" in w for w in result.warnings)


def test_heuristic_entities_are_labelled_and_warned(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(entities, "model_available", lambda: False)
    result = extract(ENGLISH.encode(), filename="a.txt")
    found = {(e.text, e.label): e.count for e in result.entities}
    assert found[("Barack Obama", "PROPER_NOUN")] == 3
    assert found[("Angela Merkel", "PROPER_NOUN")] == 3
    assert found[("3 March 2021", "DATE")] == 3
    assert found[("press@example.com", "EMAIL")] == 3
    assert "Entities were found by a heuristic: no NER model is installed." in result.warnings


def test_title_falls_back_to_first_line() -> None:
    result = extract(b"just one line of text without a heading at all.", filename="t.txt")
    assert result.title == "just one line of text without a heading at all."


@pytest.mark.skipif(not entities.model_available(), reason="spaCy model not installed")
def test_ner_reads_only_the_opening_sample() -> None:
    filler = "The committee discussed the annual budget at length. " * 60
    early = "Angela Merkel opened the meeting. "
    late = " Barack Obama closed the meeting."
    text = early + filler + late
    assert len(early) < entities.NER_SAMPLE < len(early + filler)
    found = {e.text for e in entities.spacy_entities(text)}
    assert "Angela Merkel" in found
    assert "Barack Obama" not in found


def test_keywords_come_from_the_opening_sample() -> None:
    from wxo.extraction import metadata

    opening = "Quantum chromodynamics describes quarks. Quantum chromodynamics is hard. " * 50
    late = "Whales and dolphins. Whales swim. Whales sing. Whales eat krill. " * 40
    assert len(opening) > metadata.KEYWORD_SAMPLE
    texts = " ".join(k.text.lower() for k in metadata.extract_keywords(opening + late, "en"))
    assert "quantum chromodynamics" in texts
    assert "whales" not in texts


def test_lean_extraction_has_the_same_structure_without_keywords_or_entities() -> None:
    from wxo.extraction.service import extract_lean

    markdown = f"# Summit\n\n{ENGLISH}".encode()
    full = extract(markdown, filename="a.md")
    lean = extract_lean(markdown, filename="a.md")
    assert full.keywords
    assert full.entities
    assert (lean.keywords, lean.entities) == ([], [])
    assert lean.elements == full.elements
    assert (lean.text, lean.markdown, lean.title, lean.language) == (
        full.text,
        full.markdown,
        full.title,
        full.language,
    )


def test_annotate_gives_what_extract_adds_to_the_lean_extraction(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from wxo.extraction.service import annotate, extract_lean

    monkeypatch.setattr(entities, "model_available", lambda: False)  # with its warning
    markdown = f"# Summit\n\n{ENGLISH}".encode()
    full = extract(markdown, filename="a.md")
    lean = extract_lean(markdown, filename="a.md")

    found = annotate(lean.text, lean.language)

    assert found.keywords == full.keywords
    assert found.entities == full.entities
    assert [*lean.warnings, *found.warnings] == full.warnings
    assert found.warnings == ["Entities were found by a heuristic: no NER model is installed."]
    assert annotate("", "en") == ([], [], [])
