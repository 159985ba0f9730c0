"""Terminal output of `wxo ingest`: a rich progress bar while it runs, then a summary."""

from __future__ import annotations

from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.progress import Progress as RichProgress
from rich.table import Table

from wxo.ingest.runner import Outcome, Summary

_LABELS = {
    Outcome.INGESTED: "ingested",
    Outcome.QUEUED: "uploaded, not followed (--no-wait)",
    Outcome.UNCHANGED: "skipped (unchanged)",
    Outcome.SKIPPED: "skipped (other reasons)",
    Outcome.FAILED: "failed",
    Outcome.PENDING: "still processing",
}


class BarProgress:
    """A `runner.Progress` drawn with rich on a console (stderr in the CLI)."""

    def __init__(self, console: Console) -> None:
        """Draw on `console`."""
        self._bar = RichProgress(
            TextColumn("{task.description:<11}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=not console.is_terminal,
        )
        self._task: TaskID | None = None

    def __enter__(self) -> BarProgress:
        """Start drawing."""
        self._bar.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Stop drawing."""
        self._bar.stop()

    def start(self, phase: str, total: int) -> None:
        """Finish the previous bar and start one for `phase`."""
        if self._task is not None:
            self._bar.update(self._task, completed=self._bar.tasks[-1].total)
        self._task = self._bar.add_task(phase, total=total)

    def advance(self, amount: int = 1) -> None:
        """Move the current bar."""
        if self._task is not None:
            self._bar.advance(self._task, amount)


def render(summary: Summary, console: Console) -> None:
    """A count per outcome, then every file not ingested and not unchanged, with its reason."""
    verb = "created" if summary.collection_created else "existing"
    console.print(
        f"Collection [bold]{summary.collection_name}[/] ({verb}, {summary.collection_id})"
    )
    counts = Table(title="Summary", show_header=False)
    counts.add_column("outcome")
    counts.add_column("files", justify="right")
    for outcome, label in _LABELS.items():
        number = summary.count(outcome)
        if number or outcome in (Outcome.INGESTED, Outcome.UNCHANGED, Outcome.FAILED):
            counts.add_row(label, str(number))
    console.print(counts)
    notable = [
        r
        for r in sorted(summary.results, key=lambda r: r.name)
        if r.outcome in (Outcome.SKIPPED, Outcome.FAILED, Outcome.PENDING)
    ]
    if not notable:
        return
    details = Table(title="Not ingested")
    details.add_column("file", overflow="fold")
    details.add_column("outcome")
    details.add_column("reason", overflow="fold")
    for result in notable:
        details.add_row(result.name, result.outcome.value, result.reason or "")
    console.print(details)
