"""A tiny extractor with the signature of `wxo.extraction.service.extract` (for pipeline tests).

Each paragraph becomes an element; a first line starting with `# ` is a Title. Bytes starting with
`FAIL:` raise a permanent `ExtractionError`, `FLAKY:` a transient one. `IMG` adds one image.

`embed` is a deterministic embedder with the signature of `wxo.retrieval.indexing.Embedder`
(fixed-size vectors from a hash of each text, no model), for running the index stage.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence

from wxo.extraction.base import (
    Element,
    Entity,
    ExtractedImage,
    Extraction,
    ExtractionError,
    Keyword,
)

PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489")


def extract(
    data: bytes, *, filename: str | None, declared_type: str | None, max_pages: int | None = None
) -> Extraction:
    """Split the text into paragraph elements."""
    text = data.decode()
    if text.startswith("FAIL:"):
        raise ExtractionError("unsupported_format", text[5:].strip())
    if text.startswith("FLAKY:"):
        raise ExtractionError("timeout", "try again", permanent=False)
    elements = []
    title_id = None
    for order, block in enumerate(p.strip() for p in text.split("\n\n") if p.strip()):
        if block.startswith("# "):
            title_id = f"e{order}"
            elements.append(Element(id=title_id, type="Title", text=block[2:], order=order))
        else:
            elements.append(
                Element(
                    id=f"e{order}", type="NarrativeText", text=block, order=order,
                    page_number=1, parent_id=title_id, metadata={"n": order},
                )
            )  # fmt: skip
    images = [ExtractedImage(id="img-1", mime_type="image/png", data=PNG, width=1, height=1)]
    return Extraction(
        content_type="text/markdown" if title_id else "text/plain",
        elements=elements,
        text="\n\n".join(e.text for e in elements),
        markdown=text,
        images=images if "IMG" in text else [],
        page_count=1,
        title=elements[0].text if title_id else None,
        language="en",
        keywords=[Keyword("fake", 0.5)],
        entities=[Entity("Ada", "PERSON", 2)],
    )


DIMENSIONS = 384  # as the default local model's vectors


async def embed(tenant_id: uuid.UUID, model: str | None, texts: Sequence[str]) -> list[list[float]]:
    """One `DIMENSIONS`-float vector per text, the same for the same text."""
    vectors = []
    for text in texts:
        digest = hashlib.sha256(text.encode()).digest()
        vectors.append([(digest[i % len(digest)] - 127.5) / 127.5 for i in range(DIMENSIONS)])
    return vectors
