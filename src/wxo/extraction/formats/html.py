"""HTML with BeautifulSoup and lxml: boilerplate out, structure kept, data: images extracted."""

from __future__ import annotations

import base64
import binascii
import re
from typing import TYPE_CHECKING

from wxo.extraction.builder import DocumentBuilder, clean
from wxo.extraction.formats.text import decode

if TYPE_CHECKING:
    from bs4 import Tag

# Never content: code, styling, embedded apps and forms.
_DROP = ("script", "style", "noscript", "template", "iframe", "object", "embed", "form", "svg")
# Page furniture around the content.
_BOILERPLATE = ("nav", "header", "footer", "aside")
_BOILERPLATE_ROLES = ("navigation", "banner", "contentinfo", "complementary", "search")
_BOILERPLATE_NAMES = re.compile(
    r"(^|[-_ ])(nav|navbar|menu|breadcrumbs?|sidebar|cookie[-_]?(banner|consent)?|skip-link)($|[-_ ])",
    re.I,
)
_HEADINGS = {f"h{n}": n for n in range(1, 7)}
_BLOCKS = frozenset(
    {"div", "section", "article", "main", "body", "html", "blockquote", "figure", "figcaption",
     "dl", "dt", "dd", "address", "details", "summary", "center", "td", "th", "caption", "p"}
)  # fmt: skip
_DATA_URI = re.compile(r"^data:(image/[\w.+-]+);base64,(.*)$", re.S)


def _is_boilerplate(tag: Tag) -> bool:
    if tag.name in {"html", "body", "main", "article"}:
        return False
    if tag.name in _BOILERPLATE:
        return True
    if str(tag.get("role", "")).lower() in _BOILERPLATE_ROLES:
        return True
    names = " ".join([str(tag.get("id", "")), *tag.get_attribute_list("class")])
    return bool(_BOILERPLATE_NAMES.search(names))


class _Walker:
    def __init__(self, builder: DocumentBuilder, page_number: int | None) -> None:
        self.builder = builder
        self.page = page_number
        self.inline: list[str] = []

    def flush(self) -> None:
        text = clean("".join(self.inline))
        self.inline.clear()
        if text:
            self.builder.paragraph(text, page_number=self.page)

    def walk(self, node: Tag) -> None:
        from bs4.element import NavigableString, Tag

        for child in node.children:
            if isinstance(child, Tag):
                self.tag(child)
            elif type(child) is NavigableString:  # not comments, CDATA or doctypes
                self.inline.append(str(child))

    def tag(self, tag: Tag) -> None:
        name = tag.name
        if name in _HEADINGS:
            self.flush()
            self.builder.heading(tag.get_text(" "), _HEADINGS[name], page_number=self.page)
        elif name in {"ul", "ol"}:
            self.flush()
            self.list(tag, 0)
        elif name == "table":
            self.flush()
            self.table(tag)
        elif name == "pre":
            self.flush()
            code = tag.find("code")
            classes = (code or tag).get_attribute_list("class")
            language = next((c[9:] for c in classes if c and c.startswith("language-")), None)
            self.builder.code(tag.get_text(), language=language, page_number=self.page)
        elif name == "img":
            self.image(tag)
        elif name == "br":
            self.inline.append("\n")
        elif name in _BLOCKS:
            self.flush()
            self.walk(tag)
            self.flush()
        else:
            self.walk(tag)

    def list(self, tag: Tag, depth: int) -> None:
        from bs4 import Tag

        ordered = tag.name == "ol"
        for item in tag.find_all("li", recursive=False):
            nested = [c for c in item.children if isinstance(c, Tag) and c.name in {"ul", "ol"}]
            for sub in nested:
                sub.extract()
            self.builder.list_item(
                item.get_text(" "), depth=depth, ordered=ordered, page_number=self.page
            )
            for sub in nested:
                self.list(sub, depth + 1)

    def table(self, tag: Tag) -> None:
        rows = [
            [cell.get_text(" ") for cell in row.find_all(["td", "th"])]
            for row in tag.find_all("tr")
        ]
        first = tag.find("tr")
        header = first is not None and first.find("th") is not None
        self.builder.table(rows, header=header, page_number=self.page)

    def image(self, tag: Tag) -> None:
        match = _DATA_URI.match(str(tag.get("src", "")))
        if not match:
            return
        try:
            data = base64.b64decode(match.group(2), validate=False)
        except (binascii.Error, ValueError):
            self.builder.warnings.append("An inline data: image could not be decoded.")
            return
        self.flush()
        alt = str(tag.get("alt", "")) or None
        self.builder.image(data, match.group(1), caption=alt, page_number=self.page)


def add_html(markup: str, builder: DocumentBuilder, *, page_number: int | None = None) -> None:
    """Walk the readable part of an HTML document into `builder` (shared with EPUB and EML)."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(markup, "lxml")
    if builder.title is None and soup.title and soup.title.string:
        builder.title = clean(soup.title.string) or None
    for tag in soup.find_all(_DROP):
        tag.decompose()
    for tag in soup.find_all(_is_boilerplate):
        if not tag.decomposed:
            tag.decompose()
    root = soup.find("main") or soup.find("article") or soup.body or soup
    walker = _Walker(builder, page_number)
    walker.walk(root)
    walker.flush()


def extract_html(data: bytes, builder: DocumentBuilder) -> None:
    """HTML file."""
    add_html(decode(data, builder), builder)
