"""Draws one chart inside the sandbox (copied into the work folder; never imported on the host).

The house style is set as matplotlib rc before the figure code runs, and imposed again on
every artist afterwards, so colours, fonts and lines the code chose itself come out in the
house style too. Exit status 3 with one line on stderr: the code failed (the error is the
author's); anything else abnormal is the sandbox's report.
"""

import contextlib
import json
import os
import sys
import traceback
from typing import TypedDict

os.environ["MPLCONFIGDIR"] = os.path.join(os.getcwd(), "mplconfig")
sys.path.insert(0, os.getcwd())  # the step's solution is importable as ``solution``

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
from matplotlib import colors as mcolors
from matplotlib.axes import Axes
from matplotlib.collections import Collection
from matplotlib.colors import Colormap, LinearSegmentedColormap
from matplotlib.figure import Figure
from matplotlib.text import Annotation, Text
from matplotlib.typing import ColorType

RGBA = tuple[float, float, float, float]


class Style(TypedDict):
    """The fields of the house style the driver reads (``style.json``)."""

    palette: list[str]
    neutral: str
    text: str
    background: str
    panel: str
    grid: str
    colormap: list[str]
    font: str
    font_size: float
    title_size: float
    title_weight: str
    line_width: float
    width_in: float
    height_in: float
    dpi: int
    annotation_colour: str
    annotation_size: float
    rc: dict[str, object]


def load_style() -> Style:
    with open("style.json", encoding="utf-8") as handle:
        style: Style = json.load(handle)
    return style


def rgba(row: object) -> RGBA:
    r, g, b, a = (float(v) for v in row)  # type: ignore[attr-defined]
    return (r, g, b, a)


class Painter:
    """Maps each distinct colour the code used to the next palette colour (greys to the
    neutral colour), so series that shared a colour still share one."""

    def __init__(self, style: Style) -> None:
        self.style = style
        self.mapping: dict[str, str] = {}

    def colour(self, value: ColorType) -> ColorType:
        try:
            r, g, b, a = mcolors.to_rgba(value)
        except (ValueError, TypeError):
            return value
        if a == 0:
            return (r, g, b, a)
        hi, lo = max(r, g, b), min(r, g, b)
        if hi - lo < 0.08:
            if lo > 0.93:
                return (r, g, b, a)  # white stays white (text on dark cells, gaps)
            return mcolors.to_rgba(self.style["neutral"], a)
        key = mcolors.to_hex((r, g, b))
        if key not in self.mapping:
            palette = self.style["palette"]
            self.mapping[key] = palette[len(self.mapping) % len(palette)]
        return mcolors.to_rgba(self.mapping[key], a)

    def is_neutral(self, value: ColorType) -> bool:
        try:
            r, g, b, _ = mcolors.to_rgba(value)
        except (ValueError, TypeError):
            return False
        return max(r, g, b) - min(r, g, b) < 0.08


def restyle(fig: Figure, style: Style) -> None:
    painter = Painter(style)
    cmap = LinearSegmentedColormap.from_list("house", style["colormap"])
    fig.set_facecolor(style["background"])
    axes = [ax for ax in fig.axes]
    for ax in axes:
        restyle_axes(ax, style, painter, cmap, colorbar=ax.get_label() == "<colorbar>")
    for text in fig.findobj(Text):
        restyle_text(text, style)
    width = style["width_in"]
    if len([ax for ax in axes if ax.get_label() != "<colorbar>"]) <= 1:
        fig.set_size_inches(width, style["height_in"])
    else:
        old_w, old_h = fig.get_size_inches()
        ratio = min(max(old_h / old_w, 0.35), 1.25)
        fig.set_size_inches(width, width * ratio)
    fig.set_dpi(style["dpi"])
    with contextlib.suppress(Exception):
        fig.tight_layout()


