"""The worker's warm-up loads what extraction loads on first use, before the pool forks."""

from __future__ import annotations

import logging

import pytest

from wxo.core.config import Settings
from wxo.documents.tasks import warm_up
from wxo.extraction import metadata


def test_warm_up_loads_the_language_model() -> None:
    metadata._language_identifier.cache_clear()

    warm_up(Settings())

    assert metadata._language_identifier.cache_info().currsize == 1


def test_an_extractor_that_fails_on_the_page_is_only_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = Settings()
    settings.documents.extractor = "tests.unit.documents.test_warm_up:refuse"

    with caplog.at_level(logging.WARNING):
        warm_up(settings)

    assert "failed on its warm-up page" in caplog.text


def refuse(data: bytes, **_: object) -> None:
    """An extractor that takes nothing."""
    raise ValueError("no HTML here")
