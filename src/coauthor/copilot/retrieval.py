"""TF-IDF search for the copilot: the index the pipeline's exemplars use as well."""

from __future__ import annotations

from coauthor.pipeline.similarity import STOP_WORDS, Index, content

__all__ = ["STOP_WORDS", "Index", "content"]
