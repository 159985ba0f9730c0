"""Document Store: collections, documents, their bytes and extraction results."""
