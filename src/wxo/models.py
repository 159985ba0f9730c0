"""Every domain's tables, imported in one place for Alembic's autogenerate and `alembic check`."""

from wxo.agents import models as agent_models
from wxo.assistants import models as assistant_models
from wxo.auth import models as auth_models
from wxo.core.db import Base
from wxo.documents import models as document_models
from wxo.external_agents import models as external_agent_models
from wxo.knowledge_bases import models as knowledge_base_models
from wxo.llm import models as llm_models
from wxo.query_engines import models as query_engine_models
from wxo.retrieval import models as retrieval_models
from wxo.runs import models as run_models
from wxo.search_engines import models as search_engine_models
from wxo.threads import models as thread_models
from wxo.usage import models as usage_models
from wxo.websources import models as websource_models

metadata = Base.metadata

__all__ = [
    "agent_models",
    "assistant_models",
    "auth_models",
    "document_models",
    "external_agent_models",
    "knowledge_base_models",
    "llm_models",
    "metadata",
    "query_engine_models",
    "retrieval_models",
    "run_models",
    "search_engine_models",
    "thread_models",
    "usage_models",
    "websource_models",
]
