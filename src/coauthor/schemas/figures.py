"""Figures of a step: charts drawn by plotting code, diagrams from Graphviz DOT, and
images an author uploads. Each is placed in the story or theory by an anchor
``![caption](figure:NAME)`` and rendered in the team's house style."""

from __future__ import annotations

import hashlib
import re
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

FIGURE_ANCHOR = "figure:"
FigureName = Annotated[
    str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,59}$", min_length=1, max_length=60)
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FigureKind(StrEnum):
    chart = "chart"
    """matplotlib code, run in the sandbox with the step's solution importable."""
    diagram = "diagram"
    """A Graphviz DOT description."""
    upload = "upload"
    """An image file the author uploaded (PNG, JPEG or sanitised SVG)."""


class FigureStatus(StrEnum):
    pending = "pending"
    rendered = "rendered"
    failed = "failed"


class Figure(_Strict):
    """One picture of a step, with the source it is drawn from and its last rendering."""

    name: FigureName
    kind: FigureKind
    caption: str = Field(default="", max_length=300)
    alt: str = Field(default="", max_length=500, description="Alt text for screen readers")
    purpose: str = Field(default="", max_length=500, description="What it shows and why")
    source: str = Field(
        default="", max_length=30_000, description="Plotting code or DOT; empty for uploads"
    )
    status: FigureStatus = FigureStatus.pending
    error: str = Field(default="", max_length=4000)
    png: str = Field(default="", description="The rendered PNG (or uploaded JPEG), base64")
    svg: str = Field(default="", description="The rendered (or uploaded, sanitised) SVG text")
    media_type: str = Field(default="image/png", max_length=40)
    drawn_from: str = Field(
        default="",
        max_length=64,
        description="Hash of the step's code and style it was last drawn from (stale if changed)",
    )


def figure_name(text: str, taken: set[str] | frozenset[str] = frozenset()) -> str:
    """A valid, unused figure name made from any text (``Retention Curve!`` ->
    ``retention-curve``; ``figure``, ``figure-2`` ... when nothing is left or it is taken)."""
    slug = re.sub(r"[^a-z0-9_-]+", "-", text.lower()).strip("-_")[:50] or "figure"
    if not slug[0].isalnum():
        slug = f"f{slug}"[:50]
    name, number = slug, 2
    while name in taken:
        name, number = f"{slug}-{number}", number + 1
    return name


class FigureIdea(_Strict):
    """A figure the model proposes for a step (drawn afterwards, one by one): what to
    show and why. Kept short: it is part of the step's structured reply."""

    name: str = Field(min_length=1, max_length=60, description="Short slug, e.g. retention-curve")
    """Free text here (no pattern in the schema a model's grammar must follow); made a
    valid figure name with ``figure_name`` when the figure is drawn."""
    kind: Literal["chart", "diagram"] = Field(
        description="chart: matplotlib code; diagram: a Graphviz DOT flow or architecture"
    )
    caption: str = Field(min_length=1, max_length=200)
    alt: str = Field(default="", max_length=300, description="Alt text: what the image shows")
    purpose: str = Field(default="", max_length=300, description="What it shows and why")


def code_digest(figure: Figure, solution: str) -> str:
    """What a figure is drawn from besides the house style: its source and, for a chart
    (which may import it), the step's solution. ``drawn_from`` starts with 32 hex digits
    of it, so a figure whose code changed since it was drawn is stale."""
    parts = [figure.kind.value, figure.source]
    if figure.kind == FigureKind.chart:
        parts.append(solution)
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()


def is_stale(figure: Figure, solution: str) -> bool:
    """A drawn chart or diagram whose source or step solution changed since it was drawn
    (one that does not say what it was drawn from is not judged)."""
    if figure.kind == FigureKind.upload or figure.status != FigureStatus.rendered:
        return False
    if not figure.drawn_from:
        return False
    return figure.drawn_from[:32] != code_digest(figure, solution)[:32]
