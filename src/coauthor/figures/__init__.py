"""Figures in the house style: charts drawn by matplotlib code and diagrams from Graphviz
DOT, both rendered in the sandbox; uploaded images checked and sanitised."""

from coauthor.figures.draw import DiagramRefusedError, Drawn, check_dot, draw_chart, draw_diagram
from coauthor.figures.render import (
    FigureState,
    anchor,
    code_digest,
    drawn_from,
    figure_states,
    render_figure,
    render_step,
)
from coauthor.figures.style import (
    STYLE_DOCUMENT,
    HouseStyle,
    StyleError,
    default_style,
    house_style,
    installed_fonts,
    parse_style,
    save_style,
    style_text,
)
from coauthor.figures.upload import Upload, UploadError, read_upload

__all__ = [
    "STYLE_DOCUMENT",
    "DiagramRefusedError",
    "Drawn",
    "FigureState",
    "HouseStyle",
    "StyleError",
    "Upload",
    "UploadError",
    "anchor",
    "check_dot",
    "code_digest",
    "default_style",
    "draw_chart",
    "draw_diagram",
    "drawn_from",
    "figure_states",
    "house_style",
    "installed_fonts",
    "parse_style",
    "read_upload",
    "render_figure",
    "render_step",
    "save_style",
    "style_text",
]
