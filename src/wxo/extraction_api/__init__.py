"""`POST /v1/extract`: the extraction library over HTTP, synchronous and unstored."""
