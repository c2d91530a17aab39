"""Exports of a task, one module per format behind one interface."""

from coauthor.export.base import Exporter, ExportError, ExportFormat, exporter, formats

__all__ = ["ExportError", "ExportFormat", "Exporter", "exporter", "formats"]
