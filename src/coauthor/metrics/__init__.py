"""Steering by numbers: the logbook of model calls and decisions, and the metric hierarchy,
all computed from what the store keeps."""

from __future__ import annotations

from coauthor.metrics.logbook import LogFilter, call_cost, logbook, price_of
from coauthor.metrics.report import compute

__all__ = ["LogFilter", "call_cost", "compute", "logbook", "price_of"]
