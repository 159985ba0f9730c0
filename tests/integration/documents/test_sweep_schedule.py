"""The sweeper's schedule: Celery beat configuration, `wxo worker --beat`, the backlog guard."""

from __future__ import annotations

import uuid
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from celery import Celery

from wxo.core.config import DocumentSettings, Settings
from wxo.documents import tasks
from wxo.queue.celery_app import MAINTENANCE_QUEUE, SWEEP_TASK, create_celery
from wxo.worker import run_worker


def test_beat_schedule_runs_the_sweep_task_from_settings(settings: Settings) -> None:
    app = create_celery(
        settings.require_redis_url(),
        DocumentSettings(sweep_interval_seconds=30, sweep_stuck_after_seconds=120),
    )
    entry = app.conf.beat_schedule["documents-sweep"]
    assert entry["task"] == SWEEP_TASK == tasks.SWEEP_TASK
    assert entry["schedule"] == 30
    assert entry["kwargs"] == {"older_than_seconds": 120}
    assert entry["options"] == {"expires": 30, "queue": MAINTENANCE_QUEUE}
    # Every periodic task goes to the maintenance queue, so none counts as the sweep's backlog.
    assert {e["options"]["queue"] for e in app.conf.beat_schedule.values()} == {MAINTENANCE_QUEUE}


def test_beat_schedule_defaults_to_a_minute_and_zero_turns_it_off(settings: Settings) -> None:
    default = create_celery(settings.require_redis_url())
    assert default.conf.beat_schedule["documents-sweep"]["schedule"] == 60
    off = create_celery(settings.require_redis_url(), DocumentSettings(sweep_interval_seconds=0))
    assert off.conf.beat_schedule == {}


@pytest.mark.parametrize("beat", [True, False])
def test_worker_runs_embedded_beat_with_its_schedule_in_the_data_dir(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, beat: bool
) -> None:
    seen: list[list[str]] = []
    monkeypatch.setattr(Celery, "worker_main", lambda _app, argv: seen.append(argv))
    local = settings.model_copy(update={"data_dir": tmp_path})
    run_worker(local, concurrency=1, beat=beat)
    [argv] = seen
    schedule = tmp_path / "celery" / "beat-schedule"
    assert f"--queues=celery,{MAINTENANCE_QUEUE}" in argv  # jobs and the periodic tasks
    if beat:
        assert "--beat" in argv
        assert f"--schedule-filename={schedule}" in argv
        assert schedule.parent.is_dir()
    else:
        assert not any(a.startswith(("--beat", "--schedule")) for a in argv)


def test_sweep_backlog_guard_counts_messages_waiting_in_the_queue(settings: Settings) -> None:
    app = create_celery(settings.require_redis_url())
    app.conf.task_default_queue = f"sweep-test-{uuid.uuid4().hex[:8]}"
    maintenance = f"{app.conf.task_default_queue}-maintenance"
    task: Any = SimpleNamespace(app=app)
    try:
        assert tasks._queue_backlog(task) == 0
        app.send_task("wxo.nothing", queue=app.conf.task_default_queue)
        app.send_task("wxo.nothing", queue=app.conf.task_default_queue)
        app.send_task("wxo.nothing", queue=maintenance)  # a peer periodic task is not backlog
        assert tasks._queue_backlog(task) == 2
    finally:
        with app.connection_for_write() as connection:
            connection.default_channel.queue_purge(app.conf.task_default_queue)
            connection.default_channel.queue_purge(maintenance)
        app.close()


def test_sweep_does_nothing_while_messages_wait(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tasks, "_queue_backlog", lambda _task: 3)
    monkeypatch.setattr(tasks, "get_runtime", lambda _task: pytest.fail("must not run"))
    sweep: Any = tasks.sweep  # a Celery task object; `run` is the undecorated function
    assert sweep.run(older_than_seconds=1.0) == 0
