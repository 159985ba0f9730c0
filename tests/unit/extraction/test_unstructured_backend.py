"""The Unstructured backend (`wxo[unstructured]`): five formats offline, mapped to our model."""

from __future__ import annotations

import email.message
import io
import socket
from collections.abc import Iterator
from typing import Any

import pytest

pytest.importorskip("unstructured", reason="wxo[unstructured] is not installed")

from wxo.extraction import entities
from wxo.extraction import unstructured_backend as backend
from wxo.extraction.base import ExtractionError

ENGLISH = "Barack Obama visited IBM in Paris on 3 March 2021 with Angela Merkel."


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """Any connection or name lookup fails the test's offline claim (and is recorded)."""
    attempts: list[Any] = []

    def refuse_connect(self: socket.socket, address: Any) -> None:
        attempts.append(address)
        raise OSError("network refused by the test")

    def refuse_lookup(host: Any, *args: Any, **kwargs: Any) -> Any:
        attempts.append(host)
        raise socket.gaierror("name lookup refused by the test")

    monkeypatch.setattr(socket.socket, "connect", refuse_connect)
    monkeypatch.setattr(socket, "getaddrinfo", refuse_lookup)
    yield attempts
    assert attempts == [], f"the backend tried the network: {attempts}"


def _docx() -> bytes:
    import docx

    document = docx.Document()
    document.add_heading("Quarterly report", 1)
    document.add_paragraph(ENGLISH + " The meeting was long and productive for everyone.")
    document.add_paragraph("First item", style="List Bullet")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "city"
    table.cell(1, 0).text = "Paris"
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _eml() -> bytes:
    message = email.message.EmailMessage()
    message["From"] = "Alice <alice@example.com>"
    message["To"] = "bob@example.com"
    message["Subject"] = "Meeting in Paris"
    message.set_content(f"Hi Bob,\n\n{ENGLISH} The report is attached to this message.\n")
    return bytes(message)


def test_html_elements_map_to_our_model() -> None:
    html = (
        b"<html><body><h1>Birds</h1><p>Birds are warm-blooded vertebrates that lay eggs.</p>"
        b"<h2>Kinds</h2><ul><li>Sparrow</li><li>Robin</li></ul>"
        b"<table><tr><th>Bird</th><th>Weight</th></tr><tr><td>Robin</td><td>77 g</td></tr></table>"
        b"</body></html>"
    )
    result = backend.extract(html, filename="birds.html")
    assert result.content_type == "text/html"
    summary = [
        (e.type, e.text, e.metadata.get("level"), e.metadata.get("depth")) for e in result.elements
    ]
    assert summary[:5] == [
        ("Title", "Birds", 1, None),
        ("NarrativeText", "Birds are warm-blooded vertebrates that lay eggs.", None, None),
        ("Title", "Kinds", 2, None),
        ("ListItem", "Sparrow", None, None),  # top level: depth 0, not stored
        ("ListItem", "Robin", None, None),
    ]
    birds, _, kinds, sparrow, _, table = result.elements
    assert kinds.parent_id == birds.id
    assert sparrow.parent_id == kinds.id
    assert table.type == "Table"
    assert "<td>77 g</td>" in (table.html or "")
    assert "# Birds" in result.markdown
    assert "- Sparrow" in result.markdown
    assert result.language == "en"


@pytest.mark.parametrize(
    ("name", "payload", "content_type"),
    [
        ("notes.txt", f"INTRODUCTION\n\n{ENGLISH}\n".encode(), "text/plain"),
        ("notes.md", f"# Notes\n\n{ENGLISH}\n\n- one\n- two\n".encode(), "text/markdown"),
        ("mail.eml", _eml(), "message/rfc822"),
        ("report.docx", _docx(), None),
    ],
)
def test_formats_are_read_offline(name: str, payload: bytes, content_type: str | None) -> None:
    result = backend.extract(payload, filename=name)
    if content_type:
        assert result.content_type == content_type
    assert "Barack Obama visited IBM in Paris" in result.text
    assert result.elements
    assert result.keywords
    if entities.model_available():
        found = {(e.text, e.label) for e in result.entities}
        assert ("Barack Obama", "PERSON") in found
        assert ("Paris", "GPE") in found


def test_lean_extraction_leaves_keywords_and_entities_to_the_annotate_stage() -> None:
    for payload, name in ((_docx(), "report.docx"), (b'{"name": "Ada"}', "a.json")):
        full = backend.extract(payload, filename=name)
        lean = backend.extract_lean(payload, filename=name)
        assert full.keywords
        assert (lean.keywords, lean.entities) == ([], [])
        assert (lean.elements, lean.text, lean.title) == (full.elements, full.text, full.title)


def test_docx_keeps_headings_lists_and_tables() -> None:
    result = backend.extract(_docx(), filename="report.docx")
    types = [e.type for e in result.elements]
    assert types == ["Title", "NarrativeText", "ListItem", "Table"]
    assert result.title == "Quarterly report"
    assert "<td>Paris</td>" in (result.elements[-1].html or "")


def test_email_subject_is_the_title() -> None:
    assert backend.extract(_eml(), filename="mail.eml").title == "Meeting in Paris"


def test_other_formats_use_the_builtin_reader() -> None:
    result = backend.extract(b'{"name": "Angela Merkel", "city": "Berlin"}', filename="a.json")
    assert result.content_type == "application/json"
    assert "Angela Merkel" in result.text


def test_damaged_docx_is_a_clear_error() -> None:
    damaged = _docx()[:2000]
    with pytest.raises(ExtractionError) as caught:
        backend.extract(damaged, filename="broken.docx")
    assert caught.value.code == "corrupted"
