"""HTML with lxml: boilerplate out, structure kept, data: images extracted.

lxml's libxml2 HTML parser builds the tree in about a twentieth of the time BeautifulSoup needs
on top of the same parser (Debian's HTML manuals: 1.5 ms against 28 ms a page, mean), and the
walk below reads `text`/`tail` directly. See docs/decisions.md, "Extraction throughput".
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from wxo.extraction.builder import DocumentBuilder, clean
from wxo.extraction.formats.text import decode

if TYPE_CHECKING:
    from lxml.etree import _Element as Element

# Never content: code, styling, embedded apps and forms.
_DROP = ("script", "style", "noscript", "template", "iframe", "object", "embed", "form", "svg")
# Page furniture around the content.
_BOILERPLATE = frozenset({"nav", "header", "footer", "aside"})
_BOILERPLATE_ROLES = frozenset({"navigation", "banner", "contentinfo", "complementary", "search"})
_BOILERPLATE_NAMES = re.compile(
    r"(^|[-_ ])(nav|navbar|menu|breadcrumbs?|sidebar|cookie[-_]?(banner|consent)?|skip-link)($|[-_ ])",
    re.I,
)
_NEVER_BOILERPLATE = frozenset({"html", "body", "main", "article"})
_HEADINGS = {f"h{n}": n for n in range(1, 7)}
_LISTS = frozenset({"ul", "ol"})
_BLOCKS = frozenset(
    {"div", "section", "article", "main", "body", "html", "blockquote", "figure", "figcaption",
     "dl", "dt", "dd", "address", "details", "summary", "center", "td", "th", "caption", "p"}
)  # fmt: skip
_DATA_URI = re.compile(r"^data:(image/[\w.+-]+);base64,(.*)$", re.S)


def _strings(node: Element, skip: frozenset[Element] = frozenset()) -> Iterator[str]:
    """The text pieces under `node` in document order (its own tail excluded)."""
    if node.text:
        yield node.text
    for child in node:
        if isinstance(child.tag, str) and child not in skip:
            yield from _strings(child)
        if child.tail:
            yield child.tail


def _text(node: Element, skip: frozenset[Element] = frozenset()) -> str:
    """BeautifulSoup's `get_text(" ")`: every piece, space-separated."""
    if not skip:
        return " ".join(node.itertext())  # the same pieces, walked in C
    return " ".join(_strings(node, skip))


def _classes(node: Element) -> list[str]:
    return str(node.get("class", "")).split()


def _is_boilerplate(node: Element) -> bool:
    tag = node.tag
    if tag in _NEVER_BOILERPLATE:
        return False
    if tag in _BOILERPLATE:
        return True
    if str(node.get("role", "")).lower() in _BOILERPLATE_ROLES:
        return True
    names = " ".join([str(node.get("id", "")), *_classes(node)])
    return bool(names.strip()) and bool(_BOILERPLATE_NAMES.search(names))


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

    def walk(self, node: Element) -> None:
        if node.text:
            self.inline.append(node.text)
        for child in node:
            if isinstance(child.tag, str):  # not comments or processing instructions
                self.tag(child)
            if child.tail:
                self.inline.append(child.tail)

    def tag(self, node: Element) -> None:
        name = node.tag
        if name in _HEADINGS:
            self.flush()
            self.builder.heading(_text(node), _HEADINGS[name], page_number=self.page)
        elif name in _LISTS:
            self.flush()
            self.list(node, 0)
        elif name == "table":
            self.flush()
            self.table(node)
        elif name == "pre":
            self.flush()
            code = node.find(".//code")
            classes = _classes(node if code is None else code)
            language = next((c[9:] for c in classes if c.startswith("language-")), None)
            text = "".join(node.itertext())
            self.builder.code(text, language=language, page_number=self.page)
        elif name == "img":
            self.image(node)
        elif name == "br":
            self.inline.append("\n")
        elif name in _BLOCKS:
            self.flush()
            self.walk(node)
            self.flush()
        else:
            self.walk(node)

    def list(self, node: Element, depth: int) -> None:
        ordered = node.tag == "ol"
        for item in node:
            if item.tag != "li":
                continue
            nested = [c for c in item if c.tag in _LISTS]
            self.builder.list_item(
                _text(item, frozenset(nested)), depth=depth, ordered=ordered, page_number=self.page
            )
            for sub in nested:
                self.list(sub, depth + 1)

    def table(self, node: Element) -> None:
        rows = [[_text(cell) for cell in row.iter("td", "th")] for row in node.iter("tr")]
        first = next(node.iter("tr"), None)
        header = first is not None and first.find(".//th") is not None
        self.builder.table(rows, header=header, page_number=self.page)

    def image(self, node: Element) -> None:
        match = _DATA_URI.match(str(node.get("src", "")))
        if not match:
            return
        try:
            data = base64.b64decode(match.group(2), validate=False)
        except (binascii.Error, ValueError):
            self.builder.warnings.append("An inline data: image could not be decoded.")
            return
        self.flush()
        alt = str(node.get("alt", "")) or None
        self.builder.image(data, match.group(1), caption=alt, page_number=self.page)


