"""Chunking keeps headings, pages and element types, and respects the size limit."""

import itertools

import tiktoken

from wxo.retrieval.chunking import SourceElement, chunk_elements


def _el(i: int, kind: str, text: str, page: int | None = None, level: int = 1) -> SourceElement:
    return SourceElement(f"e{i}", kind, text, page, level)


def test_sections_carry_their_heading_path_and_page() -> None:
    elements = [
        _el(0, "Title", "Guide", 1, 1),
        _el(1, "NarrativeText", "Intro words.", 1),
        _el(2, "Title", "Install", 1, 2),
        _el(3, "ListItem", "Run make.", 1),
        _el(4, "NarrativeText", "Then wait.", 2),
        _el(5, "Title", "Usage", 2, 1),
        _el(6, "NarrativeText", "Call it.", 2),
    ]
    chunks = chunk_elements(elements, chunk_size=200, chunk_overlap=20, title="Doc")
    got = [(c.text, c.heading_path, c.page_number, c.element_types) for c in chunks]
    assert got == [
        ("Intro words.", ("Guide",), 1, ("NarrativeText",)),
        ("Run make.", ("Guide", "Install"), 1, ("ListItem",)),
        ("Then wait.", ("Guide", "Install"), 2, ("NarrativeText",)),
        ("Call it.", ("Usage",), 2, ("NarrativeText",)),
    ]
    assert [c.ord for c in chunks] == [0, 1, 2, 3]
    assert chunks[1].context == "Guide > Install"
    assert chunks[1].indexed_text == "Guide > Install\nRun make."


def test_without_headings_the_title_is_the_context() -> None:
    chunks = chunk_elements(
        [_el(0, "NarrativeText", "Plain body.")], chunk_size=100, chunk_overlap=0, title="A Title"
    )
    assert [(c.text, c.context, c.heading_path) for c in chunks] == [("Plain body.", "A Title", ())]


def test_long_sections_split_under_the_token_limit_with_overlap() -> None:
    sentences = " ".join(f"Sentence number {i} talks about topic {i % 7}." for i in range(200))
    chunks = chunk_elements([_el(0, "NarrativeText", sentences)], chunk_size=64, chunk_overlap=16)
    assert len(chunks) > 5
    encoding = tiktoken.get_encoding("cl100k_base")
    assert all(len(encoding.encode(c.text)) <= 64 for c in chunks)
    # neighbours share text (the overlap): the next chunk starts inside the previous one
    for previous, following in itertools.pairwise(chunks):
        assert " ".join(following.text.split()[:4]) in previous.text
    joined = " ".join(c.text for c in chunks)
    assert "Sentence number 199" in joined
    assert "Sentence number 0 " in joined


def test_headers_footers_and_empty_elements_are_skipped_and_heading_only_documents_kept() -> None:
    elements = [
        _el(0, "Header", "ACME Corp confidential"),
        _el(1, "NarrativeText", "   "),
        _el(2, "Title", "Only a heading"),
    ]
    chunks = chunk_elements(elements, chunk_size=100, chunk_overlap=0)
    assert [(c.text, c.heading_path) for c in chunks] == [("Only a heading", ())]
