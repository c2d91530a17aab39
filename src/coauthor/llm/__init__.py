"""Model backends behind one interface."""

from coauthor.llm.base import (
    Capabilities,
    Completion,
    InvalidReplyError,
    Model,
    ModelError,
    ModelUnavailableError,
)
from coauthor.schemas.calls import CallRecord, Message, Usage

__all__ = [
    "CallRecord",
    "Capabilities",
    "Completion",
    "InvalidReplyError",
    "Message",
    "Model",
    "ModelError",
    "ModelUnavailableError",
    "Usage",
]
