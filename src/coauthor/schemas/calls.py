"""What one request to a model is made of, and what the logbook keeps of it.

These sit below the model layer so the store can keep calls without importing it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypedDict


class Message(TypedDict):
    """One chat message as every OpenAI-compatible server takes it."""

    role: str
    content: str


@dataclass
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0

    def add(self, other: Usage) -> None:
        self.prompt_tokens += other.prompt_tokens
        self.completion_tokens += other.completion_tokens


@dataclass(frozen=True)
class CallRecord:
    """What the logbook keeps of one request to a model."""

    model: str
    messages: list[Message]
    reply: str
    usage: Usage
    latency_s: float
    error: str | None = None
