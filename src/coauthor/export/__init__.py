"""Exports of a task, one module per format behind one interface."""

from coauthor.export.base import Exporter, ExportError, exporter, formats

__all__ = ["ExportError", "Exporter", "exporter", "formats"]
