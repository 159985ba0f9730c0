"""Generate the files of the pipeline fault tests (good, damaged and hostile), in memory."""

from __future__ import annotations

import io
import secrets
import zipfile

import docx
import pypdf

WORDS = ("alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa")


def pdf(lines: list[str]) -> bytes:
    """A one-page PDF with a text layer (Helvetica), with a correct cross-reference table."""
    content = "BT /F1 12 Tf 72 720 Td 14 TL " + " ".join(f"({line}) Tj T*" for line in lines)
    content += " ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content.encode()),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def encrypted_pdf(lines: list[str]) -> bytes:
    """The same PDF, encrypted with a random user password (it cannot be opened without it)."""
    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(io.BytesIO(pdf(lines))))
    writer.encrypt(user_password=secrets.token_hex(8), owner_password=secrets.token_hex(8))
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def docx_file(paragraphs: int, *, heading_every: int = 50, label: str = "Paragraph") -> bytes:
    """A DOCX with a heading every `heading_every` paragraphs of forty words each."""
    document = docx.Document()
    for i in range(paragraphs):
        if i % heading_every == 0:
            document.add_heading(f"Section {i // heading_every + 1}", level=1)
        words = " ".join(WORDS[(i + j) % len(WORDS)] for j in range(40))
        document.add_paragraph(f"{label} {i}: {words}.")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def zip_bomb_docx(member_bytes: int = 16 * 1024 * 1024) -> bytes:
    """A DOCX-shaped ZIP whose `word/document.xml` inflates about a thousand times."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/'
            '2006/content-types"/>',
        )
        archive.writestr("word/document.xml", b"<w:document>" + b" " * member_bytes)
    return buffer.getvalue()


def text_document(paragraphs: int, label: str) -> bytes:
    """Plain UTF-8 text: `paragraphs` paragraphs separated by blank lines."""
    return "\n\n".join(
        f"{label} paragraph {i}: " + " ".join(WORDS[(i + j) % len(WORDS)] for j in range(30)) + "."
        for i in range(paragraphs)
    ).encode()
