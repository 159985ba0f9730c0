"""RAG core: LlamaIndex adapters over our retrieval and Model Proxy, answers with citations."""
