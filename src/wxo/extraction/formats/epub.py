"""EPUB books with EbookLib: spine documents in reading order through the HTML extractor."""

from __future__ import annotations

import io
from typing import Any

from wxo.extraction.builder import DocumentBuilder
from wxo.extraction.formats.html import add_html


def extract_epub(data: bytes, builder: DocumentBuilder) -> None:
    """Chapters in spine order (one HTML document each) and the book's images."""
    import ebooklib
    from ebooklib import epub

    book: Any = epub.read_epub(io.BytesIO(data), options={"ignore_ncx": True})
    titles = book.get_metadata("DC", "title")
    if titles and titles[0][0]:
        builder.title = str(titles[0][0]).strip()
    for item_id, _linear in book.spine:
        item = book.get_item_with_id(item_id)
        if item is not None and item.get_type() == ebooklib.ITEM_DOCUMENT:
            add_html(item.get_content().decode("utf-8", "replace"), builder)
    for image in book.get_items_of_type(ebooklib.ITEM_IMAGE):
        builder.image(image.get_content(), image.media_type, caption=None)
