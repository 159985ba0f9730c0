"""Alembic is the schema authority: the stairway works and models match the migrations."""

import uuid
from collections.abc import Iterator

import psycopg
import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy.engine import make_url

from wxo.core import migrate
from wxo.core.config import Settings


@pytest.fixture
def scratch_database(settings: Settings) -> Iterator[str]:
    """A new, empty database on the test server; dropped afterwards."""
    url = make_url(settings.require_database_url())
    name = f"wxo_mig_{uuid.uuid4().hex[:8]}"
    admin_dsn = url.set(drivername="postgresql", database="postgres").render_as_string(False)
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name).render_as_string(False)
    finally:
        with psycopg.connect(admin_dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


def _tables(url: str) -> set[str]:
    dsn = make_url(url).set(drivername="postgresql").render_as_string(False)
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
        ).fetchall()
    return {row[0] for row in rows}


def test_migrations_stairway_up_down_up(scratch_database: str) -> None:
    cfg = migrate.alembic_config(scratch_database)
    revisions = list(ScriptDirectory.from_config(cfg).walk_revisions("base", "heads"))
    revisions.reverse()
    assert revisions, "no migrations found"
    for revision in revisions:
        command.upgrade(cfg, revision.revision)
        command.downgrade(cfg, str(revision.down_revision or "base"))
        command.upgrade(cfg, revision.revision)
    assert {"tenant", "app_user", "api_token", "thread", "thread_message"} <= _tables(
        scratch_database
    )
    command.downgrade(cfg, "base")
    assert _tables(scratch_database) == {"alembic_version"}


def test_models_and_migrations_do_not_drift(scratch_database: str) -> None:
    cfg = migrate.alembic_config(scratch_database)
    command.upgrade(cfg, "head")
    command.check(cfg)  # raises if autogenerate would emit any operation


def test_pgvector_extension_is_available(scratch_database: str) -> None:
    migrate.upgrade(scratch_database)
    dsn = make_url(scratch_database).set(drivername="postgresql").render_as_string(False)
    with psycopg.connect(dsn) as conn:
        row = conn.execute(
            "SELECT extversion FROM pg_extension WHERE extname = 'vector'"
        ).fetchone()
        assert row is not None
        assert conn.execute("SELECT '[1,2,3]'::vector <=> '[1,2,4]'::vector").fetchone() is not None
