"""Query Engine (RAG) domain: configured engines over vector indices that answer with citations."""
