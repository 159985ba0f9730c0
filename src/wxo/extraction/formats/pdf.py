"""PDF text layer and embedded images with pypdfium2; pages without text go to OCR."""

from __future__ import annotations

import io
import re
from collections import Counter
from typing import Any

from wxo.extraction import ocr
from wxo.extraction.base import ExtractionError
from wxo.extraction.builder import DocumentBuilder
from wxo.extraction.formats.text import BULLET, add_plain_text, looks_like_title

_DIGITS = re.compile(r"\d+")
_PAGE_NUMBER = re.compile(r"^(page\s+)?\d+(\s*(/|of)\s*\d+)?$", re.I)
FPDF_ERR_PASSWORD = 4


def _open(data: bytes) -> Any:
    import pypdfium2 as pdfium

    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if exc.err_code == FPDF_ERR_PASSWORD:
            raise ExtractionError("encrypted", "PDF is encrypted (it needs a password).") from exc
        raise ExtractionError("corrupted", "PDF cannot be read: the file is damaged.") from exc


def _png(pil_image: Any) -> bytes:
    out = io.BytesIO()
    pil_image.save(out, format="PNG")
    return out.getvalue()


def _page_images(page: Any, number: int, builder: DocumentBuilder) -> int:
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    count = 0
    for obj in page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_IMAGE,)):
        count += 1
        try:
            bitmap = obj.get_bitmap(render=False)
            pil = bitmap.to_pil()
        except (pdfium.PdfiumError, ValueError, OSError):
            builder.warnings.append(f"An image on page {number} could not be decoded.")
            continue
        builder.image(
            _png(pil), "image/png", page_number=number, width=pil.width, height=pil.height
        )
    return count


def _furniture(pages: list[list[str]]) -> tuple[set[str], set[str]]:
    """Lines repeated at the top (headers) or bottom (footers) of most pages, digits ignored."""
    if len(pages) < 3:
        return set(), set()
    tops = Counter(_DIGITS.sub("#", p[0]) for p in pages if p)
    bottoms = Counter(_DIGITS.sub("#", p[-1]) for p in pages if p)
    need = max(2, len(pages) // 2)
    return {k for k, v in tops.items() if v >= need}, {k for k, v in bottoms.items() if v >= need}


def _add_lines(lines: list[str], builder: DocumentBuilder, number: int) -> None:
    """Group a page's lines into titles, list items and paragraphs.

    The text layer has no paragraphs, only lines: a paragraph ends at a line that closes a
    sentence well short of the page's longest line; a short unpunctuated line that starts a
    block and is followed by more text is taken as a Title, as Unstructured does.
    """
    width = max((len(line) for line in lines), default=0)
    paragraph: list[str] = []

    def flush() -> None:
        if paragraph:
            builder.paragraph(" ".join(paragraph), page_number=number)
            paragraph.clear()

    for index, line in enumerate(lines):
        if match := BULLET.match(line):
            flush()
            builder.list_item(match.group(1), page_number=number)
            continue
        has_next = index + 1 < len(lines)
        if not paragraph and looks_like_title(line, has_next=has_next) and len(line) < 0.7 * width:
            builder.heading(line, 1, page_number=number)
            continue
        paragraph.append(line)
        if line[-1] in ".!?:" and len(line) < 0.8 * width:
            flush()
    flush()


def extract_pdf(data: bytes, builder: DocumentBuilder, *, max_pages: int | None = None) -> None:
    """One page at a time: text, repeated headers/footers, images, a PageBreak per page.

    Raises:
        ExtractionError: `encrypted`, `corrupted`, or `ocr_unavailable` when no page has a text
            layer, some have images, and no OCR engine is installed.
    """
    pdf = _open(data)
    try:
        total = len(pdf)
        builder.page_count = total
        title = pdf.get_metadata_dict(skip_empty=True).get("Title")
        if isinstance(title, str) and title.strip():
            builder.title = title.strip()
        wanted = total if max_pages is None else min(total, max_pages)
        if wanted < total:
            builder.warnings.append(f"Only the first {wanted} of {total} pages were extracted.")
        pages = [_page_lines(pdf, index) for index in range(wanted)]
        headers, footers = _furniture(pages)
        scanned: list[int] = []
        for index, lines in enumerate(pages):
            number = index + 1
            if lines and _DIGITS.sub("#", lines[0]) in headers:
                builder.add("Header", lines.pop(0), page_number=number)
            footer = None
            if lines and (_DIGITS.sub("#", lines[-1]) in footers or _PAGE_NUMBER.match(lines[-1])):
                footer = lines.pop()
            _add_lines(lines, builder, number)
            page = pdf[index]
            try:
                if _page_images(page, number, builder) and not lines and footer is None:
                    scanned.append(number)
                    _ocr_page(page, number, builder)
            finally:
                page.close()
            if footer:
                builder.add("Footer", footer, page_number=number)
            builder.page_break(number)
    finally:
        pdf.close()
    if scanned and ocr.tesseract_path() is None:
        if len(scanned) == wanted:
            raise ExtractionError(
                "ocr_unavailable",
                "PDF has no text layer (scanned pages) and needs OCR, but no OCR engine is "
                "installed (install Debian's tesseract-ocr package to enable it).",
            )
        pages_list = ", ".join(map(str, scanned))
        builder.warnings.append(f"Pages {pages_list} have no text layer; OCR is not installed.")


def _page_lines(pdf: Any, index: int) -> list[str]:
    page = pdf[index]
    try:
        text = str(page.get_textpage().get_text_range())
    finally:
        page.close()
    return [line.strip() for line in text.splitlines() if line.strip()]


def _ocr_page(page: Any, number: int, builder: DocumentBuilder) -> None:
    if ocr.tesseract_path() is None:
        return
    rendered = page.render(scale=300 / 72).to_pil()
    add_plain_text(
        ocr.ocr_image(_png(rendered), what=f"page {number}"), builder, page_number=number
    )
