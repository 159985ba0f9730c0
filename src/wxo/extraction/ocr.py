"""OCR through Debian's `tesseract` binary, when it is installed."""

from __future__ import annotations

import shutil
import subprocess

from wxo.extraction.base import ExtractionError

OCR_TIMEOUT_SECONDS = 120


def tesseract_path() -> str | None:
    """The `tesseract` executable on PATH, or None."""
    return shutil.which("tesseract")


def ocr_image(image: bytes, *, what: str) -> str:
    """Recognise the text of one image (any format tesseract reads, e.g. PNG).

    Raises:
        ExtractionError: `ocr_unavailable` when tesseract is missing or fails.
    """
    binary = tesseract_path()
    if binary is None:
        raise ExtractionError(
            "ocr_unavailable",
            f"{what} has no text layer and needs OCR, but no OCR engine is installed "
            "(install Debian's tesseract-ocr package to enable it).",
        )
    try:
        done = subprocess.run(  # noqa: S603 - fixed executable, no shell, bytes on stdin
            [binary, "stdin", "stdout"],
            input=image,
            capture_output=True,
            timeout=OCR_TIMEOUT_SECONDS,
            check=True,
        )
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
        raise ExtractionError("ocr_unavailable", f"OCR of {what} failed.") from exc
    return done.stdout.decode("utf-8", "replace")
