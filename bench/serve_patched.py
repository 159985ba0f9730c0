"""`wxo serve` with runtime patches, for what-if benchmark runs (not how the server runs).

Used by ``bench/threads.py --patch NAME`` to measure what a server-side change would buy before
anyone makes it. Patches are named in ``WXO_BENCH_PATCHES`` (comma separated):

- ``inline-sync-deps``: run FastAPI's sync (``def``) dependencies inline instead of in the
  thread pool, as if ``wxo.api.deps``' sync dependencies were ``async def``.
- ``gc-freeze``: after the app is built, ``gc.collect(); gc.freeze()`` (start-up objects are
  never scanned again) and a gen-0 threshold of 20,000 instead of 700.
- ``no-pre-ping``: ``pool_pre_ping=False`` (no ``SELECT 1`` round trip per pool checkout).

Only the first API process is patched: use it without ``--workers``.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Callable
from types import ModuleType
from typing import Any


def _replace(module: ModuleType, name: str, make: Callable[[Any], Any]) -> None:
    """Replace `module.name` (a global the server looks up at call time) with make(original)."""
    setattr(module, name, make(getattr(module, name)))


def _inline_sync_deps() -> None:
    import fastapi.dependencies.utils as dep_utils

    async def run_inline(func: Any, *args: Any, **kwargs: Any) -> Any:
        return func(*args, **kwargs)

    _replace(dep_utils, "run_in_threadpool", lambda _original: run_inline)


def _gc_freeze() -> None:
    import wxo.runtime.serve as serve_module

    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        def create_app_then_freeze(*args: Any, **kwargs: Any) -> Any:
            app = original(*args, **kwargs)
            gc.collect()
            gc.freeze()
            gc.set_threshold(20_000, 10, 10)
            return app

        return create_app_then_freeze

    _replace(serve_module, "create_app", make)


def _no_pre_ping() -> None:
    import wxo.core.db as db_module

    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        def create_without_pre_ping(*args: Any, **kwargs: Any) -> Any:
            kwargs["pool_pre_ping"] = False
            return original(*args, **kwargs)

        return create_without_pre_ping

    _replace(db_module, "create_async_engine", make)


PATCHES = {
    "inline-sync-deps": _inline_sync_deps,
    "gc-freeze": _gc_freeze,
    "no-pre-ping": _no_pre_ping,
}


def main() -> None:
    """Apply the patches named in WXO_BENCH_PATCHES, then run the `wxo` command line."""
    for name in filter(None, os.environ.get("WXO_BENCH_PATCHES", "").split(",")):
        PATCHES[name]()
    from wxo.cli import main as wxo_main

    wxo_main()


if __name__ == "__main__":
    main()
