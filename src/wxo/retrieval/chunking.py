"""Turn a document's extracted elements into chunks, with LlamaIndex's sentence splitter.

Elements are first grouped into sections: consecutive elements under the same heading path and
on the same page. Each section is split into chunks of at most `chunk_size` tokens overlapping by
`chunk_overlap` (LlamaIndex counts tokens with tiktoken, whose data it ships). Every chunk keeps
its page number, heading path and the element types it came from. Its `context` (the heading
path, or the document title when there is no heading) is indexed with it but not repeated in
its text: "Methods > Patients" tells the embedding and BM25 what a short passage is about.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from llama_index.core.node_parser import SentenceSplitter

HEADING_TYPES = frozenset({"Title"})
SKIPPED_TYPES = frozenset({"PageBreak", "Header", "Footer", "Image"})


@dataclass(frozen=True)
class SourceElement:
    """What chunking needs of an extracted element."""

    element_id: str
    type: str
    text: str
    page_number: int | None = None
    level: int = 1  # headings: 1 to 6


@dataclass(frozen=True)
class ChunkDraft:
    """A chunk before it is embedded and stored."""

    ord: int
    text: str
    context: str
    heading_path: tuple[str, ...]
    page_number: int | None
    element_types: tuple[str, ...]

    @property
    def indexed_text(self) -> str:
        """What BM25 and the embedding model see: context, then the text."""
        return f"{self.context}\n{self.text}" if self.context else self.text


@dataclass
class _Section:
    heading_path: tuple[str, ...]
    page_number: int | None
    texts: list[str] = field(default_factory=list)
    types: list[str] = field(default_factory=list)


@lru_cache(maxsize=16)
def _splitter(chunk_size: int, chunk_overlap: int) -> SentenceSplitter:
    return SentenceSplitter(chunk_size=chunk_size, chunk_overlap=chunk_overlap)


def _sections(elements: Iterable[SourceElement]) -> Iterator[_Section]:
    headings: list[tuple[int, str]] = []
    current: _Section | None = None
    for element in elements:
        text = element.text.strip()
        if element.type in SKIPPED_TYPES or not text:
            continue
        if element.type in HEADING_TYPES:
            if current is not None and current.texts:
                yield current
            while headings and headings[-1][0] >= element.level:
                headings.pop()
            headings.append((element.level, text))
            current = _Section(tuple(h for _, h in headings), element.page_number)
            continue
        path = tuple(h for _, h in headings)
        if (
            current is None
            or current.heading_path != path
            or (element.page_number != current.page_number and current.texts)
        ):
            if current is not None and current.texts:
                yield current
            current = _Section(path, element.page_number)
        if current.page_number is None:
            current.page_number = element.page_number
        current.texts.append(text)
        current.types.append(element.type)
    if current is not None and current.texts:
        yield current
    elif current is not None and current.heading_path and not current.texts:
        # A document that ends on a heading (or is only headings): keep the words somewhere.
        yield _Section(current.heading_path[:-1], current.page_number, [current.heading_path[-1]])


def chunk_elements(
    elements: Sequence[SourceElement],
    *,
    chunk_size: int,
    chunk_overlap: int,
    title: str | None = None,
) -> list[ChunkDraft]:
    """The chunks of a document, in reading order (`ord` from 0)."""
    splitter = _splitter(chunk_size, min(chunk_overlap, chunk_size - 1))
    drafts: list[ChunkDraft] = []
    for section in _sections(elements):
        context = " > ".join(section.heading_path) or (title or "").strip()
        types = tuple(dict.fromkeys(section.types))
        for piece in splitter.split_text("\n\n".join(section.texts)):
            text = piece.strip()
            if text:
                drafts.append(
                    ChunkDraft(
                        ord=len(drafts),
                        text=text,
                        context=context,
                        heading_path=section.heading_path,
                        page_number=section.page_number,
                        element_types=types,
                    )
                )
    return drafts
