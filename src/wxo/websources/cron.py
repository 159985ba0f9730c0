"""Cron expressions of refresh schedules, validated and evaluated with croniter."""

from __future__ import annotations

from datetime import UTC, datetime

from croniter import croniter

MACROS = frozenset(
    {"@hourly", "@daily", "@midnight", "@weekly", "@monthly", "@yearly", "@annually"}
)


def check_cron(expression: str) -> str:
    """The expression normalised to single spaces, if it is a valid 5-field cron or a macro.

    Raises:
        ValueError: says what is wrong.
    """
    normalised = " ".join(expression.lower().split())
    if normalised in MACROS:
        return normalised
    fields = normalised.split(" ")
    if len(fields) != 5:
        raise ValueError(
            "refresh_schedule must be a cron expression of 5 fields (minute hour day-of-month"
            f" month day-of-week), e.g. '0 3 * * *'; got {len(fields)} field(s)"
        )
    if not croniter.is_valid(normalised):
        raise ValueError(f"refresh_schedule {expression!r} is not a valid cron expression")
    return normalised


def next_run(expression: str, after: datetime) -> datetime:
    """The first time strictly after `after` the expression fires (UTC)."""
    start = after.astimezone(UTC)
    result = croniter(expression, start).get_next(datetime)
    assert isinstance(result, datetime)  # noqa: S101 - croniter returns the type asked for
    return result.astimezone(UTC)
