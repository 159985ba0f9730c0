"""Document collection use-cases: create, read, list with statistics, update, delete."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from wxo.auth.schemas import TenantPrincipal
from wxo.documents import repository
from wxo.documents.exceptions import CollectionNameTakenError, CollectionNotFoundError
from wxo.documents.models import DocumentCollection
from wxo.documents.schemas import CollectionCreate, CollectionStats, CollectionUpdate
from wxo.documents.service import DocumentIO, forget_unused_blobs


async def create_collection(
    session: AsyncSession, principal: TenantPrincipal, data: CollectionCreate
) -> DocumentCollection:
    """Create a collection in the caller's tenant.

    Raises:
        CollectionNameTakenError: the tenant already has a collection with this name.
    """
    if await repository.get_collection_by_name(session, principal.tenant_id, data.name):
        raise CollectionNameTakenError(data.name)
    try:
        collection = await repository.insert_collection(
            session,
            tenant_id=principal.tenant_id,
            values={
                "name": data.name,
                "title": data.title,
                "description": data.description,
                "tags": data.tags,
                "settings": data.settings.model_dump(mode="json"),
                "created_by": principal.user_id,
                "created_by_username": principal.username or None,
            },
        )
    except IntegrityError:  # a concurrent create won the race for the name
        raise CollectionNameTakenError(data.name) from None
    await session.commit()
    return collection


async def get_collection(
    session: AsyncSession, principal: TenantPrincipal, collection_id: uuid.UUID
) -> DocumentCollection:
    """The caller's collection. Raises `CollectionNotFoundError` (also for another tenant's)."""
    collection = await repository.get_collection(session, principal.tenant_id, collection_id)
    if collection is None:
        raise CollectionNotFoundError
    return collection


async def list_collections(
    session: AsyncSession,
    principal: TenantPrincipal,
    *,
    names: Sequence[str],
    tags: Sequence[str],
    limit: int,
    offset: int,
) -> tuple[int, Sequence[DocumentCollection]]:
    """The tenant's collections (optionally only these names / having all these tags)."""
    return await repository.list_collections(
        session, principal.tenant_id, names=names, tags=tags, limit=limit, offset=offset
    )


async def collection_stats(
    session: AsyncSession, collection_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, CollectionStats]:
    """Document counts (total and per status), bytes and chunks of each collection."""
    raw = await repository.collection_stats(session, collection_ids)
    stats: dict[uuid.UUID, CollectionStats] = {}
    for collection_id in collection_ids:
        per_status = raw.get(collection_id, {})
        stats[collection_id] = CollectionStats(
            documents=sum(v[0] for v in per_status.values()),
            by_status={status: v[0] for status, v in per_status.items()},
            bytes=sum(v[1] for v in per_status.values()),
            chunks=sum(v[2] for v in per_status.values()),
        )
    return stats


async def update_collection(
    session: AsyncSession, collection: DocumentCollection, data: CollectionUpdate
) -> DocumentCollection:
    """Change the fields sent. Raises `CollectionNameTakenError` on a name clash."""
    changes = data.model_dump(exclude_unset=True)
    for key in ("name", "tags", "settings"):
        if key in changes and changes[key] is None:
            changes.pop(key)  # not nullable: `null` leaves them as they are
    if "settings" in changes and data.settings is not None:
        changes["settings"] = data.settings.model_dump(mode="json")
    if "name" in changes and changes["name"] != collection.name:
        other = await repository.get_collection_by_name(
            session, collection.tenant_id, changes["name"]
        )
        if other is not None:
            raise CollectionNameTakenError(changes["name"])
    try:
        updated = await repository.update_collection(session, collection, changes)
    except IntegrityError:  # a concurrent write took the name
        raise CollectionNameTakenError(changes.get("name", collection.name)) from None
    await session.commit()
    return updated


async def delete_collection(
    session: AsyncSession, io: DocumentIO, collection: DocumentCollection
) -> None:
    """Delete a collection with its documents, their results and now unused blobs."""
    keys = await repository.blob_keys_of_collection(session, collection.id)
    await repository.delete_collection(session, collection)
    await session.commit()
    await forget_unused_blobs(session, io, keys)
