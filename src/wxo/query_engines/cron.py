"""Validation of 5-field cron expressions (minute hour day-of-month month day-of-week).

Each field: `*`, a number, a range `a-b`, any of these with a step `/n`, or a comma list of
them; months and weekdays also by their English three-letter names (`jan`, `mon`); weekday 0
and 7 are Sunday. Also the macros `@hourly`, `@daily`, `@weekly`, `@monthly`, `@yearly`.
"""

from __future__ import annotations

import re

MACROS = frozenset(
    {"@hourly", "@daily", "@midnight", "@weekly", "@monthly", "@yearly", "@annually"}
)
_MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
_DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
_FIELDS: tuple[tuple[str, int, int, dict[str, int]], ...] = (
    ("minute", 0, 59, {}),
    ("hour", 0, 23, {}),
    ("day of month", 1, 31, {}),
    ("month", 1, 12, {name: i for i, name in enumerate(_MONTHS, start=1)}),
    ("day of week", 0, 7, {name: i for i, name in enumerate(_DAYS)}),
)
_ITEM = re.compile(r"^(?P<range>\*|[0-9a-z]+(?:-[0-9a-z]+)?)(?:/(?P<step>[0-9]+))?$")


def _value(text: str, low: int, high: int, names: dict[str, int], field: str) -> int:
    value = names.get(text) if not text.isdigit() else int(text)
    if value is None or not low <= value <= high:
        raise ValueError(f"cron {field} must be {low}-{high}: got {text!r}")
    return value


def check_cron(expression: str) -> str:
    """The expression, normalised to single spaces, if valid.

    Raises:
        ValueError: says which field is wrong and why.
    """
    normalised = " ".join(expression.lower().split())
    if normalised in MACROS:
        return normalised
    parts = normalised.split(" ")
    if len(parts) != len(_FIELDS):
        raise ValueError(
            "refresh_schedule must be a cron expression of 5 fields (minute hour day-of-month"
            f" month day-of-week), e.g. '0 3 * * *'; got {len(parts)} field(s)"
        )
    for part, (field, low, high, names) in zip(parts, _FIELDS, strict=True):
        for item in part.split(","):
            match = _ITEM.match(item)
            if match is None:
                raise ValueError(f"cron {field}: cannot read {item!r}")
            if match.group("step") is not None and int(match.group("step")) < 1:
                raise ValueError(f"cron {field}: the step must be at least 1")
            span = match.group("range")
            if span == "*":
                continue
            bounds = [_value(b, low, high, names, field) for b in span.split("-")]
            if len(bounds) == 2 and bounds[0] > bounds[1]:
                raise ValueError(f"cron {field}: the range {span!r} runs backwards")
    return normalised
