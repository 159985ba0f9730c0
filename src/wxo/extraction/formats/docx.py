"""Word documents (DOCX) with python-docx: body in order, headers and footers, inline images."""

from __future__ import annotations

import io
import re
from typing import TYPE_CHECKING

from wxo.extraction.builder import DocumentBuilder

if TYPE_CHECKING:
    from docx.document import Document
    from docx.text.paragraph import Paragraph

_HEADING = re.compile(r"^heading\s*(\d)$", re.I)
_BLIP = ".//a:blip/@r:embed"  # python-docx supplies the a: and r: namespaces


def _paragraph(paragraph: Paragraph, document: Document, builder: DocumentBuilder) -> None:
    style = (paragraph.style.name if paragraph.style is not None else None) or ""
    text = paragraph.text
    if heading := _HEADING.match(style):
        builder.heading(text, int(heading.group(1)))
    elif style == "Title":
        builder.heading(text, 1)
        if builder.title is None and text.strip():
            builder.title = text.strip()
    elif style.lower().startswith("list") or (
        paragraph._p.pPr is not None and (paragraph._p.pPr.numPr is not None)
    ):
        ordered = "number" in style.lower()
        builder.list_item(text, ordered=ordered)
    else:
        builder.paragraph(text)
    for rel_id in paragraph._p.xpath(_BLIP):
        part = document.part.related_parts.get(str(rel_id))
        if part is not None and part.content_type.startswith("image/"):
            builder.image(part.blob, part.content_type)


def extract_docx(data: bytes, builder: DocumentBuilder) -> None:
    """Paragraphs and tables in reading order; Title/Heading n styles give Title elements."""
    import docx
    from docx.table import Table

    document = docx.Document(io.BytesIO(data))
    core_title = document.core_properties.title
    if core_title and core_title.strip():
        builder.title = core_title.strip()
    seen: set[tuple[str, str]] = set()
    for section in document.sections:
        for kind, part in (("Header", section.header), ("Footer", section.footer)):
            if part.is_linked_to_previous:
                continue
            text = "\n".join(p.text for p in part.paragraphs if p.text.strip())
            if text and (kind, text) not in seen:
                seen.add((kind, text))
                builder.add(kind, text)
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            rows = [[cell.text for cell in row.cells] for row in block.rows]
            builder.table(rows)
        else:
            _paragraph(block, document, builder)
