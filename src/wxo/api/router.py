"""The versioned API: the domain routers, each mounted at `/v1` and again at `/api/v1`."""

from fastapi import APIRouter

from wxo.agents.router import router as agents_router
from wxo.assistants.router import router as custom_assistants_router
from wxo.assistants.watsonx_router import router as watsonx_assistants_router
from wxo.auth.router import router as auth_router
from wxo.documents.router import router as documents_router
from wxo.external_agents.router import router as external_agents_router
from wxo.extraction_api.router import router as extraction_router
from wxo.health.router import router as health_router
from wxo.knowledge_bases.router import router as knowledge_bases_router
from wxo.llm.registry_router import router as llm_registry_router
from wxo.llm.router import router as llm_router
from wxo.orchestrate.router import router as orchestrate_router
from wxo.query_engines.router import router as query_engines_router
from wxo.retrieval.router import router as retrieval_router
from wxo.runs.router import router as runs_router
from wxo.search_engines.router import router as search_engines_router
from wxo.threads.router import router as threads_router
from wxo.usage.router import router as usage_router
from wxo.websources.router import router as websources_router


def api_routers() -> list[APIRouter]:
    """Every domain router, in matching order; the app mounts each at `/v1` and `/api/v1`.

    Mounted one by one rather than under one parent router: each level of included routers
    costs FastAPI another match of the path on every request (about 55 us of 290 us of
    routing and auth, measured in-process). Message Threads come first: a chat client polls
    them, and routes are tried in order (none of the routes before them can match theirs).
    """
    return [
        threads_router,
        health_router,
        auth_router,
        runs_router,
        orchestrate_router,
        documents_router,
        extraction_router,
        retrieval_router,
        search_engines_router,
        query_engines_router,
        websources_router,
        custom_assistants_router,
        watsonx_assistants_router,
        external_agents_router,
        agents_router,
        knowledge_bases_router,
        usage_router,  # before /models/{model_id}
        llm_registry_router,
        llm_router,
    ]
