"""Search Engine: a configured search product over one or more vector indices."""
