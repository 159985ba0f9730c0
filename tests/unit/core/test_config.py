"""Settings: nested sections from the environment, DSN normalisation, secret rules."""

from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError

from wxo.core.config import AuthSettings, ServerSettings, Settings, normalise_dsn


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql+asyncpg://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
    ],
)
def test_normalise_dsn_uses_psycopg3(given: str, expected: str) -> None:
    assert normalise_dsn(given) == expected


def test_settings_read_prefixed_nested_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("WXO_DATABASE_URL", "postgres://x@y/z")
    monkeypatch.setenv("WXO_SERVER__PORT", "9999")
    monkeypatch.setenv("WXO_DATA_DIR", str(tmp_path))
    settings = Settings(_env_file=None)
    assert settings.server.port == 9999
    assert settings.require_database_url() == "postgresql+psycopg://x@y/z"
    assert settings.data_dir == tmp_path


def test_production_refuses_placeholder_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WXO_ENVIRONMENT", "production")
    with pytest.raises(ValidationError, match="WXO_AUTH__SECRET_KEY"):
        Settings(_env_file=None)


def test_development_signing_key_is_generated_once_and_private(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, _env_file=None)
    key = settings.signing_key()
    assert len(key) >= 32
    assert settings.signing_key() == key
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


def test_secret_key_is_not_in_repr() -> None:
    settings = Settings(
        auth=AuthSettings(secret_key=SecretStr("super-secret-value")), _env_file=None
    )
    assert "super-secret-value" not in repr(settings)
    assert settings.signing_key() == "super-secret-value"


def test_unresolved_urls_raise_clearly() -> None:
    settings = Settings(_env_file=None)
    settings.database.url = None
    with pytest.raises(RuntimeError, match="database URL not resolved"):
        settings.require_database_url()


@pytest.mark.parametrize(("cores", "api", "workers"), [(1, 1, 1), (2, 2, 2), (16, 2, 4)])
def test_process_counts_follow_the_cores_up_to_their_caps(
    monkeypatch: pytest.MonkeyPatch, cores: int, api: int, workers: int
) -> None:
    monkeypatch.setattr("os.cpu_count", lambda: cores)
    server = ServerSettings()
    assert (server.workers, server.worker_concurrency) == (api, workers)


def test_worker_concurrency_is_read_from_the_environment_and_must_be_positive(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("WXO_SERVER__WORKER_CONCURRENCY", "3")
    assert Settings(_env_file=None).server.worker_concurrency == 3
    with pytest.raises(ValidationError):
        ServerSettings(worker_concurrency=0)
