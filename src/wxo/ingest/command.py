"""`wxo ingest` glue: build the client and the progress bar, run, print, choose the exit code."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
from rich.console import Console

from wxo.ingest.client import ApiError, DocumentStoreClient
from wxo.ingest.report import BarProgress, render
from wxo.ingest.runner import IngestOptions, ingest

EXIT_OK = 0
EXIT_SOME_FAILED = 1
EXIT_ERROR = 2


def run_ingest_command(
    path: Path,
    *,
    collection: str,
    url: str,
    token: str,
    wait: bool,
    timeout: float,
    max_file_bytes: int,
    batch_files: int,
    as_json: bool,
) -> int:
    """Run one ingest; 0 when every file ended well, 1 if any failed or is pending, 2 on errors."""
    out = Console()
    err = Console(stderr=True)
    options = IngestOptions(
        max_file_bytes=max_file_bytes,
        batch_files=batch_files,
        wait=wait,
        wait_timeout=timeout,
    )
    try:
        with DocumentStoreClient(url, token) as client, BarProgress(err) as progress:
            summary = ingest(client, path, collection, options, progress)
    except ApiError as exc:
        err.print(f"[red]error:[/] the server refused: {exc}")
        return EXIT_ERROR
    except httpx.TransportError as exc:
        err.print(f"[red]error:[/] cannot reach {url}: {exc}")
        return EXIT_ERROR
    if as_json:
        out.out(json.dumps(summary.as_dict(), indent=2), highlight=False)
    else:
        render(summary, out)
    return EXIT_OK if summary.ok else EXIT_SOME_FAILED
