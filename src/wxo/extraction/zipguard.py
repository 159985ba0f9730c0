"""Bound ZIP-based formats (DOCX, PPTX, XLSX, EPUB, ODT) before any parser opens them."""

from __future__ import annotations

import io
import zipfile

from wxo.extraction.base import ExtractionError

MAX_MEMBERS = 10_000
MAX_TOTAL_UNCOMPRESSED = 512 * 1024 * 1024
# A member this large that compresses better than MAX_RATIO is a bomb, not a document.
RATIO_CHECK_FROM = 8 * 1024 * 1024
MAX_RATIO = 200


def check_zip(data: bytes) -> None:
    """Refuse archives whose declared sizes or member count would exhaust the worker.

    The sizes are the ones the archive declares; zipfile stops at the declared size and checks
    each member's CRC when a parser reads it, so a member cannot inflate past its declaration.

    Raises:
        ExtractionError: `zip_bomb` when a bound is exceeded, `corrupted` when the archive
            cannot be read.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, EOFError, ValueError) as exc:
        raise ExtractionError("corrupted", "The ZIP container of the document is damaged.") from exc
    if len(members) > MAX_MEMBERS:
        raise ExtractionError(
            "zip_bomb", f"The archive has {len(members)} members (at most {MAX_MEMBERS})."
        )
    total = 0
    for member in members:
        total += member.file_size
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size > RATIO_CHECK_FROM and ratio > MAX_RATIO:
            raise ExtractionError(
                "zip_bomb",
                f"Member {member.filename!r} expands {ratio:.0f} times "
                f"to {member.file_size} bytes; refused as a ZIP bomb.",
            )
    if total > MAX_TOTAL_UNCOMPRESSED:
        raise ExtractionError(
            "zip_bomb",
            f"The archive expands to {total} bytes (at most {MAX_TOTAL_UNCOMPRESSED}).",
        )
