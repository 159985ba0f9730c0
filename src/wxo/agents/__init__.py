"""Agents: native agents (`/v1/orchestrate/agents`) and the spec the agent loop runs."""
