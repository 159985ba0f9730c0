"""Spreadsheets (XLSX with openpyxl, read-only) and CSV/TSV: one Table per sheet."""

from __future__ import annotations

import csv
import io

from wxo.extraction.builder import DocumentBuilder
from wxo.extraction.formats.text import decode

MAX_ROWS = 5_000  # per sheet; the rest is reported, not silently dropped


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def extract_xlsx(data: bytes, builder: DocumentBuilder) -> None:
    """Each non-empty sheet gives a Title (the sheet name, level 2) and a Table (cached values)."""
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        if workbook.properties.title:
            builder.title = str(workbook.properties.title)
        for sheet in workbook.worksheets:
            rows: list[list[str]] = []
            for index, row in enumerate(sheet.iter_rows(values_only=True)):
                if index >= MAX_ROWS:
                    builder.warnings.append(
                        f"Sheet {sheet.title!r}: only the first {MAX_ROWS} rows were extracted."
                    )
                    break
                rows.append([_cell(value) for value in row])
            if any(any(cell.strip() for cell in row) for row in rows):
                builder.heading(sheet.title, 2)
                builder.table(rows, header=True)
    finally:
        workbook.close()


def extract_csv(data: bytes, builder: DocumentBuilder, *, delimiter: str | None = None) -> None:
    """The whole file as one Table; the dialect is sniffed unless `delimiter` is given."""
    text = decode(data, builder)
    if delimiter is None:
        try:
            delimiter = csv.Sniffer().sniff(text[:8192], delimiters=",;\t|").delimiter
        except csv.Error:
            delimiter = ","
    rows = []
    for index, row in enumerate(csv.reader(io.StringIO(text), delimiter=delimiter)):
        if index >= MAX_ROWS:
            builder.warnings.append(f"Only the first {MAX_ROWS} rows were extracted.")
            break
        rows.append(row)
    builder.table(rows, header=True)
