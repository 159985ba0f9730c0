"""Local (in-process) models."""
