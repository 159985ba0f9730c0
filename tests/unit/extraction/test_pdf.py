"""PDF: text layer per page, headers/footers, images, errors; a real Debian manual."""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import pytest

from tests.unit.extraction.pdfs import make_pdf
from wxo.extraction import ocr
from wxo.extraction.base import ExtractionError
from wxo.extraction.service import extract

PAGES = [
    [
        "ACME Handbook",
        "Welcome",
        "This handbook explains how the company works and who does what.",
        "- Be kind",
        "- Ship often",
        "1",
    ],
    [
        "ACME Handbook",
        "Holidays",
        "Everyone takes at least twenty days of holiday every single year.",
        "2",
    ],
    [
        "ACME Handbook",
        "Expenses",
        "Keep every receipt and file it within thirty days of the purchase.",
        "3",
    ],
]


def test_pdf_pages_titles_lists_and_page_numbers() -> None:
    result = extract(make_pdf(PAGES, title="Handbook"), filename="handbook.pdf")
    assert result.content_type == "application/pdf"
    assert result.page_count == 3
    assert result.title == "Handbook"
    body = [
        (e.page_number, e.type, e.text)
        for e in result.elements
        if e.type not in {"Header", "Footer", "PageBreak"}
    ]
    assert body == [
        (1, "Title", "Welcome"),
        (1, "NarrativeText", PAGES[0][2]),
        (1, "ListItem", "Be kind"),
        (1, "ListItem", "Ship often"),
        (2, "Title", "Holidays"),
        (2, "NarrativeText", PAGES[1][2]),
        (3, "Title", "Expenses"),
        (3, "NarrativeText", PAGES[2][2]),
    ]
    breaks = [e.page_number for e in result.elements if e.type == "PageBreak"]
    assert breaks == [1, 2, 3]


def test_pdf_repeated_headers_and_page_numbers_leave_the_text() -> None:
    result = extract(make_pdf(PAGES), filename="handbook.pdf")
    headers = [(e.page_number, e.text) for e in result.elements if e.type == "Header"]
    footers = [(e.page_number, e.text) for e in result.elements if e.type == "Footer"]
    assert headers == [(1, "ACME Handbook"), (2, "ACME Handbook"), (3, "ACME Handbook")]
    assert footers == [(1, "1"), (2, "2"), (3, "3")]
    assert "ACME Handbook" not in result.text


def test_pdf_embedded_image_is_extracted_with_its_page() -> None:
    result = extract(make_pdf(PAGES, image_on={2}), filename="handbook.pdf")
    (image,) = result.images
    assert (image.page_number, image.width, image.height, image.mime_type) == (2, 2, 2, "image/png")
    from PIL import Image

    with Image.open(io.BytesIO(image.data)) as picture:
        assert picture.getpixel((0, 0)) == (255, 0, 0)
    (element,) = [e for e in result.elements if e.type == "Image"]
    assert element.page_number == 2
    assert element.metadata["image_id"] == image.id


def test_pdf_max_pages_limits_and_warns() -> None:
    result = extract(make_pdf(PAGES), filename="handbook.pdf", max_pages=1)
    assert {e.page_number for e in result.elements} == {1}
    assert result.page_count == 3
    assert "Only the first 1 of 3 pages were extracted." in result.warnings


def test_pdf_encrypted_is_refused() -> None:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf(PAGES))))
    writer.encrypt(user_password="secret", owner_password="owner", algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)
    with pytest.raises(ExtractionError) as caught:
        extract(out.getvalue(), filename="locked.pdf")
    assert caught.value.code == "encrypted"
    assert caught.value.message.startswith("PDF is encrypted")


def test_pdf_truncated_is_corrupted() -> None:
    data = make_pdf(PAGES)
    with pytest.raises(ExtractionError) as caught:
        extract(data[: len(data) // 3], filename="cut.pdf")
    assert caught.value.code == "corrupted"


def test_pdf_scanned_without_ocr_engine_is_ocr_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ocr, "tesseract_path", lambda: None)
    with pytest.raises(ExtractionError) as caught:
        extract(make_pdf([[], []], image_on={1, 2}), filename="scan.pdf")
    assert caught.value.code == "ocr_unavailable"
    assert "tesseract" in caught.value.message


def test_pdf_partly_scanned_without_ocr_warns(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ocr, "tesseract_path", lambda: None)
    result = extract(make_pdf([PAGES[1][1:3], []], image_on={2}), filename="mixed.pdf")
    assert "Pages 2 have no text layer; OCR is not installed." in result.warnings
    assert PAGES[1][2] in result.text


@pytest.mark.skipif(ocr.tesseract_path() is None, reason="tesseract is not installed")
def test_image_text_is_recognised_when_tesseract_is_installed() -> None:
    from PIL import Image, ImageDraw

    picture = Image.new("RGB", (600, 120), "white")
    ImageDraw.Draw(picture).text((20, 40), "HELLO OCR WORLD", fill="black", font_size=40)
    out = io.BytesIO()
    picture.save(out, format="PNG")
    result = extract(out.getvalue(), filename="scan.png")
    assert "HELLO" in result.text.upper()


def test_image_without_tesseract_is_ocr_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    from PIL import Image

    monkeypatch.setattr(ocr, "tesseract_path", lambda: None)
    out = io.BytesIO()
    Image.new("RGB", (10, 10), "white").save(out, format="PNG")
    with pytest.raises(ExtractionError) as caught:
        extract(out.getvalue(), filename="photo.png")
    assert caught.value.code == "ocr_unavailable"


DEBIAN_PDF = [
    Path("/usr/share/doc/shared-mime-info/shared-mime-info-spec.pdf"),
    Path("/usr/share/doc/libtasn1-doc/libtasn1.pdf"),
    Path("/usr/share/doc/bzip2/manual.pdf.gz"),
]


def test_real_debian_pdf_manual() -> None:
    path = next((p for p in DEBIAN_PDF if p.is_file()), None)
    if path is None:
        pytest.skip("no Debian PDF documentation installed under /usr/share/doc")
    data = path.read_bytes()
    if path.suffix == ".gz":
        data = gzip.decompress(data)
    result = extract(data, filename=path.name.removesuffix(".gz"), max_pages=5)
    assert result.content_type == "application/pdf"
    assert result.page_count is not None
    assert result.page_count >= 2
    pages = {e.page_number for e in result.elements}
    assert pages <= set(range(1, 6))
    assert len(pages) >= 2
    assert result.language == "en"
    assert len(result.text) > 500
