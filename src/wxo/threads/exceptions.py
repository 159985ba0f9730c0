"""Message Threads errors (no HTTP here: `wxo.api.errors` maps them)."""

from wxo.core.errors import InvalidInputError, NotFoundError


class ThreadNotFoundError(NotFoundError):
    """No live thread with this id in the caller's tenant (also after a soft delete)."""


class MessageNotFoundError(NotFoundError):
    """No message with this id in the thread."""


class LogsNotFoundError(NotFoundError):
    """No captured logs under this id (runs do not capture logs yet)."""


class InvalidParentMessageError(InvalidInputError):
    """`parent_message_id` names no message of the same thread."""


class InvalidCursorError(InvalidInputError):
    """An `after`/`before` cursor names no message of the thread."""