def restyle_axes(
    ax: Axes, style: Style, painter: Painter, cmap: Colormap, *, colorbar: bool
) -> None:
    ax.set_facecolor(style["panel"])
    for side, spine in ax.spines.items():
        spine.set_color(style["neutral"])
        spine.set_linewidth(0.8)
        if side in ("top", "right") and not colorbar:
            spine.set_visible(False)
    ax.tick_params(colors=style["text"], labelsize=style["font_size"] - 1)
    if colorbar:
        return
    has_image = bool(ax.images) or any(
        isinstance(c, Collection) and getattr(c.get_array(), "ndim", 0) >= 2 for c in ax.collections
    )
    if has_image:
        ax.grid(False)
    else:
        ax.grid(True, color=style["grid"], linewidth=0.8)
        ax.set_axisbelow(True)
    for line in ax.lines:
        colour, face, edge = (
            line.get_color(),
            line.get_markerfacecolor(),
            line.get_markeredgecolor(),
        )
        neutral = painter.is_neutral(colour)
        line.set_color(painter.colour(colour))
        line.set_markerfacecolor(painter.colour(face))
        line.set_markeredgecolor(painter.colour(edge))
        if line.get_linestyle() not in ("None", "", " "):
            line.set_linewidth(1.2 if neutral else style["line_width"])
    for collection in ax.collections:
        array = collection.get_array()
        if array is not None:
            collection.set_cmap(cmap)
            continue
        faces = collection.get_facecolor()
        if len(faces):
            collection.set_facecolor([painter.colour(rgba(c)) for c in faces])
        edges = collection.get_edgecolor()
        if len(edges) and not len(faces):
            collection.set_edgecolor([painter.colour(rgba(c)) for c in edges])
    for patch in ax.patches:
        face = patch.get_facecolor()
        patch.set_facecolor(painter.colour(face))
        if patch.get_fill():
            patch.set_edgecolor(style["background"])
        else:
            patch.set_edgecolor(painter.colour(patch.get_edgecolor()))
    for image in ax.images:
        array = image.get_array()
        if array is not None and getattr(array, "ndim", 0) == 2:
            image.set_cmap(cmap)
    for text in ax.texts:
        if isinstance(text, Annotation) and text.arrow_patch is not None:
            text.arrow_patch.set_color(style["annotation_colour"])
            text.arrow_patch.set_linewidth(1.2)
    title = ax.get_title()
    if title and not ax.get_title(loc="left"):
        ax.set_title("")
        ax.set_title(title, loc="left")
    legend = ax.get_legend()
    if legend is not None:
        handles, labels = ax.get_legend_handles_labels()
        if handles:
            ax.legend(handles, labels, frameon=False)


def restyle_text(text: Text, style: Style) -> None:
    text.set_fontfamily([style["font"], "DejaVu Sans"])
    colour = text.get_color()
    try:
        r, g, b, _ = mcolors.to_rgba(colour)
        white = min(r, g, b) > 0.93
    except (ValueError, TypeError):
        white = False
    axes = text.axes
    # white stays white only on the data (labels on dark heat-map cells): titles, axis
    # labels, ticks and legends sit on the house background
    white = white and axes is not None and any(text is own for own in axes.texts)
    if isinstance(text, Annotation):
        text.set_color(style["annotation_colour"])
        text.set_fontsize(style["annotation_size"])
    elif not white:
        text.set_color(style["text"])
    titles = () if axes is None else (axes.title, getattr(axes, "_left_title", None))
    if any(text is title for title in titles):
        text.set_fontsize(style["title_size"])
        text.set_fontweight(style["title_weight"])


def set_rc(style: Style) -> None:
    for name, value in style["rc"].items():
        matplotlib.rcParams[name] = value  # type: ignore[index]


def main() -> None:
    style = load_style()
    set_rc(style)
    with open("figure_code.py", encoding="utf-8") as handle:
        code = handle.read()
    namespace = {"__name__": "__main__", "__file__": "figure_code.py"}
    try:
        exec(compile(code, "figure_code.py", "exec"), namespace)
    except BaseException as exc:
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename != __file__]
        where = f" (figure code line {frames[-1].lineno})" if frames else ""
        if frames and frames[-1].filename != "figure_code.py":
            inside = [f for f in frames if f.filename == "figure_code.py"]
            where = f" (figure code line {inside[-1].lineno})" if inside else ""
        sys.stderr.write(f"FIGURE-ERROR {type(exc).__name__}: {exc}{where}\n")
        sys.exit(3)
    if not plt.get_fignums():
        sys.stderr.write("FIGURE-ERROR the code drew nothing: no matplotlib figure is open\n")
        sys.exit(3)
    set_rc(style)
    fig = plt.gcf()
    restyle(fig, style)
    fig.savefig("figure.png", format="png", metadata={"Software": None})
    fig.savefig(
        "figure.svg", format="svg", metadata={"Date": None, "Creator": None, "Format": None}
    )


if __name__ == "__main__":
    main()
