"""Find what a file really is from its bytes; names and declared types are only hints."""

from __future__ import annotations

import io
import json
import re
import zipfile
from dataclasses import dataclass

from wxo.extraction.base import ExtractionError

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EPUB = "application/epub+zip"
ODT = "application/vnd.oasis.opendocument.text"
RTF = "application/rtf"
HTML = "text/html"
XML = "application/xml"
JSON = "application/json"
CSV = "text/csv"
TSV = "text/tab-separated-values"
MARKDOWN = "text/markdown"
TEXT = "text/plain"
EML = "message/rfc822"

BY_EXTENSION = {
    "pdf": PDF,
    "docx": DOCX,
    "pptx": PPTX,
    "xlsx": XLSX,
    "epub": EPUB,
    "odt": ODT,
    "rtf": RTF,
    "html": HTML,
    "htm": HTML,
    "xhtml": HTML,
    "xml": XML,
    "json": JSON,
    "csv": CSV,
    "tsv": TSV,
    "md": MARKDOWN,
    "markdown": MARKDOWN,
    "txt": TEXT,
    "text": TEXT,
    "eml": EML,
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "gif": "image/gif",
    "tif": "image/tiff",
    "tiff": "image/tiff",
}

_ALIASES = {
    "text/xml": XML,
    "application/xhtml+xml": HTML,
    "application/x-pdf": PDF,
    "text/x-markdown": MARKDOWN,
    "application/csv": CSV,
    "text/rtf": RTF,
}
_GENERIC = frozenset({"application/octet-stream", "binary/octet-stream", "application/unknown"})

# Text types that the bytes alone cannot tell apart: the name decides among them, silently.
_TEXT_FAMILY = frozenset({TEXT, MARKDOWN, CSV, TSV})

_IMAGE_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
)
_ODF_PREFIX = "application/vnd.oasis.opendocument."
_EMAIL_HEADER = re.compile(
    rb"^(Received|From|To|Subject|Date|Message-ID|MIME-Version|Return-Path|Delivered-To):[ \t]",
    re.IGNORECASE,
)
_HTML_START = re.compile(
    r"^\s*(<\?xml[^>]*>\s*)?(<!--.*?-->\s*)*(<!doctype\s+html|<html|<head|<body)", re.I | re.S
)
_HTML_TAGS = re.compile(r"<(p|div|h[1-6]|table|ul|ol|br|span|a\s)[\s>/]", re.I)
_MARKDOWN_HINTS = re.compile(r"^(#{1,6} \S|```|\* \S|- \S|\d+\. \S|\|.+\|\s*$)", re.M)


@dataclass(frozen=True)
class Sniffed:
    """The real content type, and a warning when the name or declared type said otherwise."""

    content_type: str
    warning: str | None = None


def _extension(filename: str | None) -> str | None:
    if not filename or "." not in filename:
        return None
    return filename.rsplit(".", 1)[-1].lower()


def _zip_type(data: bytes) -> str:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, EOFError, ValueError) as exc:
        raise ExtractionError(
            "corrupted", "The file looks like a ZIP archive but cannot be read."
        ) from exc
    with archive:
        names = set(archive.namelist())
        if "mimetype" in names:
            info = archive.getinfo("mimetype")
            if info.file_size < 200:
                mimetype = archive.read(info).decode("ascii", "replace").strip()
                if mimetype == EPUB or mimetype.startswith(_ODF_PREFIX):
                    return mimetype
        if "word/document.xml" in names:
            return DOCX
        if "ppt/presentation.xml" in names:
            return PPTX
        if "xl/workbook.xml" in names:
            return XLSX
        if "META-INF/container.xml" in names:
            return EPUB
    return "application/zip"


def _text_type(data: bytes, hint: str | None) -> str:
    head = data[:4096]
    text = head.decode("utf-8", "ignore").lstrip("\ufeff")
    stripped = text.lstrip()
    if _HTML_START.match(text):
        return HTML
    if stripped.startswith("<"):
        return HTML if _HTML_TAGS.search(text) and not stripped.startswith("<?xml") else XML
    if stripped[:1] in {"{", "["}:
        try:
            json.loads(data.decode("utf-8-sig"))
        except (ValueError, UnicodeDecodeError):
            pass
        else:
            return JSON
    if _EMAIL_HEADER.match(head.lstrip()) and (b"\n\n" in data or b"\r\n\r\n" in data):
        return EML
    if hint in _TEXT_FAMILY:
        return hint
    if _MARKDOWN_HINTS.search(text):
        return MARKDOWN
    return TEXT


def _is_binary(data: bytes) -> bool:
    head = data[:8192]
    if b"\x00" in head:
        # UTF-16 text has NULs too; its byte order mark says so.
        return not head.startswith((b"\xff\xfe", b"\xfe\xff"))
    control = sum(1 for b in head if b < 9 or 13 < b < 32)
    return control > len(head) // 10


def sniff(data: bytes, *, filename: str | None = None, declared_type: str | None = None) -> Sniffed:
    """Return the content type of `data`, looking at magic numbers and ZIP members.

    Raises:
        ExtractionError: `empty` for no bytes, `unsupported_format` for binary data of a kind
            we do not read, `encrypted` for password-protected Office files.
    """
    if not data.strip():
        raise ExtractionError("empty", "The file is empty.")
    ext = _extension(filename)
    by_name = BY_EXTENSION.get(ext) if ext else None
    declared = declared_type.split(";")[0].strip().lower() if declared_type else None
    declared = _ALIASES.get(declared, declared) if declared else None
    if declared in _GENERIC:
        declared = None
    hint = by_name or declared

    if data[:1024].find(b"%PDF-") != -1:
        found = PDF
    elif data.startswith(b"PK\x03\x04"):
        found = _zip_type(data)
    elif data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        if "EncryptedPackage".encode("utf-16-le") in data:
            raise ExtractionError("encrypted", "The Office document is password-protected.")
        raise ExtractionError(
            "unsupported_format",
            "Legacy Office binary files (.doc, .xls, .ppt, .msg) are not supported; "
            "save the file as .docx, .xlsx or .pptx.",
        )
    elif data.lstrip().startswith(b"{\\rtf"):
        found = RTF
    elif image := next((m for magic, m in _IMAGE_MAGIC if data.startswith(magic)), None):
        found = image
    elif _is_binary(data):
        raise ExtractionError("unsupported_format", "The file is binary data of an unknown format.")
    else:
        found = _text_type(data, hint)

    warning = None
    for source, claimed in (("file name", by_name), ("declared type", declared)):
        if claimed and claimed != found and not {claimed, found} <= _TEXT_FAMILY:
            warning = (
                f"The {source} says {claimed} but the content is {found}; extracted as {found}."
            )
            break
    return Sniffed(found, warning)
