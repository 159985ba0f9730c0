"""Document-level metadata computed offline: language, title and keywords."""

from __future__ import annotations

from wxo.extraction.base import Element, Keyword

LANGUAGE_SAMPLE = 10_000  # characters; enough for a stable guess, cheap on long documents
KEYWORD_SAMPLE = 20_000  # characters: YAKE costs ~15 ms per 1,000 words (bench/ingest.py)
MIN_LANGUAGE_CHARS = 20


def detect_language(text: str) -> str | None:
    """ISO 639-1 code from langdetect (profiles ship in the wheel), or None if unsure."""
    sample = text[:LANGUAGE_SAMPLE]
    if sum(ch.isalpha() for ch in sample) < MIN_LANGUAGE_CHARS:
        return None
    from langdetect import DetectorFactory, detect_langs
    from langdetect.lang_detect_exception import LangDetectException

    DetectorFactory.seed = 0  # langdetect is randomised; a fixed seed makes it repeatable
    try:
        best = detect_langs(sample)[0]
    except LangDetectException:
        return None
    if best.prob < 0.5:
        return None
    return str(best.lang).split("-")[0]


def choose_title(declared: str | None, elements: list[Element], text: str) -> str | None:
    """The document's own title, else its first Title element, else its first line."""
    if declared and declared.strip():
        return declared.strip()
    first = next((e for e in elements if e.type == "Title"), None)
    if first is not None:
        return first.text
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), None)
    return line[:200] if line else None


def extract_keywords(text: str, language: str | None, *, top: int = 10) -> list[Keyword]:
    """Key phrases (up to three words) by YAKE; YAKE's score (lower is better) becomes 1/(1+s)."""
    if not text.strip():
        return []
    import yake

    extractor = yake.KeywordExtractor(lan=language or "en", n=3, dedupLim=0.8, top=top)
    found = extractor.extract_keywords(text[:KEYWORD_SAMPLE])
    return [
        Keyword(text=str(phrase), score=round(1.0 / (1.0 + float(score)), 4))
        for phrase, score in found
    ]
