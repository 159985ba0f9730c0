"""E-mail messages (EML) with the standard library's `email` package."""

from __future__ import annotations

from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses

from wxo.extraction.builder import DocumentBuilder
from wxo.extraction.formats.html import add_html
from wxo.extraction.formats.text import add_plain_text


def _body(message: EmailMessage, builder: DocumentBuilder) -> None:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return
    content = part.get_content()
    if not isinstance(content, str):
        return
    if part.get_content_subtype() == "html":
        add_html(content, builder)
    else:
        add_plain_text(content, builder)


def extract_eml(data: bytes, builder: DocumentBuilder) -> None:
    """Subject as Title, addresses as EmailAddress elements, the body, image attachments."""
    message = BytesParser(policy=policy.default).parsebytes(data)
    if not isinstance(message, EmailMessage):  # pragma: no cover - policy.default guarantees it
        return
    subject = str(message.get("Subject", "")).strip()
    if subject:
        builder.title = subject
        builder.heading(subject, 1)
    for field in ("From", "To", "Cc"):
        for name, address in getaddresses(message.get_all(field, [])):
            if address:
                builder.add(
                    "EmailAddress", address, metadata={"field": field.lower(), "name": name or None}
                )
    _body(message, builder)
    skipped: list[str] = []
    for attachment in message.iter_attachments():
        if not isinstance(attachment, EmailMessage):
            continue
        payload = attachment.get_payload(decode=True)
        if attachment.get_content_maintype() == "image" and isinstance(payload, bytes):
            builder.image(payload, attachment.get_content_type(), caption=attachment.get_filename())
        else:
            skipped.append(attachment.get_filename() or attachment.get_content_type())
    if skipped:
        builder.warnings.append("Attachments not extracted: " + ", ".join(skipped) + ".")
