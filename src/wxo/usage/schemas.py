"""Usage responses."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel

from wxo.usage.models import ModelUsage


class UsageRead(BaseModel):
    """One tenant's use of one model on one UTC day."""

    model: str
    day: date
    requests: int
    errors: int
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int
    avg_latency_ms: float

    @classmethod
    def of(cls, row: ModelUsage) -> UsageRead:
        """Shape a counter row."""
        return cls(
            model=row.model,
            day=row.day,
            requests=row.requests,
            errors=row.errors,
            prompt_tokens=row.prompt_tokens,
            completion_tokens=row.completion_tokens,
            total_tokens=row.prompt_tokens + row.completion_tokens,
            avg_latency_ms=round(row.latency_ms_total / row.requests, 1) if row.requests else 0.0,
        )


class UsagePage(BaseModel):
    """A page of usage rows (`{total, limit, offset, data}`)."""

    total: int
    limit: int
    offset: int
    data: list[UsageRead]