def _parse(markup: str) -> Element | None:
    """The document's root element, or None when there is no markup at all.

    lxml.etree's parser, not lxml.html's: lxml.html picks a Python class for every element
    the walk touches, through a Python callback (about 6% of the CPU time of extracting
    Debian's HTML manuals).
    """
    import lxml.etree

    parser = lxml.etree.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True)
    # Bytes with the encoding named: lxml refuses a str that carries its own <?xml encoding?>.
    data = markup.replace("\x00", "").encode("utf-8", "replace")
    if not data.strip():
        return None
    try:
        root: Element | None = lxml.etree.fromstring(data, parser)
    except lxml.etree.ParserError:  # "Document is empty": nothing but whitespace or a doctype
        return None
    return root


def _drop_tree(node: Element) -> None:
    """Remove the element and what it holds; the text that follows it stays (lxml.html's)."""
    parent = node.getparent()
    if parent is None:
        return
    if node.tail:
        previous = node.getprevious()
        if previous is None:
            parent.text = (parent.text or "") + node.tail
        else:
            previous.tail = (previous.tail or "") + node.tail
    parent.remove(node)


def _strip(root: Element) -> None:
    """Drop never-content elements and page furniture; the text that follows each one stays."""
    for node in list(root.iter(*_DROP)):
        _drop_tree(node)
    # Only elements that can be furniture: a furniture tag, or a role, id or class to look at.
    candidates = root.xpath("//nav|//header|//footer|//aside|//*[@role or @id or @class]")
    for node in [n for n in candidates if _is_boilerplate(n)]:
        _drop_tree(node)  # one inside another already dropped is harmless: it is detached


def add_html(markup: str, builder: DocumentBuilder, *, page_number: int | None = None) -> None:
    """Walk the readable part of an HTML document into `builder` (shared with EPUB and EML)."""
    root = _parse(markup)
    if root is None:
        return
    if builder.title is None:
        title = root.find(".//title")
        if title is not None and title.text:
            builder.title = clean(title.text) or None
    _strip(root)
    content = next(root.iter("main", "article"), None)
    if content is not None and content.tag == "article":
        content = next(root.iter("main"), content)  # <main> wins over an earlier <article>
    if content is None:
        content = root.find(".//body")
    walker = _Walker(builder, page_number)
    walker.walk(root if content is None else content)
    walker.flush()


def html_text(markup: str) -> str:
    """The visible text of an HTML fragment (scripts and styles left out), whitespace collapsed."""
    root = _parse(markup)
    if root is None:
        return ""
    for node in list(root.iter(*_DROP)):
        _drop_tree(node)
    return clean(_text(root))


def extract_html(data: bytes, builder: DocumentBuilder) -> None:
    """HTML file."""
    add_html(decode(data, builder), builder)
