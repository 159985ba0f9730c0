"""Celery tasks of runs: execute a run, and the beat sweep of runs whose worker died.

They share the document pipeline's per-process runtime (`wxo.documents.tasks.get_runtime`): one
event loop and one container per worker process. Messages are acknowledged late (the app's
`task_acks_late`): a message redelivered after a worker died finds its run no longer `pending`
and does nothing; the sweep fails that run once its heartbeat is stale.
"""

from __future__ import annotations

import importlib
import uuid
from collections.abc import Callable
from typing import cast

from celery import Task

from wxo.container import Container
from wxo.documents.tasks import get_runtime, run_in, task
from wxo.llm.service import proxy_for
from wxo.queue.celery_app import CeleryQueue
from wxo.runs import lifecycle, service
from wxo.runs.execution import Executor, RunEnv, default_executor

RUN_TASK = service.RUN_TASK
SWEEP_TASK = service.SWEEP_TASK


def load_executor(path: str) -> Executor:
    """`module:function` returning an Executor (settings `runs.executor`); empty: the default."""
    if not path:
        return default_executor()
    module_name, _, attribute = path.partition(":")
    factory = cast(Callable[[], Executor], getattr(importlib.import_module(module_name), attribute))
    return factory()


def _worker(container: Container) -> lifecycle.Worker:
    def env_for(tenant_id: uuid.UUID) -> RunEnv:
        return RunEnv(
            sessions=container.sessionmaker,
            proxy=proxy_for(container, tenant_id),
            settings=container.settings,
        )

    return lifecycle.Worker(
        sessions=container.sessionmaker,
        redis=container.redis,
        settings=container.settings.runs,
        env_for=env_for,
    )


@task(RUN_TASK)
def execute(self: Task, run_id: str) -> str:
    """Execute a pending run (anything else: nothing to do)."""
    runtime = get_runtime(self)
    container = runtime.container
    executor = load_executor(container.settings.runs.executor)
    try:
        return run_in(
            runtime, lifecycle.execute_run(_worker(container), executor, uuid.UUID(run_id))
        )
    finally:
        run_in(runtime, container.usage.flush())  # the worker's loop only runs during tasks


@task(SWEEP_TASK)
def sweep(self: Task) -> int:
    """Fail running runs with a stale heartbeat; re-send pending runs whose message was lost."""
    runtime = get_runtime(self)
    container = runtime.container
    failed, resent = run_in(
        runtime,
        service.sweep(
            container.sessionmaker,
            container.redis,
            container.queue,
            stale_after_seconds=container.settings.runs.stale_after_seconds,
            backlog=CeleryQueue(self.app).backlog(),
        ),
    )
    return len(failed) + len(resent)
