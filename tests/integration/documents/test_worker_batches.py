"""A real worker takes a batch upload as one extract job; a flaky document fails on its own."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.conftest import TenantUser
from tests.integration.documents.workers import WorkerProcess, wait_for_status
from wxo.core.config import Settings


async def test_a_batch_is_one_job_and_a_transient_failure_retries_only_its_document(
    settings: Settings, live_client: httpx.AsyncClient, live_tenant: TenantUser, tmp_path: Path
) -> None:
    worker = WorkerProcess(
        settings,
        tmp_path / "worker.log",
        extractor="tests.integration.documents.fake_extractor:extract",
        extra_env={"WXO_DOCUMENTS__MAX_RETRIES": "1", "WXO_DOCUMENTS__RETRY_BACKOFF_MAX": "1"},
    )
    try:
        headers = live_tenant.headers
        collection = await live_client.post(
            "/v1/document-collections",
            json={"name": "worker-batch", "settings": {"default_index": False}},
            headers=headers,
        )
        uploaded = await live_client.post(
            f"/v1/document-collections/{collection.json()['id']}/documents",
            files=[
                ("files", ("one.md", b"# One\n\nFirst document.")),
                ("files", ("flaky.md", b"FLAKY: the backend times out")),
                ("files", ("two.md", b"# Two\n\nSecond document.")),
            ],
            headers=headers,
        )
        assert uploaded.status_code == 202, uploaded.text
        ids = {e["filename"]: e["document"]["id"] for e in uploaded.json()["data"]}

        final = await wait_for_status(
            live_client, headers, ids.values(), within=60, workers=[worker]
        )
    finally:
        worker.stop()

    assert {name: final[i]["status"] for name, i in ids.items()} == {
        "one.md": "ready", "flaky.md": "failed", "two.md": "ready",
    }  # fmt: skip
    error = final[ids["flaky.md"]]["status_detail"]["error"]
    assert error["code"] == "retries_exhausted"
    assert "after 2 attempts" in error["message"]
    for name in ("one.md", "two.md"):
        extract = final[ids[name]]["status_detail"]["stages"][0]
        assert (extract["name"], extract["batch"]) == ("extract", 2)  # stored together
    # The upload's one job stored two documents together (above) and asked for a retry of the
    # third (other tests' jobs may share this Redis: the log is not counted).
    assert "retry: Retry in 1s" in worker.log_path.read_text()
