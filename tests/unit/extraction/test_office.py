"""DOCX, PPTX, XLSX, EPUB and ODT built in the tests; ZIP bombs and damaged archives."""

from __future__ import annotations

import io
import zipfile

import pytest

from wxo.extraction.base import ExtractionError
from wxo.extraction.service import extract


def _png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (4, 3), "blue").save(out, format="PNG")
    return out.getvalue()


def _docx() -> bytes:
    import docx

    document = docx.Document()
    document.core_properties.title = "Policy"
    document.sections[0].header.paragraphs[0].text = "Internal use only"
    document.add_heading("Travel policy", level=1)
    document.add_paragraph("Book trains when the trip takes less than four hours.")
    document.add_heading("Approvals", level=2)
    document.add_paragraph("Manager sign-off", style="List Bullet")
    document.add_paragraph("Finance review", style="List Number")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "Class", "Allowed"
    table.cell(1, 0).text, table.cell(1, 1).text = "Economy", "yes"
    document.add_picture(io.BytesIO(_png()))
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_docx_headings_lists_tables_images_in_order() -> None:
    result = extract(_docx(), filename="policy.docx")
    assert result.content_type.endswith("wordprocessingml.document")
    assert result.title == "Policy"
    summary = [(e.type, e.text) for e in result.elements]
    assert summary == [
        ("Header", "Internal use only"),
        ("Title", "Travel policy"),
        ("NarrativeText", "Book trains when the trip takes less than four hours."),
        ("Title", "Approvals"),
        ("ListItem", "Manager sign-off"),
        ("ListItem", "Finance review"),
        ("Table", "Class | Allowed\nEconomy | yes"),
        ("Image", ""),
    ]
    travel, approvals = result.elements[1], result.elements[3]
    assert approvals.metadata["level"] == 2
    assert approvals.parent_id == travel.id
    assert result.elements[4].parent_id == approvals.id
    assert "Internal use only" not in result.text
    (image,) = result.images
    assert image.mime_type == "image/png"
    assert result.elements[-1].metadata["image_id"] == image.id


def test_same_bytes_give_the_same_ids() -> None:
    data = _docx()
    first = [e.id for e in extract(data, filename="a.docx").elements]
    assert first == [e.id for e in extract(data, filename="a.docx").elements]
    assert len(set(first)) == len(first)


