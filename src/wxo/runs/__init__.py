"""Orchestrate runs: records, events, execution on workers, streams."""
