"""The `wxo` command: serve, worker, migrate and admin tasks."""

from __future__ import annotations

import asyncio
import sys
import uuid
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from wxo.auth import service as auth_service
from wxo.auth.exceptions import InvalidTokenError
from wxo.auth.schemas import TenantCreate
from wxo.core import migrate as migrations
from wxo.core.config import DocumentSettings, Settings, get_settings
from wxo.core.db import create_engine, create_sessionmaker
from wxo.core.errors import AppError
from wxo.core.logging import configure_logging
from wxo.runtime.services import backing_services

T = TypeVar("T")

app = typer.Typer(help="wxo: an open, self-hosted WxO Server API.", no_args_is_help=True)
admin = typer.Typer(help="Tenants, users and tokens.", no_args_is_help=True)
app.add_typer(admin, name="admin")


def _settings() -> Settings:
    settings = get_settings()
    configure_logging(settings.log_level)
    return settings


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to bind")] = None,
    port: Annotated[int | None, typer.Option(help="Port to bind")] = None,
    workers: Annotated[int | None, typer.Option(help="API processes")] = None,
    worker_concurrency: Annotated[
        int | None,
        typer.Option(help="Celery worker processes (default: one per core, at most four)"),
    ] = None,
    no_worker: Annotated[bool, typer.Option("--no-worker", help="Do not start a worker")] = False,
) -> None:
    """Start the server (embedded PostgreSQL and Redis unless URLs are configured) and a worker."""
    from wxo.runtime.serve import serve as run_serve

    settings = _settings()
    if host:
        settings.server.host = host
    if port:
        settings.server.port = port
    if workers:
        settings.server.workers = workers
    if worker_concurrency:
        settings.server.worker_concurrency = worker_concurrency
    run_serve(
        settings,
        worker_concurrency=settings.server.worker_concurrency,
        with_worker=not no_worker,
    )


@app.command()
def worker(
    concurrency: Annotated[int, typer.Option(help="Worker processes")] = 1,
    beat: Annotated[
        bool,
        typer.Option(
            "--beat", help="Also run the periodic tasks (the sweeper); in exactly one worker"
        ),
    ] = False,
) -> None:
    """Run a Celery worker (needs WXO_DATABASE_URL and WXO_REDIS_URL)."""
    from wxo.worker import run_worker

    settings = _settings()
    run_worker(settings, concurrency=concurrency, loglevel=settings.log_level, beat=beat)


@app.command()
def ingest(
    path: Annotated[
        Path,
        typer.Argument(exists=True, readable=True, help="A folder (walked recursively) or file"),
    ],
    collection: Annotated[str, typer.Option(help="Collection name (created when missing)")],
    url: Annotated[
        str, typer.Option(envvar="WXO_URL", help="Server URL")
    ] = "http://127.0.0.1:4321",
    token: Annotated[
        str | None,
        typer.Option(envvar="WXO_TOKEN", help="Bearer token [default: <data dir>/dev-token]"),
    ] = None,
    wait: Annotated[
        bool, typer.Option("--wait/--no-wait", help="Follow the documents until ready or failed")
    ] = True,
    timeout: Annotated[float, typer.Option(help="Longest wait for processing, seconds")] = 1800.0,
    max_file_size: Annotated[
        int, typer.Option(help="Skip larger files, bytes (the server's limit)")
    ] = DocumentSettings().max_file_bytes,
    batch_files: Annotated[int, typer.Option(min=1, help="Files per upload request")] = 32,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON")] = False,
) -> None:
    """Load a folder into a collection over HTTP: skips unchanged files, reports every failure."""
    from wxo.ingest.command import run_ingest_command

    code = run_ingest_command(
        path,
        collection=collection,
        url=url,
        token=token or _dev_token(),
        wait=wait,
        timeout=timeout,
        max_file_bytes=max_file_size,
        batch_files=batch_files,
        as_json=as_json,
    )
    raise typer.Exit(code)


def _dev_token() -> str:
    path = get_settings().data_dir / "dev-token"
    try:
        return path.read_text().strip()
    except OSError:
        raise typer.BadParameter(
            f"no --token, no WXO_TOKEN and no {path} (start `wxo serve` or pass a token)",
            param_hint="--token",
        ) from None


