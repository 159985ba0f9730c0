"""Alembic environment: the URL comes from `config.attributes["url"]` or WXO_DATABASE_URL."""

from alembic import context
from sqlalchemy import create_engine, pool

from wxo.core.config import Settings, normalise_dsn
from wxo.models import metadata

config = context.config
target_metadata = metadata


def _url() -> str:
    url = config.attributes.get("url") or Settings().database.url
    if not url:
        raise RuntimeError("No database URL: set WXO_DATABASE_URL or use `wxo migrate`")
    return normalise_dsn(str(url))


def run_migrations_offline() -> None:
    """Emit SQL without a connection."""
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run against a live database (a passed-in connection wins)."""
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=target_metadata, compare_type=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(_url(), poolclass=pool.NullPool)
    with engine.connect() as conn:
        context.configure(connection=conn, target_metadata=target_metadata, compare_type=True)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