def test_docx_zip_bomb_is_refused_before_parsing() -> None:
    buffer = io.BytesIO(_docx())
    with zipfile.ZipFile(buffer, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/media/bomb.bin", b"\x00" * (64 * 1024 * 1024))
    data = buffer.getvalue()
    assert len(data) < 2 * 1024 * 1024
    with pytest.raises(ExtractionError) as caught:
        extract(data, filename="bomb.docx")
    assert caught.value.code == "zip_bomb"


def test_docx_with_too_many_members_is_refused() -> None:
    buffer = io.BytesIO(_docx())
    with zipfile.ZipFile(buffer, "a") as archive:
        for index in range(10_001):
            archive.writestr(f"junk/{index}", b"")
    with pytest.raises(ExtractionError) as caught:
        extract(buffer.getvalue(), filename="many.docx")
    assert caught.value.code == "zip_bomb"


def test_docx_missing_its_parts_is_corrupted() -> None:
    source = zipfile.ZipFile(io.BytesIO(_docx()))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in source.namelist():
            if name != "[Content_Types].xml":
                archive.writestr(name, source.read(name))
    with pytest.raises(ExtractionError) as caught:
        extract(buffer.getvalue(), filename="broken.docx")
    assert caught.value.code == "corrupted"


def test_truncated_docx_is_corrupted() -> None:
    data = _docx()
    with pytest.raises(ExtractionError) as caught:
        extract(data[: len(data) // 2], filename="cut.docx")
    assert caught.value.code == "corrupted"


def test_pptx_slides_are_pages_with_titles_bullets_tables_pictures() -> None:
    from pptx import Presentation
    from pptx.util import Inches

    presentation = Presentation()
    slide = presentation.slides.add_slide(presentation.slide_layouts[1])
    slide.shapes.title.text = "Roadmap"
    slide.placeholders[1].text_frame.text = "Ship search"
    slide.placeholders[1].text_frame.add_paragraph().text = "Ship agents"
    slide.notes_slide.notes_text_frame.text = "Speak slowly."
    second = presentation.slides.add_slide(presentation.slide_layouts[5])
    second.shapes.title.text = "Numbers"
    table = second.shapes.add_table(2, 2, Inches(1), Inches(2), Inches(4), Inches(1)).table
    table.cell(0, 0).text, table.cell(0, 1).text = "Quarter", "Revenue"
    table.cell(1, 0).text, table.cell(1, 1).text = "Q1", "10"
    second.shapes.add_picture(io.BytesIO(_png()), Inches(1), Inches(4))
    out = io.BytesIO()
    presentation.save(out)

    result = extract(out.getvalue(), filename="deck.pptx")
    assert result.page_count == 2
    summary = [(e.page_number, e.type, e.text) for e in result.elements]
    assert summary == [
        (1, "Title", "Roadmap"),
        (1, "ListItem", "Ship search"),
        (1, "ListItem", "Ship agents"),
        (1, "NarrativeText", "Speak slowly."),
        (1, "PageBreak", ""),
        (2, "Title", "Numbers"),
        (2, "Table", "Quarter | Revenue\nQ1 | 10"),
        (2, "Image", ""),
        (2, "PageBreak", ""),
    ]
    assert result.images[0].page_number == 2


def test_xlsx_sheets_become_titled_tables() -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Staff"
    sheet.append(["Name", "Age"])
    sheet.append(["Ada", 36])
    sheet.append(["Alan", 41.0])
    workbook.create_sheet("Empty")
    out = io.BytesIO()
    workbook.save(out)

    result = extract(out.getvalue(), filename="staff.xlsx")
    assert [(e.type, e.text) for e in result.elements] == [
        ("Title", "Staff"),
        ("Table", "Name | Age\nAda | 36\nAlan | 41"),
    ]
    assert result.elements[1].html == (
        "<table><tr><th>Name</th><th>Age</th></tr><tr><td>Ada</td><td>36</td></tr>"
        "<tr><td>Alan</td><td>41</td></tr></table>"
    )


def test_epub_chapters_in_spine_order() -> None:
    from ebooklib import epub

    book = epub.EpubBook()
    book.set_identifier("id-1")
    book.set_title("Tiny Book")
    book.set_language("en")
    chapters = []
    for number, text in ((1, "It was a bright cold day."), (2, "The clocks were striking.")):
        chapter = epub.EpubHtml(title=f"Chapter {number}", file_name=f"c{number}.xhtml", lang="en")
        chapter.content = f"<h1>Chapter {number}</h1><p>{text}</p>"
        book.add_item(chapter)
        chapters.append(chapter)
    book.toc = chapters
    book.add_item(epub.EpubNcx())
    book.add_item(epub.EpubNav())
    book.spine = chapters
    out = io.BytesIO()
    epub.write_epub(out, book)

    result = extract(out.getvalue(), filename="tiny.epub")
    assert result.content_type == "application/epub+zip"
    assert result.title == "Tiny Book"
    assert [(e.type, e.text) for e in result.elements] == [
        ("Title", "Chapter 1"),
        ("NarrativeText", "It was a bright cold day."),
        ("Title", "Chapter 2"),
        ("NarrativeText", "The clocks were striking."),
    ]


def test_odt_headings_paragraphs_lists_and_tables() -> None:
    ns = (
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"'
    )
    content = (
        f"<office:document-content {ns}><office:body><office:text>"
        '<text:h text:outline-level="1">Minutes</text:h><text:p>We met on Tuesday.</text:p>'
        "<text:list><text:list-item><text:p>Budget</text:p></text:list-item></text:list>"
        "<table:table><table:table-row><table:table-cell><text:p>A</text:p></table:table-cell>"
        "<table:table-cell><text:p>B</text:p></table:table-cell></table:table-row></table:table>"
        "</office:text></office:body></office:document-content>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        archive.writestr("content.xml", content)
    result = extract(buffer.getvalue(), filename="minutes.odt")
    assert result.content_type == "application/vnd.oasis.opendocument.text"
    assert [(e.type, e.text) for e in result.elements] == [
        ("Title", "Minutes"),
        ("NarrativeText", "We met on Tuesday."),
        ("ListItem", "Budget"),
        ("Table", "A | B"),
    ]
