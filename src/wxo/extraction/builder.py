"""Assemble ordered elements, images, clean text and Markdown for one document.

Every format module feeds a `DocumentBuilder`; it gives each element a stable id (a hash of its
position, type and text, so the same bytes give the same ids), a `parent_id` (the nearest
preceding Title of a higher rank) and renders the plain text and Markdown once at the end.
"""

from __future__ import annotations

import hashlib
import html
from dataclasses import dataclass, field
from typing import Any

from wxo.extraction.base import Element, ExtractedImage

# Elements that are kept as elements but left out of the clean text and Markdown.
_NOT_IN_TEXT = frozenset({"Header", "Footer", "PageBreak"})


def clean(text: str) -> str:
    """Collapse runs of whitespace to single spaces and strip the ends."""
    return " ".join(text.split())


def table_html(rows: list[list[str]], *, header: bool = False) -> str:
    """Render rows of cell texts as a small, escaped HTML table."""
    out = ["<table>"]
    for index, row in enumerate(rows):
        tag = "th" if header and index == 0 else "td"
        cells = "".join(f"<{tag}>{html.escape(cell)}</{tag}>" for cell in row)
        out.append(f"<tr>{cells}</tr>")
    out.append("</table>")
    return "".join(out)


def _table_markdown(rows: list[list[str]]) -> str:
    width = max(len(row) for row in rows)
    padded = [[c.replace("|", "\\|") for c in row] + [""] * (width - len(row)) for row in rows]
    lines = ["| " + " | ".join(padded[0]) + " |", "|" + " --- |" * width]
    lines += ["| " + " | ".join(row) + " |" for row in padded[1:]]
    return "\n".join(lines)


@dataclass
class Draft:
    """What a format module produced, before the document-level metadata is computed."""

    elements: list[Element]
    images: list[ExtractedImage]
    text: str
    markdown: str
    page_count: int | None = None
    title: str | None = None  # the document's own title (HTML <title>, DOCX core properties...)
    warnings: list[str] = field(default_factory=list)


class DocumentBuilder:
    """Collects elements in reading order; one instance per document."""

    def __init__(self) -> None:
        """Start an empty document."""
        self.elements: list[Element] = []
        self.images: list[ExtractedImage] = []
        self.warnings: list[str] = []
        self.title: str | None = None
        self.page_count: int | None = None
        self._markdown: list[str] = []
        self._headings: list[tuple[int, str]] = []  # (level, element id), outermost first
        self._image_ids: set[str] = set()

    def add(
        self,
        type_: str,
        text: str,
        *,
        page_number: int | None = None,
        html: str | None = None,
        metadata: dict[str, Any] | None = None,
        markdown: str | None = None,
    ) -> Element | None:
        """Append one element; empty text is dropped except for PageBreak and Image."""
        if not text.strip() and type_ not in {"PageBreak", "Image"}:
            return None
        order = len(self.elements)
        digest = hashlib.sha1(f"{order}\x1f{type_}\x1f{text}".encode(), usedforsecurity=False)
        element_id = digest.hexdigest()[:16]
        meta = dict(metadata or {})
        if type_ == "Title":
            level = int(meta.setdefault("level", 1))
            while self._headings and self._headings[-1][0] >= level:
                self._headings.pop()
        parent = self._headings[-1][1] if self._headings else None
        if type_ == "Title":
            self._headings.append((int(meta["level"]), element_id))
        element = Element(
            id=element_id,
            type=type_,
            text=text,
            order=order,
            page_number=page_number,
            parent_id=parent,
            html=html,
            metadata=meta,
        )
        self.elements.append(element)
        self._markdown.append(text if markdown is None else markdown)
        return element

    def heading(self, text: str, level: int = 1, *, page_number: int | None = None) -> None:
        """A Title element (`metadata.level` 1 to 6)."""
        text, level = clean(text), max(1, min(level, 6))
        self.add(
            "Title",
            text,
            page_number=page_number,
            metadata={"level": level},
            markdown=f"{'#' * level} {text}",
        )

    def paragraph(self, text: str, *, page_number: int | None = None) -> None:
        """A NarrativeText element."""
        self.add("NarrativeText", clean(text), page_number=page_number)

    def list_item(
        self, text: str, *, depth: int = 0, ordered: bool = False, page_number: int | None = None
    ) -> None:
        """A ListItem element; `depth` is the nesting level, 0 for a top-level item."""
        text = clean(text)
        bullet = "1." if ordered else "-"
        self.add(
            "ListItem",
            text,
            page_number=page_number,
            metadata={"depth": depth} if depth else None,
            markdown=f"{'  ' * depth}{bullet} {text}",
        )

    def table(
        self, rows: list[list[str]], *, header: bool = False, page_number: int | None = None
    ) -> None:
        """A Table element with `html`; empty rows and trailing empty cells are dropped."""
        cleaned: list[list[str]] = []
        for row in rows:
            cells = [clean(cell) for cell in row]
            while cells and not cells[-1]:
                cells.pop()
            if cells:
                cleaned.append(cells)
        if not cleaned:
            return
        self.add(
            "Table",
            "\n".join(" | ".join(row) for row in cleaned),
            page_number=page_number,
            html=table_html(cleaned, header=header),
            metadata={"rows": len(cleaned), "columns": max(len(r) for r in cleaned)},
            markdown=_table_markdown(cleaned),
        )

    def code(
        self, text: str, *, language: str | None = None, page_number: int | None = None
    ) -> None:
        """A CodeSnippet element; whitespace inside the code is kept."""
        text = text.strip("\n")
        self.add(
            "CodeSnippet",
            text,
            page_number=page_number,
            metadata={"language": language} if language else None,
            markdown=f"```{language or ''}\n{text}\n```",
        )

    def image(
        self,
        data: bytes,
        mime_type: str,
        *,
        page_number: int | None = None,
        width: int | None = None,
        height: int | None = None,
        caption: str | None = None,
    ) -> None:
        """An ExtractedImage and an Image element pointing at it (`metadata.image_id`)."""
        image_id = hashlib.sha1(data, usedforsecurity=False).hexdigest()[:16]
        caption = clean(caption) if caption else None
        if image_id not in self._image_ids:
            self._image_ids.add(image_id)
            self.images.append(
                ExtractedImage(
                    id=image_id,
                    mime_type=mime_type,
                    data=data,
                    page_number=page_number,
                    width=width,
                    height=height,
                    caption=caption,
                )
            )
        self.add(
            "Image",
            caption or "",
            page_number=page_number,
            metadata={"image_id": image_id, "mime_type": mime_type},
            markdown=f"![{caption or ''}](image:{image_id})",
        )

    def page_break(self, page_number: int) -> None:
        """A PageBreak element ending page `page_number`."""
        self.add("PageBreak", "", page_number=page_number)

    def build(self) -> Draft:
        """Render the clean text and Markdown and hand everything over."""
        text_parts: list[str] = []
        md_parts: list[str] = []
        previous = ""
        for element, markdown in zip(self.elements, self._markdown, strict=True):
            if element.type in _NOT_IN_TEXT:
                continue
            tight = element.type == "ListItem" and previous == "ListItem"
            sep = "\n" if tight else "\n\n"
            if element.type != "Image":
                text_parts.append((sep if text_parts else "") + element.text)
            md_parts.append((sep if md_parts else "") + markdown)
            previous = element.type
        return Draft(
            elements=self.elements,
            images=self.images,
            text="".join(text_parts).strip(),
            markdown="".join(md_parts).strip(),
            page_count=self.page_count,
            title=self.title,
            warnings=self.warnings,
        )
