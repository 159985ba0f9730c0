"""The versioned API: one router, mounted at `/v1` and again at `/api/v1`."""

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


def build_api_router() -> APIRouter:
    """Every domain router under one router (prefix added by the app)."""
    api = APIRouter()
    api.include_router(health_router)
    api.include_router(auth_router)
    api.include_router(threads_router)
    api.include_router(runs_router)
    api.include_router(orchestrate_router)
    api.include_router(documents_router)
    api.include_router(extraction_router)
    api.include_router(retrieval_router)
    api.include_router(search_engines_router)
    api.include_router(query_engines_router)
    api.include_router(websources_router)
    api.include_router(custom_assistants_router)
    api.include_router(watsonx_assistants_router)
    api.include_router(external_agents_router)
    api.include_router(agents_router)
    api.include_router(knowledge_bases_router)
    api.include_router(usage_router)  # before /models/{model_id}
    api.include_router(llm_registry_router)
    api.include_router(llm_router)
    return api
