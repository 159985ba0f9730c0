"""A LlamaIndex retriever over our retrieval (`wxo.retrieval.retrieve`), across several indices.

Each index is asked for `top_k` chunks; the lists are merged by score (a chunk found by several
queries or indices keeps its best score). A query bundle with `custom_embedding_strs` (HyDE)
is retrieved once per string. The retrieval itself embeds the text, so strings are what we pass.
Calls are serialised on the request's database session (LlamaIndex may gather them).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from typing import Any

from llama_index.core.retrievers import BaseRetriever
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode
from sqlalchemy.ext.asyncio import AsyncSession

from wxo.llm import service as proxy
from wxo.retrieval import retrieve as retrieval
from wxo.retrieval.models import VectorIndex
from wxo.retrieval.schemas import Mode, RetrieveFilters, RetrieveRequest, RetrieveResult

#: Longest query text sent to retrieval (its request limit).
MAX_QUERY_CHARS = 8000


def node_of(index_id: uuid.UUID, result: RetrieveResult) -> NodeWithScore:
    """A LlamaIndex node for a retrieved chunk (ids and document fields in its metadata)."""
    node = TextNode(
        id_=str(result.chunk_id),
        text=result.text,
        metadata={
            "chunk_id": str(result.chunk_id),
            "document_id": str(result.document_id),
            "collection_id": str(result.collection_id),
            "index_id": str(index_id),
            "title": result.document.title or result.document.name,
            "url": result.document.source_uri,
            "ord": result.metadata.get("chunk_index"),
            "page_number": result.page_number,
        },
    )
    return NodeWithScore(node=node, score=result.score)


class IndexRetriever(BaseRetriever):
    """The chunks of some vector indices that best match a query (async only)."""

    def __init__(
        self,
        session: AsyncSession,
        ctx: proxy.ProxyContext,
        indices: Sequence[VectorIndex],
        *,
        top_k: int,
        mode: Mode | None,
        filters: RetrieveFilters,
    ) -> None:
        """Retrieve `top_k` per index and query, in `mode` (None: each index's own)."""
        super().__init__()
        self._session = session
        self._ctx = ctx
        self._indices = list(indices)
        self._top_k = top_k
        self._mode: Mode | None = mode
        self._filters = filters
        self._lock = asyncio.Lock()
        self.timings_ms: dict[str, float] = {}
        self.queries: list[str] = []

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        raise NotImplementedError("IndexRetriever is async only: call aretrieve")

    async def _aretrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        texts = [t for t in query_bundle.embedding_strs if t.strip()] or [query_bundle.query_str]
        best: dict[str, NodeWithScore] = {}
        for query in texts:
            for node in await self.search(query[:MAX_QUERY_CHARS]):
                kept = best.get(node.node.node_id)
                if kept is None or (node.score or 0.0) > (kept.score or 0.0):
                    best[node.node.node_id] = node
        return sorted(best.values(), key=lambda n: -(n.score or 0.0))[: self._top_k]

    async def search(self, query: str) -> list[NodeWithScore]:
        """One query against every index, merged by score."""
        nodes: list[NodeWithScore] = []
        async with self._lock:
            self.queries.append(query)
            for index in self._indices:
                response = await retrieval.retrieve(
                    self._session,
                    self._ctx,
                    index,
                    RetrieveRequest(
                        query=query,
                        top_k=self._top_k,
                        mode=self._mode,
                        filters=self._filters,
                        highlight=False,
                    ),
                )
                for key, value in response.timings_ms.items():
                    name = f"retrieve_{key}"
                    self.timings_ms[name] = round(self.timings_ms.get(name, 0.0) + value, 2)
                nodes.extend(node_of(index.id, r) for r in response.results)
        nodes.sort(key=lambda n: -(n.score or 0.0))
        return nodes


def metadata(node: NodeWithScore) -> dict[str, Any]:
    """The node's metadata (typed helper)."""
    return dict(node.node.metadata)
