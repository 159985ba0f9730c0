"""Errors of the Orchestrate Assistant (no HTTP here)."""

from __future__ import annotations

from wxo.core.errors import InvalidInputError


class ToolFailedError(Exception):
    """A tool call could not be carried out; its message is shown to the model, not the client."""


class NoUserMessageError(InvalidInputError):
    """A chat completion request without a user message to answer."""

    code = "no_user_message"
