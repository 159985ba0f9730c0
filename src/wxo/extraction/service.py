"""`extract()`: bytes in, `Extraction` out; the one entry point of the extraction library.

`extract_lean` gives the structure alone (elements, text, Markdown, images, language, title) and
`annotate` the costly part, keywords and named entities, from the text: the document pipeline
runs them apart, so a document is searchable before it is annotated.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from functools import partial

from wxo.extraction import sniff as sniffing
from wxo.extraction.base import Annotation, Extraction, ExtractionError
from wxo.extraction.builder import DocumentBuilder, Draft
from wxo.extraction.entities import extract_entities
from wxo.extraction.formats.docx import extract_docx
from wxo.extraction.formats.email import extract_eml
from wxo.extraction.formats.epub import extract_epub
from wxo.extraction.formats.html import extract_html
from wxo.extraction.formats.image import extract_image
from wxo.extraction.formats.markdown import extract_markdown
from wxo.extraction.formats.odt import extract_odt
from wxo.extraction.formats.pdf import extract_pdf
from wxo.extraction.formats.pptx import extract_pptx
from wxo.extraction.formats.structured import extract_json, extract_xml
from wxo.extraction.formats.tabular import extract_csv, extract_xlsx
from wxo.extraction.formats.text import extract_rtf, extract_text
from wxo.extraction.metadata import choose_title, detect_language, extract_keywords
from wxo.extraction.zipguard import check_zip

Extractor = Callable[[bytes, DocumentBuilder], None]

_EXTRACTORS: dict[str, Extractor] = {
    sniffing.TEXT: extract_text,
    sniffing.MARKDOWN: extract_markdown,
    sniffing.HTML: extract_html,
    sniffing.DOCX: extract_docx,
    sniffing.PPTX: extract_pptx,
    sniffing.XLSX: extract_xlsx,
    sniffing.CSV: extract_csv,
    sniffing.TSV: partial(extract_csv, delimiter="\t"),
    sniffing.EML: extract_eml,
    sniffing.JSON: extract_json,
    sniffing.XML: extract_xml,
    sniffing.EPUB: extract_epub,
    sniffing.ODT: extract_odt,
    sniffing.RTF: extract_rtf,
}
_ZIPPED = frozenset({sniffing.DOCX, sniffing.PPTX, sniffing.XLSX, sniffing.EPUB, sniffing.ODT})
# What the format libraries raise on damaged input (python-docx: KeyError for a missing part;
# openpyxl and lxml: ValueError subclasses); our own bugs are not hidden behind these.
DAMAGED_INPUT = (zipfile.BadZipFile, KeyError, ValueError, UnicodeDecodeError, EOFError)


def supported_types() -> list[str]:
    """Content types `extract` reads (images need OCR installed to give text)."""
    return sorted(
        [*_EXTRACTORS, sniffing.PDF, "image/png", "image/jpeg", "image/gif", "image/tiff"]
    )


def _run(content_type: str, data: bytes, builder: DocumentBuilder, max_pages: int | None) -> None:
    if content_type == sniffing.PDF:
        extract_pdf(data, builder, max_pages=max_pages)
    elif content_type.startswith("image/"):
        extract_image(data, builder, mime_type=content_type)
    elif extractor := _EXTRACTORS.get(content_type):
        if content_type in _ZIPPED:
            check_zip(data)
        extractor(data, builder)
    else:
        raise ExtractionError("unsupported_format", f"{content_type} files are not supported.")


def extract(
    data: bytes,
    *,
    filename: str | None = None,
    declared_type: str | None = None,
    max_pages: int | None = None,
) -> Extraction:
    """Extract elements, clean text, Markdown, images and metadata from one file's bytes.

    Args:
        data: the whole file.
        filename: the uploaded name; its extension is a hint, never trusted over the bytes.
        declared_type: the client's Content-Type; a hint as well.
        max_pages: read at most this many pages of a paged format (PDF).

    Returns:
        The extraction; `warnings` says what was skipped or guessed.

    Raises:
        ExtractionError: `unsupported_format`, `encrypted`, `corrupted`, `empty`, `zip_bomb`
            or `ocr_unavailable`, with a message a user can act on.
    """
    return _extract(data, filename, declared_type, max_pages, nlp=True)


def extract_lean(
    data: bytes,
    *,
    filename: str | None = None,
    declared_type: str | None = None,
    max_pages: int | None = None,
) -> Extraction:
    """`extract` without keywords and named entities: the document pipeline's default extractor.

    Elements, text, Markdown, images, language and title are the same as `extract`'s; `keywords`
    and `entities` are empty. NER and YAKE are most of the fixed cost of a short document (about
    40 of 50 ms for a 1.5 KB abstract here; docs/benchmarks.md, "Ingestion"), so the pipeline
    makes the document searchable first and `annotate` adds them later, at low priority.
    """
    return _extract(data, filename, declared_type, max_pages, nlp=False)


def _extract(
    data: bytes,
    filename: str | None,
    declared_type: str | None,
    max_pages: int | None,
    *,
    nlp: bool,
) -> Extraction:
    found = sniffing.sniff(data, filename=filename, declared_type=declared_type)
    builder = DocumentBuilder()
    if found.warning:
        builder.warnings.append(found.warning)
    try:
        _run(found.content_type, data, builder, max_pages)
    except ExtractionError:
        raise
    except DAMAGED_INPUT as exc:
        raise ExtractionError(
            "corrupted", f"The {found.content_type} file is damaged and cannot be read."
        ) from exc
    return finish(found.content_type, builder.build(), nlp=nlp)


def finish(content_type: str, draft: Draft, *, nlp: bool = True) -> Extraction:
    """Document-level metadata on top of a format reader's draft (shared by every backend).

    `nlp=False` leaves keywords and entities out (`extract_lean`).

    Raises:
        ExtractionError: `empty` when there is neither text nor an image.
    """
    if not draft.text.strip() and not draft.images:
        raise ExtractionError("empty", "The document contains no text.")
    language = detect_language(draft.text)
    found = annotate(draft.text, language) if nlp else Annotation([], [], [])
    return Extraction(
        content_type=content_type,
        elements=draft.elements,
        text=draft.text,
        markdown=draft.markdown,
        images=draft.images,
        page_count=draft.page_count,
        title=choose_title(draft.title, draft.elements, draft.text),
        language=language,
        keywords=found.keywords,
        entities=found.entities,
        warnings=[*draft.warnings, *found.warnings],
    )


def annotate(text: str, language: str | None) -> Annotation:
    """Keywords (YAKE) and named entities (spaCy, or a labelled heuristic) of a document's text.

    CPU-bound (about 50 ms for a short document): callers on an event loop run it in a thread.

    Args:
        text: the clean text; only its opening is read (`KEYWORD_SAMPLE`, `NER_SAMPLE`).
        language: ISO 639-1 code from `detect_language`, or None (read as English).

    Returns:
        The keywords, the entities and a warning when the entity heuristic stood in for NER.
    """
    entities, warning = extract_entities(text, language)
    return Annotation(extract_keywords(text, language), entities, [warning] if warning else [])
