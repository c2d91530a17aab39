"""Model backends behind one interface."""

from coauthor.llm.base import (
    CallRecord,
    Completion,
    InvalidReplyError,
    Message,
    Model,
    ModelError,
    ModelUnavailableError,
    Usage,
)

__all__ = [
    "CallRecord",
    "Completion",
    "InvalidReplyError",
    "Message",
    "Model",
    "ModelError",
    "ModelUnavailableError",
    "Usage",
]
