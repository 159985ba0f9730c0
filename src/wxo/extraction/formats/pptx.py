"""PowerPoint (PPTX) with python-pptx: one page per slide; titles, bullets, tables, pictures."""

from __future__ import annotations

import io
from typing import Any

from wxo.extraction.builder import DocumentBuilder

_TITLE_PLACEHOLDERS = frozenset({"TITLE", "CENTER_TITLE", "SUBTITLE"})
_BODY_PLACEHOLDERS = frozenset({"BODY", "OBJECT"})


def _placeholder_kind(shape: Any) -> str | None:
    if not shape.is_placeholder:
        return None
    kind = shape.placeholder_format.type
    return str(getattr(kind, "name", kind))


def _shape(shape: Any, number: int, builder: DocumentBuilder) -> None:
    from pptx.enum.shapes import MSO_SHAPE_TYPE

    if shape.shape_type == MSO_SHAPE_TYPE.GROUP:
        for child in shape.shapes:
            _shape(child, number, builder)
        return
    if getattr(shape, "has_table", False) and shape.has_table:
        rows = [[cell.text for cell in row.cells] for row in shape.table.rows]
        builder.table(rows, header=True, page_number=number)
        return
    if shape.shape_type == MSO_SHAPE_TYPE.PICTURE:
        image = shape.image
        caption = shape.name if not shape.name.startswith("Picture") else None
        builder.image(image.blob, image.content_type, page_number=number, caption=caption)
        return
    if not shape.has_text_frame:
        return
    kind = _placeholder_kind(shape)
    if kind in _TITLE_PLACEHOLDERS:
        level = 2 if kind == "SUBTITLE" else 1
        builder.heading(shape.text_frame.text, level, page_number=number)
        return
    for paragraph in shape.text_frame.paragraphs:
        if kind in _BODY_PLACEHOLDERS or paragraph.level > 0:
            builder.list_item(paragraph.text, depth=paragraph.level, page_number=number)
        else:
            builder.paragraph(paragraph.text, page_number=number)


def extract_pptx(data: bytes, builder: DocumentBuilder) -> None:
    """Slides in order (shapes top to bottom, then left to right); speaker notes are kept."""
    from pptx import Presentation

    presentation = Presentation(io.BytesIO(data))
    core_title = presentation.core_properties.title
    if core_title and core_title.strip():
        builder.title = core_title.strip()
    slides = list(presentation.slides)
    builder.page_count = len(slides)
    for number, slide in enumerate(slides, start=1):
        shapes = sorted(slide.shapes, key=lambda s: (s.top or 0, s.left or 0))
        for shape in shapes:
            _shape(shape, number, builder)
        if slide.has_notes_slide and slide.notes_slide.notes_text_frame is not None:
            notes = slide.notes_slide.notes_text_frame.text
            builder.add(
                "NarrativeText", notes.strip(), page_number=number, metadata={"notes": True}
            )
        builder.page_break(number)
