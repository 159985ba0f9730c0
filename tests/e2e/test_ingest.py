"""`wxo ingest` as a subprocess against a real `wxo serve`, and the sweeper run by its beat."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from tests.e2e.conftest import ServerProcess
from wxo.core.config import Settings
from wxo.runtime.services import backing_services

pytestmark = pytest.mark.e2e

# A PDF cut off after its header: the extractor refuses it with a reason.
BROKEN_PDF = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Ty"


@dataclass
class SweepingServer(ServerProcess):
    """`wxo serve` whose beat sweeps every second for documents stuck longer than 3 s."""

    def env(self) -> dict[str, str]:
        """The usual environment plus a fast sweeper."""
        env = super().env()
        env["WXO_DOCUMENTS__SWEEP_INTERVAL_SECONDS"] = "1"
        env["WXO_DOCUMENTS__SWEEP_STUCK_AFTER_SECONDS"] = "3"
        return env


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """One fast-sweeping `wxo serve` for this module."""
    instance = SweepingServer(data_dir=tmp_path_factory.mktemp("serve-ingest") / "data")
    instance.start()
    yield instance
    if instance.process is not None and instance.process.poll() is None:
        instance.stop()


def _tree(root: Path) -> Path:
    (root / "notes" / "deep").mkdir(parents=True)
    (root / ".git").mkdir()
    (root / "readme.txt").write_text("Plain text about the ingest command.\n")
    (root / "notes" / "guide.md").write_text("# Guide\n\nMarkdown with a *list*:\n\n- one\n- two\n")
    (root / "notes" / "deep" / "page.html").write_text(
        "<html><head><title>Page</title></head><body><p>Hello from HTML.</p></body></html>"
    )
    (root / "notes" / "broken.pdf").write_bytes(BROKEN_PDF)
    (root / ".git" / "config").write_text("[core]\n")  # hidden folder: never sent
    (root / "notes" / ".draft.md").write_text("hidden file: never sent\n")
    return root


def _ingest(server: ServerProcess, path: Path, *extra: str) -> tuple[int, dict[str, Any]]:
    result = subprocess.run(
        [
            *[sys.executable, "-m", "wxo", "ingest", str(path)],
            *["--collection", "ingest-e2e", "--url", server.url, "--json", "--timeout", "120"],
            *extra,
        ],
        env=server.env(),  # no --token: the CLI reads <data dir>/dev-token
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert "Traceback" not in result.stderr, result.stderr
    return result.returncode, json.loads(result.stdout)


def _outcomes(summary: dict[str, Any]) -> dict[str, str]:
    return {f["name"]: f["outcome"] for f in summary["files"]}


def _documents(server: ServerProcess, collection_id: str) -> dict[str, dict[str, Any]]:
    page = httpx.get(
        f"{server.url}/v1/documents",
        params={"collection_id": collection_id, "limit": 100},
        headers=server.headers,
    ).json()
    return {d["name"]: d for d in page["data"]}


def test_ingest_loads_tree_then_skips_unchanged_then_sends_only_the_changed_file(
    server: ServerProcess, tmp_path: Path
) -> None:
    root = _tree(tmp_path / "corpus")

    code, first = _ingest(server, root)
    assert code == 1  # the broken PDF failed
    assert first["collection"]["created"] is True
    assert _outcomes(first) == {
        "readme.txt": "ingested",
        "notes/guide.md": "ingested",
        "notes/deep/page.html": "ingested",
        "notes/broken.pdf": "failed",
    }
    assert first["counts"]["ingested"] == 3
    assert first["counts"]["failed"] == 1
    broken = next(f for f in first["files"] if f["name"] == "notes/broken.pdf")
    assert broken["reason"]
    documents = _documents(server, first["collection"]["id"])
    assert {n: d["status"] for n, d in documents.items()} == {
        "readme.txt": "ready",
        "notes/guide.md": "ready",
        "notes/deep/page.html": "ready",
        "notes/broken.pdf": "failed",
    }

    code, second = _ingest(server, root)
    assert code == 0
    assert second["collection"] == {**first["collection"], "created": False}
    assert set(_outcomes(second).values()) == {"unchanged"}
    assert second["counts"]["unchanged"] == 4

    (root / "notes" / "guide.md").write_text("# Guide\n\nRewritten: a new paragraph.\n")
    code, third = _ingest(server, root)
    assert code == 0
    assert _outcomes(third)["notes/guide.md"] == "ingested"
    assert third["counts"] == {**third["counts"], "ingested": 1, "unchanged": 3, "failed": 0}
    after = _documents(server, first["collection"]["id"])
    assert set(after) == set(documents)  # the changed file replaced its document's bytes
    guide = after["notes/guide.md"]
    assert guide["id"] == documents["notes/guide.md"]["id"]
    assert guide["version"] == documents["notes/guide.md"]["version"] + 1
    assert guide["status"] == "ready"
    text = httpx.get(f"{server.url}/v1/documents/{guide['id']}/text", headers=server.headers).json()
    assert "Rewritten" in text["text"]


def test_ingest_skips_files_over_the_size_limit_and_prints_a_table(
    server: ServerProcess, tmp_path: Path
) -> None:
    root = tmp_path / "sized"
    root.mkdir()
    (root / "small.txt").write_text("small enough\n")
    (root / "large.txt").write_text("x" * 5000)
    result = subprocess.run(
        [
            *[sys.executable, "-m", "wxo", "ingest", str(root), "--collection", "ingest-sized"],
            *["--url", server.url, "--token", server.token, "--max-file-size", "1000"],
        ],
        env=server.env(),
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "ingested" in result.stdout
    assert "large.txt" in result.stdout
    assert "over the server's limit of 1000" in result.stdout
    assert "small.txt" not in result.stdout  # only files not ingested are listed


def test_ingest_against_an_unreachable_server_fails_cleanly(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("a")
    result = subprocess.run(
        [
            *[sys.executable, "-m", "wxo", "ingest", str(tmp_path), "--collection", "x"],
            *["--url", "http://127.0.0.1:9", "--token", "t"],
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "cannot reach http://127.0.0.1:9" in result.stderr
    assert "Traceback" not in result.stderr


def test_beat_sweeper_re_enqueues_a_queued_document_without_a_job(
    server: ServerProcess, tmp_path: Path
) -> None:
    (tmp_path / "lost.txt").write_text("A document whose job was lost.\n")
    code, summary = _ingest(server, tmp_path, "--collection", "ingest-sweep")
    assert code == 0
    document_id = summary["files"][0]["document_id"]

    # Put it back to `queued`, long ago, with no job on the queue (as if the enqueue was lost).
    with backing_services(
        Settings(data_dir=server.data_dir, _env_file=None), with_redis=False
    ) as resolved:
        dsn = resolved.require_database_url().replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(
                "UPDATE document SET status = 'queued', "
                "updated_at = now() - interval '1 hour' WHERE id = %s",
                (document_id,),
            )
        deadline = time.monotonic() + 60
        status = "queued"
        while time.monotonic() < deadline:
            status = httpx.get(
                f"{server.url}/v1/documents/{document_id}/status", headers=server.headers
            ).json()["status"]
            if status == "ready":
                break
            time.sleep(0.5)
    assert status == "ready"
