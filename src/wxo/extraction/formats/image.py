"""Images (PNG, JPEG, GIF, TIFF): the picture itself, and its text when OCR is installed."""

from __future__ import annotations

import io

from wxo.extraction import ocr
from wxo.extraction.base import ExtractionError
from wxo.extraction.builder import DocumentBuilder
from wxo.extraction.formats.text import add_plain_text


def extract_image(data: bytes, builder: DocumentBuilder, *, mime_type: str) -> None:
    """Keep the image; its text comes from tesseract, or the error says OCR is missing.

    Raises:
        ExtractionError: `corrupted` when the image cannot be decoded, `ocr_unavailable`
            when no OCR engine is installed.
    """
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as picture:
            width, height = picture.size
    except (UnidentifiedImageError, OSError) as exc:
        raise ExtractionError("corrupted", "The image cannot be decoded.") from exc
    text = ocr.ocr_image(data, what="The image")
    builder.image(data, mime_type, width=width, height=height)
    add_plain_text(text, builder)
