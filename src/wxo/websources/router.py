"""Web source and refresh routes (ours): crawl configuration, refresh, refresh runs."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, status

from wxo.api.deps import ContainerDep, CurrentTenant, SessionDep
from wxo.documents.dependencies import OwnedCollection
from wxo.websources import service
from wxo.websources.dependencies import OwnedRun, QueueDep
from wxo.websources.schemas import (
    RefreshRunPage,
    RefreshRunRead,
    WebSourceRead,
    WebSourceWrite,
)

router = APIRouter(tags=["Web sources and refresh"])

_COLLECTION_404: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such collection in the caller's tenant (or it has no web source)"}
}


@router.put(
    "/document-collections/{collection_id}/web-source",
    response_model=WebSourceRead,
    responses={
        **_COLLECTION_404,
        400: {"description": "A seed or sitemap URL points to an address the server refuses"},
    },
)
async def put_web_source(
    session: SessionDep,
    container: ContainerDep,
    principal: CurrentTenant,
    collection: OwnedCollection,
    body: WebSourceWrite,
) -> WebSourceRead:
    """Feed the collection from a website: seed URLs and/or a sitemap, crawled breadth-first.

    Creating or replacing the configuration does not crawl: `POST .../refresh` (or the
    `refresh_schedule`) does. Each crawl fetches at most `max_pages` pages, `max_depth` links
    away from a seed or sitemap entry, each at most `max_page_bytes`; robots.txt is obeyed (user
    agent `wxo-fetch`), and every fetch and every redirect hop goes through the URL-safety rules
    (no loopback, private, link-local or metadata address unless allow-listed by the
    administrator). Each page becomes a document whose `source_uri` is its URL.
    """
    return await service.put_web_source(
        session, container.settings.documents, principal, collection, body
    )


@router.get(
    "/document-collections/{collection_id}/web-source",
    response_model=WebSourceRead,
    responses=_COLLECTION_404,
)
async def get_web_source(
    session: SessionDep, principal: CurrentTenant, collection: OwnedCollection
) -> WebSourceRead:
    """The collection's web source and its schedule (404 if it has none)."""
    return await service.get_web_source(session, principal, collection)


@router.delete(
    "/document-collections/{collection_id}/web-source",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=_COLLECTION_404,
)
async def delete_web_source(
    session: SessionDep, principal: CurrentTenant, collection: OwnedCollection
) -> Response:
    """Stop feeding the collection from the website; the documents crawled so far stay."""
    await service.delete_web_source(session, principal, collection)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/document-collections/{collection_id}/refresh",
    response_model=RefreshRunRead,
    status_code=status.HTTP_202_ACCEPTED,
    responses=_COLLECTION_404,
)
async def refresh_collection(
    session: SessionDep,
    principal: CurrentTenant,
    collection: OwnedCollection,
    queue: QueueDep,
) -> RefreshRunRead:
    """Refresh the collection now, in the background: a refresh run (202).

    The web source (if any) is crawled again, and every document ingested from a URL is
    fetched again. A document whose content hash is unchanged is left alone (`unchanged`: not
    re-extracted, not re-indexed); a changed one gets its new content and only it is
    re-processed (`updated`); a page that answers 404/410, or that the crawl no longer
    reaches, is deleted with its chunks (`removed`). Idempotent: while a refresh of the
    collection is queued or running, this returns that run instead of starting another.
    """
    run, created = await service.request_refresh(session, principal, collection)
    if created:
        service.send_run(queue, run.id)
    return RefreshRunRead.of(run)


@router.get("/refresh-runs", response_model=RefreshRunPage)
async def list_refresh_runs(
    session: SessionDep,
    principal: CurrentTenant,
    collection_id: Annotated[
        uuid.UUID | None, Query(description="Only this collection's runs.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> RefreshRunPage:
    """The tenant's refresh runs (manual and scheduled), newest first, with counts and errors."""
    total, rows = await service.list_runs(
        session, principal, collection_id=collection_id, limit=limit, offset=offset
    )
    return RefreshRunPage(
        total=total, limit=limit, offset=offset, data=[RefreshRunRead.of(r) for r in rows]
    )


@router.get(
    "/refresh-runs/{run_id}",
    response_model=RefreshRunRead,
    responses={404: {"description": "No such refresh run in the caller's tenant"}},
)
async def get_refresh_run(run: OwnedRun) -> RefreshRunRead:
    """One refresh run: status, times, counts and the errors met (`url`, `code`, `message`)."""
    return RefreshRunRead.of(run)
