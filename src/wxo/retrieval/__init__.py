"""Vector Index and Retrieval: indices over collections, chunks, BM25 and vector search."""
