"""HTML: boilerplate out, structure kept, inline images extracted; a real Debian manual."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import pytest

from wxo.extraction.service import extract

PAGE = """<!doctype html>
<html><head><title>Field Guide</title><style>body {{ color: red }}</style>
<script>var tracking = "SECRET_SCRIPT_TEXT";</script></head>
<body>
<nav><a href="/">Home</a> <a href="/about">NAVIGATION LINK</a></nav>
<div class="cookie-banner">We use COOKIES</div>
<main>
<h1>Birds</h1>
<p>Birds are <b>warm-blooded</b> vertebrates.</p>
<h2>Kinds</h2>
<ul><li>Sparrow<ul><li>House sparrow</li></ul></li><li>Robin</li></ul>
<table><tr><th>Bird</th><th>Weight</th></tr><tr><td>Robin</td><td>77 g</td></tr></table>
<pre><code class="language-python">fly(bird)</code></pre>
<img alt="A robin" src="data:image/png;base64,{png}">
<script>document.write("INLINE_SCRIPT")</script>
</main>
<footer>Copyright FOOTER TEXT</footer>
</body></html>
"""


def _png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (3, 2), "red").save(out, format="PNG")
    return out.getvalue()


def test_html_boilerplate_and_scripts_are_removed() -> None:
    html = PAGE.format(png=base64.b64encode(_png()).decode())
    result = extract(html.encode(), filename="birds.html")
    for unwanted in (
        "SECRET_SCRIPT_TEXT",
        "INLINE_SCRIPT",
        "NAVIGATION LINK",
        "COOKIES",
        "FOOTER",
        "color",
    ):
        assert unwanted not in result.text
        assert unwanted not in result.markdown
    assert result.title == "Field Guide"


def test_html_structure_is_kept_in_order() -> None:
    html = PAGE.format(png=base64.b64encode(_png()).decode())
    result = extract(html.encode(), filename="birds.html")
    summary = [(e.type, e.text) for e in result.elements]
    assert summary == [
        ("Title", "Birds"),
        ("NarrativeText", "Birds are warm-blooded vertebrates."),
        ("Title", "Kinds"),
        ("ListItem", "Sparrow"),
        ("ListItem", "House sparrow"),
        ("ListItem", "Robin"),
        ("Table", "Bird | Weight\nRobin | 77 g"),
        ("CodeSnippet", "fly(bird)"),
        ("Image", "A robin"),
    ]
    assert result.elements[4].metadata == {"depth": 1}
    assert result.elements[7].metadata == {"language": "python"}
    assert "## Kinds" in result.markdown
    assert "  - House sparrow" in result.markdown


def test_html_data_uri_image_is_extracted() -> None:
    png = _png()
    html = PAGE.format(png=base64.b64encode(png).decode())
    result = extract(html.encode(), filename="birds.html")
    (image,) = result.images
    assert image.data == png
    assert image.mime_type == "image/png"
    assert image.caption == "A robin"
    assert result.elements[-1].metadata["image_id"] == image.id


DEBIAN_HTML = [
    Path("/usr/share/doc/bzip2/manual.html"),
    Path("/usr/share/doc/libffi8/html/The-Basics.html"),
    Path("/usr/share/doc/base-passwd/users-and-groups.html"),
]


def test_real_debian_html_manual() -> None:
    path = next((p for p in DEBIAN_HTML if p.is_file()), None)
    if path is None:
        pytest.skip("no Debian HTML documentation installed under /usr/share/doc")
    result = extract(path.read_bytes(), filename=path.name)
    assert result.content_type == "text/html"
    assert result.language == "en"
    titles = [e for e in result.elements if e.type == "Title"]
    assert titles, "a manual has headings"
    assert result.title
    assert len(result.text) > 1000
    assert "<" not in result.elements[0].text
    assert result.keywords


def test_html_text_after_removed_elements_and_comments_is_kept() -> None:
    html = (
        b"<html><body><p>Before <script>SCRIPT_CODE()</script>after the script"
        b"<!-- HIDDEN_COMMENT --> and after the comment.</p>"
        b"<ul><li>Outer <ul><li>Inner</li></ul> tail of outer</li></ul></body></html>"
    )
    result = extract(html, filename="a.html")
    assert [(e.type, e.text) for e in result.elements] == [
        ("NarrativeText", "Before after the script and after the comment."),
        ("ListItem", "Outer tail of outer"),
        ("ListItem", "Inner"),
    ]


def test_html_main_wins_over_article_and_xml_declaration_is_accepted() -> None:
    html = (
        '<?xml version="1.0" encoding="iso-8859-1"?>\n<html><body>'
        "<article><p>TEASER OUTSIDE MAIN</p></article><main><p>Main text, caf\u00e9.</p></main>"
        "</body></html>"
    ).encode("latin-1")
    result = extract(html, filename="a.html")
    assert result.text == "Main text, caf\u00e9."


def test_markdown_html_block_leaves_scripts_out() -> None:
    markdown = b"# Notes\n\n<div>Visible <script>HIDDEN_SCRIPT()</script>words</div>\n"
    result = extract(markdown, filename="notes.md")
    assert "HIDDEN_SCRIPT" not in result.text
    assert result.elements[-1].text == "Visible words"
