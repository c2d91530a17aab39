"""The team's house style for figures: a versioned document in the store, like the master
document. It is applied at render time whatever the figure's code or DOT says: matplotlib
rc settings around the code and a restyling pass over every artist after it, and Graphviz
attributes forced on every graph, node and edge."""

from __future__ import annotations

import functools
import hashlib
import json
import re
import subprocess
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from coauthor.store import Store

STYLE_DOCUMENT = "house-style"
"""The store's document name for the style (its versions are the history)."""

Colour = Annotated[str, StringConstraints(pattern=r"^#[0-9a-fA-F]{6}$")]
DotValue = Annotated[str, StringConstraints(max_length=100, pattern=r"^[^\"\\\n]*$")]
DotName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z_]{0,29}$")]

DEFAULT_FONT = "DejaVu Sans"
"""Shipped with matplotlib and in Debian's fonts-dejavu-core, so charts and diagrams agree."""


class StyleError(ValueError):
    """A house style that cannot be used (bad JSON, a font that is not installed)."""


class HouseStyle(BaseModel):
    """Everything a figure's look depends on; the hash of this is part of ``drawn_from``."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(default="Co-Author house style", max_length=100)
    palette: list[Colour] = Field(
        default=["#1b5e7a", "#e07a2e", "#3f9c6b", "#b5435a", "#7a5ba6", "#c9a227"],
        min_length=2,
        max_length=12,
        description="Series colours, in order; the first is the accent",
    )
    neutral: Colour = Field(default="#6b7280", description="Reference lines, greys, black")
    text: Colour = "#1f2937"
    background: Colour = "#fbfaf7"
    panel: Colour = Field(default="#fbfaf7", description="Background of the plotting area")
    grid: Colour = "#e3e0d8"
    colormap: list[Colour] = Field(
        default=["#fbfaf7", "#9cc3d5", "#1b5e7a"],
        min_length=2,
        max_length=8,
        description="Stops of the sequential colour map (heat maps, confusion matrices)",
    )
    font: str = Field(default=DEFAULT_FONT, max_length=80)
    font_size: float = Field(default=10.0, ge=6, le=24)
    title_size: float = Field(default=12.0, ge=6, le=32)
    title_weight: str = Field(default="bold", pattern=r"^(normal|bold)$")
    line_width: float = Field(default=2.2, ge=0.5, le=6)
    marker_size: float = Field(default=5.0, ge=1, le=20)
    width_in: float = Field(default=6.4, ge=2, le=12)
    height_in: float = Field(default=3.8, ge=1.5, le=10)
    dpi: int = Field(default=150, ge=50, le=300)
    annotation_colour: Colour = "#b5435a"
    annotation_size: float = Field(default=9.0, ge=6, le=20)
    dot_graph: dict[DotName, DotValue] = Field(
        default={"bgcolor": "#fbfaf7", "pad": "0.25", "nodesep": "0.45", "ranksep": "0.5"}
    )
    dot_node: dict[DotName, DotValue] = Field(
        default={
            "shape": "box",
            "style": "rounded,filled",
            "fillcolor": "#e8f1f5",
            "color": "#1b5e7a",
            "fontcolor": "#1f2937",
            "penwidth": "1.4",
            "fontsize": "11",
            "margin": "0.18,0.08",
        }
    )
    dot_edge: dict[DotName, DotValue] = Field(
        default={
            "color": "#6b7280",
            "fontcolor": "#1f2937",
            "penwidth": "1.3",
            "arrowsize": "0.8",
            "fontsize": "9",
        }
    )

    def digest(self) -> str:
        """A stable hash of the style (part of every figure's ``drawn_from``)."""
        text = json.dumps(self.model_dump(mode="json"), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()

    def dot_attributes(self) -> dict[str, dict[str, str]]:
        """Graph, node and edge attributes, with the font added."""
        font = {"fontname": self.font}
        return {
            "graph": {**font, **self.dot_graph},
            "node": {**font, **self.dot_node},
            "edge": {**font, **self.dot_edge},
        }

    def rc(self) -> dict[str, object]:
        """matplotlib rc settings (also set before the figure code runs)."""
        return {
            "figure.figsize": [self.width_in, self.height_in],
            "figure.dpi": self.dpi,
            "savefig.dpi": self.dpi,
            "figure.facecolor": self.background,
            "savefig.facecolor": self.background,
            "axes.facecolor": self.panel,
            "axes.edgecolor": self.neutral,
            "axes.labelcolor": self.text,
            "axes.titlesize": self.title_size,
            "axes.titleweight": self.title_weight,
            "axes.titlelocation": "left",
            "axes.labelsize": self.font_size,
            "axes.grid": True,
            "axes.axisbelow": True,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.prop_cycle": f"cycler('color', {list(self.palette)!r})",
            "grid.color": self.grid,
            "grid.linewidth": 0.8,
            "lines.linewidth": self.line_width,
            "lines.markersize": self.marker_size,
            "patch.edgecolor": self.background,
            "font.family": "sans-serif",
            "font.sans-serif": [self.font, DEFAULT_FONT],
            "font.size": self.font_size,
            "text.color": self.text,
            "xtick.color": self.text,
            "ytick.color": self.text,
            "xtick.labelsize": self.font_size - 1,
            "ytick.labelsize": self.font_size - 1,
            "legend.frameon": False,
            "legend.fontsize": self.font_size - 1,
            "svg.hashsalt": "coauthor",
            "svg.fonttype": "path",
            "image.cmap": "viridis",
        }


def default_style() -> HouseStyle:
    return HouseStyle()


def parse_style(text: str) -> HouseStyle:
    """A style from its JSON text; a font that is not installed here is refused."""
    try:
        style = HouseStyle.model_validate_json(text)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'style'}: {e['msg']}" for e in exc.errors()[:5]
        )
        raise StyleError(f"the house style is not valid: {problems}") from exc
    fonts = installed_fonts()
    if fonts and style.font not in fonts:
        raise StyleError(
            f"the font {style.font!r} is not installed here; installed: {', '.join(fonts)}"
        )
    return style


def style_text(style: HouseStyle) -> str:
    return json.dumps(style.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n"


def house_style(store: Store) -> HouseStyle:
    """The style in force: the latest version saved in the store, else the shipped default.
    A stored version that no longer validates (a font removed since) falls back to the
    default rather than failing every render."""
    saved = store.document(STYLE_DOCUMENT)
    if saved is None:
        return default_style()
    try:
        return parse_style(saved.text)
    except StyleError:
        return default_style()


def save_style(store: Store, style: HouseStyle, *, note: str = "") -> int:
    """A new version of the house style; returns its number."""
    return store.save_document(STYLE_DOCUMENT, style_text(style), note=note).number


@functools.cache
def installed_fonts() -> tuple[str, ...]:
    """Font families both matplotlib and fontconfig (Graphviz) find on this machine."""
    from matplotlib import font_manager

    ours = {entry.name for entry in font_manager.fontManager.ttflist}
    try:
        listed = subprocess.run(
            ["fc-list", ":", "family"], capture_output=True, text=True, timeout=20, check=True
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return tuple(sorted(ours))
    system = {name.strip() for line in listed.splitlines() for name in line.split(",")}
    both = sorted(ours & system)
    return tuple(both) if both else tuple(sorted(ours))


_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")
