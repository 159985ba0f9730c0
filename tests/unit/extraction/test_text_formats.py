"""Plain text, Markdown, CSV, JSON, XML, EML and RTF."""

from __future__ import annotations

from pathlib import Path

import pytest

from wxo.extraction.base import ExtractionError
from wxo.extraction.service import extract


def test_plain_text_blocks_become_titles_list_items_and_paragraphs() -> None:
    text = (
        "Quarterly Summary\n\n"
        "Sales rose in every region this quarter.\nThe team grew too.\n\n"
        "- hiring\n- training\n\n"
        "ops@example.com\n"
    )
    result = extract(text.encode(), filename="notes.txt")
    assert result.content_type == "text/plain"
    assert [(e.type, e.text) for e in result.elements] == [
        ("Title", "Quarterly Summary"),
        ("NarrativeText", "Sales rose in every region this quarter. The team grew too."),
        ("ListItem", "hiring"),
        ("ListItem", "training"),
        ("EmailAddress", "ops@example.com"),
    ]
    title_id = result.elements[0].id
    assert all(e.parent_id == title_id for e in result.elements[1:])
    assert result.title == "Quarterly Summary"
    assert "- hiring\n- training" in result.markdown


def test_cp1252_text_is_decoded_by_charset_detection() -> None:
    text = "Café crème, déjà vu: naïve façade — señor Müller\u2019s résumé. " * 5
    result = extract(text.encode("cp1252"), filename="legacy.txt")
    assert "Café crème, déjà vu" in result.text
    assert "naïve façade" in result.text
    assert any("not UTF-8" in w for w in result.warnings)


def test_markdown_keeps_headings_lists_tables_and_code() -> None:
    source = (
        "# Guide\n\nIntro paragraph with **bold** text.\n\n## Steps\n\n1. Install\n2. Run\n\n"
        "| Name | Value |\n|---|---|\n| a | 1 |\n\n```python\nprint('hi')\n```\n"
    )
    result = extract(source.encode(), filename="guide.md")
    types = [(e.type, e.metadata.get("level")) for e in result.elements]
    assert types == [
        ("Title", 1),
        ("NarrativeText", None),
        ("Title", 2),
        ("ListItem", None),
        ("ListItem", None),
        ("Table", None),
        ("CodeSnippet", None),
    ]
    guide, _, steps, *rest = result.elements
    assert steps.parent_id == guide.id
    assert all(e.parent_id == steps.id for e in rest)
    table = result.elements[5]
    assert (
        table.html
        == "<table><tr><th>Name</th><th>Value</th></tr><tr><td>a</td><td>1</td></tr></table>"
    )
    assert result.elements[6].text == "print('hi')"
    assert result.elements[6].metadata == {"language": "python"}
    assert "## Steps" in result.markdown
    assert "1. Install" in result.markdown


def test_csv_becomes_one_table() -> None:
    result = extract(b"city;people\nParis;2100000\nLyon;520000\n", filename="cities.csv")
    (table,) = result.elements
    assert table.type == "Table"
    assert table.metadata == {"rows": 3, "columns": 2}
    assert "<th>city</th>" in (table.html or "")
    assert "| Paris | 2100000 |" in result.markdown


def test_json_is_rendered_as_outline() -> None:
    data = b'{"name": "wxo", "tags": ["server", "api"], "owner": {"team": "platform"}}'
    result = extract(data, filename="x.json")
    assert result.content_type == "application/json"
    assert [(e.type, e.text) for e in result.elements] == [
        ("NarrativeText", "name: wxo"),
        ("Title", "tags"),
        ("ListItem", "server"),
        ("ListItem", "api"),
        ("Title", "owner"),
        ("NarrativeText", "team: platform"),
    ]


def test_xml_elements_with_text_keep_their_path() -> None:
    data = b'<?xml version="1.0"?><catalog><book id="b1"><title>Dune</title></book></catalog>'
    result = extract(data, filename="catalog.xml")
    assert result.content_type == "application/xml"
    texts = [(e.text, e.metadata["path"]) for e in result.elements]
    assert texts == [("book: id=b1", "/catalog/book"), ("title: Dune", "/catalog/book/title")]


def test_xml_external_entities_are_not_resolved(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET")
    data = (
        f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file://{secret}">]>'
        "<r><a>before &x; after</a></r>"
    ).encode()
    result = extract(data, filename="evil.xml")
    assert "TOPSECRET" not in result.text


def test_malformed_json_named_json_is_text_not_a_crash() -> None:
    result = extract(b'{"a": 1,', filename="broken.json")
    assert result.content_type == "text/plain"
    assert any("application/json" in w for w in result.warnings)


def test_eml_subject_addresses_body_and_attachment_note() -> None:
    from email.message import EmailMessage

    message = EmailMessage()
    message["From"] = "Alice Example <alice@example.com>"
    message["To"] = "bob@example.org"
    message["Subject"] = "Budget review"
    message.set_content("Hello Bob,\n\nThe budget review is on Monday.\n")
    message.add_attachment(b"%PDF-1.4", maintype="application", subtype="pdf", filename="b.pdf")
    result = extract(message.as_bytes(), filename="mail.eml")
    assert result.content_type == "message/rfc822"
    assert result.title == "Budget review"
    emails = [(e.text, e.metadata["field"]) for e in result.elements if e.type == "EmailAddress"]
    assert emails == [("alice@example.com", "from"), ("bob@example.org", "to")]
    assert "The budget review is on Monday." in result.text
    assert any("b.pdf" in w for w in result.warnings)


def test_rtf_text_is_extracted() -> None:
    rtf = rb"{\rtf1\ansi{\fonttbl\f0\fswiss Helvetica;}\f0\pard Hello from RTF.\par Second line here.\par}"
    result = extract(rtf, filename="letter.rtf")
    assert result.content_type == "application/rtf"
    assert "Hello from RTF." in result.text


def test_utf16_text_with_bom_is_text_not_binary() -> None:
    result = extract("Hello in UTF-16, with a byte order mark.".encode("utf-16"), filename="u.txt")
    assert result.text == "Hello in UTF-16, with a byte order mark."


def test_markup_only_document_is_empty() -> None:
    with pytest.raises(ExtractionError) as caught:
        extract(b"<html><body><script>var a = 1;</script></body></html>", filename="a.html")
    assert caught.value.code == "empty"
