"""OpenDocument text (ODT): content.xml read with lxml (headings, paragraphs, lists, tables)."""

from __future__ import annotations

import io
import zipfile
from typing import Any

from wxo.extraction.base import ExtractionError
from wxo.extraction.builder import DocumentBuilder

_TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
_DC = "http://purl.org/dc/elements/1.1/"


def _text(element: Any) -> str:
    from lxml import etree

    return str(etree.tostring(element, method="text", encoding="unicode"))


def _list(element: Any, builder: DocumentBuilder, depth: int) -> None:
    for item in element.iterchildren(f"{{{_TEXT}}}list-item"):
        for part in item:
            if part.tag == f"{{{_TEXT}}}list":
                _list(part, builder, depth + 1)
            else:
                builder.list_item(_text(part), depth=depth)


def _walk(parent: Any, builder: DocumentBuilder, depth: int) -> None:
    for child in parent:
        tag = child.tag
        if tag == f"{{{_TEXT}}}h":
            level = int(child.get(f"{{{_TEXT}}}outline-level", "1"))
            builder.heading(_text(child), level)
        elif tag == f"{{{_TEXT}}}p":
            builder.paragraph(_text(child))
        elif tag == f"{{{_TEXT}}}list":
            _list(child, builder, depth)
        elif tag == f"{{{_TABLE}}}table":
            rows = [
                [_text(cell) for cell in row.iterchildren(f"{{{_TABLE}}}table-cell")]
                for row in child.iter(f"{{{_TABLE}}}table-row")
            ]
            builder.table(rows)
        elif tag == f"{{{_TEXT}}}section":
            _walk(child, builder, depth)


def extract_odt(data: bytes, builder: DocumentBuilder) -> None:
    """The document body in order, and the title from meta.xml."""
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            content = etree.fromstring(archive.read("content.xml"), parser=parser)
            names = set(archive.namelist())
            meta = (
                etree.fromstring(archive.read("meta.xml"), parser) if "meta.xml" in names else None
            )
    except (KeyError, etree.XMLSyntaxError, zipfile.BadZipFile) as exc:
        raise ExtractionError("corrupted", "The OpenDocument file is damaged.") from exc
    if meta is not None:
        title = meta.find(f".//{{{_DC}}}title")
        if title is not None and title.text and title.text.strip():
            builder.title = title.text.strip()
    body = content.find(f".//{{{_OFFICE}}}text")
    if body is not None:
        _walk(body, builder, 0)
