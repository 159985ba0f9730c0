"""Markdown through markdown-it-py's token stream (CommonMark plus tables)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from wxo.extraction.builder import DocumentBuilder, clean
from wxo.extraction.formats.html import html_text
from wxo.extraction.formats.text import decode

if TYPE_CHECKING:
    from markdown_it.token import Token


def _inline_text(token: Token) -> str:
    parts: list[str] = []
    for child in token.children or []:
        if child.type in {"text", "code_inline"}:
            parts.append(child.content)
        elif child.type in {"softbreak", "hardbreak"}:
            parts.append(" ")
        elif child.type == "image":
            parts.append(child.content)
    return clean("".join(parts))


def _table_rows(tokens: list[Token], start: int) -> tuple[list[list[str]], int]:
    rows: list[list[str]] = []
    index = start
    while tokens[index].type != "table_close":
        token = tokens[index]
        if token.type == "tr_open":
            rows.append([])
        elif token.type == "inline" and rows:
            rows[-1].append(_inline_text(token))
        index += 1
    return rows, index


def extract_markdown(data: bytes, builder: DocumentBuilder) -> None:
    """Headings, paragraphs, (nested) list items, tables, fenced code and HTML blocks."""
    from markdown_it import MarkdownIt

    tokens = MarkdownIt("commonmark").enable("table").parse(decode(data, builder))
    lists: list[bool] = []  # ordered?, one entry per open list
    index = 0
    while index < len(tokens):
        token = tokens[index]
        kind = token.type
        if kind == "heading_open":
            builder.heading(_inline_text(tokens[index + 1]), int(token.tag[1:]))
            index += 2
        elif kind in {"bullet_list_open", "ordered_list_open"}:
            lists.append(kind == "ordered_list_open")
        elif kind in {"bullet_list_close", "ordered_list_close"}:
            lists.pop()
        elif kind == "inline" and tokens[index - 1].type == "paragraph_open":
            text = _inline_text(token)
            if lists:
                builder.list_item(text, depth=len(lists) - 1, ordered=lists[-1])
            else:
                builder.paragraph(text)
        elif kind in {"fence", "code_block"}:
            language = token.info.split()[0] if token.info.strip() else None
            builder.code(token.content, language=language)
        elif kind == "table_open":
            rows, index = _table_rows(tokens, index)
            builder.table(rows, header=True)
        elif kind == "html_block":
            builder.paragraph(html_text(token.content))
        index += 1
