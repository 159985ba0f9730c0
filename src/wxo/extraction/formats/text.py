"""Plain text: decoding (UTF-8 first, else charset detection) and paragraph structure."""

from __future__ import annotations

import re

from wxo.extraction.base import ExtractionError
from wxo.extraction.builder import DocumentBuilder, clean

BULLET = re.compile(r"^\s*(?:[-*•◦▪‣]|\(?\d{1,3}[.)]|\(?[a-z][.)])\s+(\S.*)$")
WESTERN_SLACK = 0.15
_EMAIL = re.compile(r"^[\w.+-]+@[\w-]+(\.[\w-]+)+$")
_BLOCKS = re.compile(r"\n\s*\n")


def decode(data: bytes, builder: DocumentBuilder | None = None) -> str:
    """Decode text bytes: a BOM or valid UTF-8 wins, else charset-normalizer's best guess.

    Raises:
        ExtractionError: `corrupted` when no encoding fits.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    matches = from_bytes(data)
    best = matches.best()
    # Short Western text fits several single-byte code pages equally well; prefer the most
    # common one (Windows-1252, a superset of Latin-1) unless another fits clearly better.
    western = next((m for m in matches if "cp1252" in m.could_be_from_charset), None)
    if best is not None and western is not None and western.chaos <= best.chaos + WESTERN_SLACK:
        best = western
    if best is None:
        raise ExtractionError("corrupted", "The text's character encoding cannot be determined.")
    if builder is not None:
        builder.warnings.append(f"Text is not UTF-8; decoded as {best.encoding}.")
    return str(best)


def looks_like_title(block: str, *, has_next: bool) -> bool:
    """Unstructured-style guess: one short line without closing punctuation, followed by text."""
    words = block.split()
    return (
        has_next
        and "\n" not in block.strip()
        and 0 < len(words) <= 12
        and len(block) <= 120
        and block.rstrip()[-1] not in ".,;:!?"
        and any(ch.isalpha() for ch in block)
    )


def add_plain_text(text: str, builder: DocumentBuilder, *, page_number: int | None = None) -> None:
    """Split text into blocks at blank lines and classify each block."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n\n")
    blocks = [b for b in _BLOCKS.split(text) if b.strip()]
    for index, block in enumerate(blocks):
        lines = [line for line in block.split("\n") if line.strip()]
        if all(BULLET.match(line) for line in lines):
            for line in lines:
                if match := BULLET.match(line):
                    builder.list_item(match.group(1), page_number=page_number)
        elif len(lines) == 1 and _EMAIL.match(lines[0].strip()):
            builder.add("EmailAddress", lines[0].strip(), page_number=page_number)
        elif looks_like_title(block, has_next=index + 1 < len(blocks)):
            builder.heading(block, 1, page_number=page_number)
        else:
            builder.paragraph(clean(block), page_number=page_number)


def extract_text(data: bytes, builder: DocumentBuilder) -> None:
    """Plain text file."""
    add_plain_text(decode(data, builder), builder)


def extract_rtf(data: bytes, builder: DocumentBuilder) -> None:
    """RTF, reduced to its text by striprtf, then read as plain text."""
    from striprtf.striprtf import rtf_to_text

    add_plain_text(str(rtf_to_text(decode(data, builder), errors="ignore")), builder)  # type: ignore[no-untyped-call]