@app.command()
def migrate() -> None:
    """Apply database migrations up to the newest revision."""
    settings = _settings()
    with backing_services(settings, with_redis=False) as resolved:
        migrations.upgrade(resolved.require_database_url())
    typer.echo("database is at the newest revision", err=True)


def _run_admin(action: Callable[[Settings], Coroutine[Any, Any, T]]) -> T:
    """Run an admin action against a migrated database; domain errors exit with status 1."""
    settings = _settings()
    with backing_services(settings, with_redis=False) as resolved:
        migrations.upgrade(resolved.require_database_url())
        try:
            return asyncio.run(action(resolved))
        except AppError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(1) from exc


async def _with_session(settings: Settings, action: Callable[[AsyncSession], Awaitable[T]]) -> T:
    engine = create_engine(settings.require_database_url(), pool_size=1, max_overflow=0)
    try:
        async with create_sessionmaker(engine)() as session:
            return await action(session)
    finally:
        await engine.dispose()


@admin.command("create-user")
def create_user(
    username: Annotated[str, typer.Option(help="User name")],
    password: Annotated[
        str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True, help="Password")
    ],
    tenant: Annotated[str | None, typer.Option(help="Also add the user to this tenant")] = None,
) -> None:
    """Create a user (optionally a member of an existing tenant)."""

    async def action(settings: Settings) -> str:
        async def run(session: AsyncSession) -> str:
            user = await auth_service.create_user(session, username=username, password=password)
            if tenant:
                await auth_service.add_member(session, tenant_name=tenant, username=username)
            return str(user.id)

        return await _with_session(settings, run)

    typer.echo(_run_admin(action))


@admin.command("create-tenant")
def create_tenant(
    name: Annotated[str, typer.Option(help="Tenant name")],
    user: Annotated[str | None, typer.Option(help="Make this existing user a member")] = None,
    title: Annotated[str | None, typer.Option(help="Display title")] = None,
) -> None:
    """Create a tenant and print its id."""

    async def action(settings: Settings) -> str:
        async def run(session: AsyncSession) -> str:
            tenant = await auth_service.create_tenant(
                session,
                user_id=None,
                data=TenantCreate(name=name, title=title),
            )
            if user:
                await auth_service.add_member(session, tenant_name=name, username=user)
            return str(tenant.id)

        return await _with_session(settings, run)

    typer.echo(_run_admin(action))


@admin.command("create-token")
def create_token(
    tenant: Annotated[str, typer.Option(help="Tenant name (created when missing)")],
    user: Annotated[str, typer.Option(help="User name (created when missing)")],
    name: Annotated[str | None, typer.Option(help="A label for the token")] = None,
) -> None:
    """Print a tenant-scoped token alone on stdout, creating the tenant and user when missing."""

    async def action(settings: Settings) -> str:
        async def run(session: AsyncSession) -> str:
            return await auth_service.create_token_for(
                session,
                key=settings.signing_key(),
                tenant_name=tenant,
                username=user,
                name=name,
            )

        return await _with_session(settings, run)

    sys.stdout.write(_run_admin(action) + "\n")


@admin.command("revoke-token")
def revoke_token(
    token: Annotated[str, typer.Argument(help="The token, or its id (the JWT `jti`)")],
) -> None:
    """Revoke a token; it stops working at once (within the API's short token cache)."""

    async def action(settings: Settings) -> str:
        try:
            token_id = uuid.UUID(token)
        except ValueError:
            try:
                token_id = auth_service.token_id_of(settings.signing_key(), token)
            except InvalidTokenError as exc:
                raise typer.BadParameter(
                    "not a token id nor a token signed by this server"
                ) from exc

        async def run(session: AsyncSession) -> str:
            await auth_service.revoke_token(session, token_id=token_id)
            return str(token_id)

        return await _with_session(settings, run)

    typer.echo(f"revoked {_run_admin(action)}", err=True)


def main() -> None:
    """Entry point of the `wxo` script."""
    app()
