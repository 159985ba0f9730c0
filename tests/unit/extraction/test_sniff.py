"""Content sniffing: the bytes decide, names and declared types only hint."""

from __future__ import annotations

import pytest

from wxo.extraction.base import ExtractionError
from wxo.extraction.service import extract
from wxo.extraction.sniff import sniff


@pytest.mark.parametrize("data", [b"", b"   \n\t  "])
def test_extract_empty_file_is_refused_as_empty(data: bytes) -> None:
    with pytest.raises(ExtractionError) as caught:
        extract(data, filename="empty.txt")
    assert caught.value.code == "empty"


def test_extract_html_named_pdf_is_extracted_as_html_with_warning() -> None:
    html = b"<html><body><h1>Really HTML</h1><p>Not a PDF at all.</p></body></html>"
    result = extract(html, filename="report.pdf", declared_type="application/pdf")
    assert result.content_type == "text/html"
    assert [e.type for e in result.elements] == ["Title", "NarrativeText"]
    assert any("report" not in w and "application/pdf" in w for w in result.warnings)


def test_sniff_text_family_follows_the_extension_without_warning() -> None:
    found = sniff(b"a,b\n1,2\n", filename="data.csv")
    assert found.content_type == "text/csv"
    assert found.warning is None


def test_sniff_generic_declared_type_is_ignored() -> None:
    found = sniff(b"%PDF-1.4 ...", declared_type="application/octet-stream")
    assert found == sniff(b"%PDF-1.4 ...")
    assert found.warning is None


def test_extract_unknown_binary_is_unsupported() -> None:
    with pytest.raises(ExtractionError) as caught:
        extract(bytes(range(256)) * 4, filename="blob.bin")
    assert caught.value.code == "unsupported_format"


def test_extract_legacy_office_binary_is_unsupported_with_advice() -> None:
    data = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512
    with pytest.raises(ExtractionError) as caught:
        extract(data, filename="old.doc")
    assert caught.value.code == "unsupported_format"
    assert ".docx" in caught.value.message


def test_extract_plain_zip_is_unsupported() -> None:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notes.txt", "hello")
    with pytest.raises(ExtractionError) as caught:
        extract(buffer.getvalue(), filename="notes.zip")
    assert caught.value.code == "unsupported_format"
