"""JSON and XML, rendered as a text structure: keys and element names become the outline."""

from __future__ import annotations

import json

from wxo.extraction.base import ExtractionError
from wxo.extraction.builder import DocumentBuilder
from wxo.extraction.formats.text import decode

MAX_NODES = 20_000


def _scalar(value: object) -> str:
    return json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value


class _JsonWalker:
    def __init__(self, builder: DocumentBuilder) -> None:
        self.builder = builder
        self.nodes = 0

    def walk(self, value: object, depth: int) -> None:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            return
        if isinstance(value, dict):
            for key, item in value.items():
                if isinstance(item, dict | list):
                    self.builder.heading(str(key), depth)
                    self.walk(item, depth + 1)
                else:
                    self.builder.paragraph(f"{key}: {_scalar(item)}")
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, dict | list):
                    self.walk(item, depth)
                else:
                    self.builder.list_item(_scalar(item))
        else:
            self.builder.paragraph(_scalar(value))


def extract_json(data: bytes, builder: DocumentBuilder) -> None:
    """Objects: a Title per key holding structure, `key: value` lines; arrays: list items."""
    try:
        value = json.loads(decode(data, builder))
    except ValueError as exc:
        raise ExtractionError("corrupted", f"The JSON is not valid: {exc}") from exc
    walker = _JsonWalker(builder)
    walker.walk(value, 1)
    if walker.nodes > MAX_NODES:
        builder.warnings.append(f"Only the first {MAX_NODES} JSON values were extracted.")


def extract_xml(data: bytes, builder: DocumentBuilder) -> None:
    """Each element with text gives a NarrativeText (`metadata.path`); no DTDs or entities load."""
    from lxml import etree

    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, recover=False
    )
    try:
        root = etree.fromstring(data, parser=parser)
    except etree.XMLSyntaxError as exc:
        raise ExtractionError("corrupted", f"The XML is not well-formed: {exc}") from exc
    tree = root.getroottree()
    for count, element in enumerate(root.iter()):
        if count >= MAX_NODES:
            builder.warnings.append(f"Only the first {MAX_NODES} XML elements were extracted.")
            break
        if not isinstance(element.tag, str):  # comments, processing instructions
            continue
        parts = [element.text or "", *(f"{k}={v}" for k, v in element.attrib.items())]
        text = " ".join(p.strip() for p in parts if p.strip())
        if text:
            name = etree.QName(element).localname
            builder.add(
                "NarrativeText",
                f"{name}: {text}",
                metadata={"path": tree.getpath(element)},
            )
