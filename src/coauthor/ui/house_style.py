"""The house style on the Settings page: the main choices as fields, everything as JSON,
a live preview (a sample chart and diagram drawn in the sandbox), versions and a reset."""

from __future__ import annotations

import functools

import streamlit as st
from pydantic import ValidationError

from coauthor.figures import (
    STYLE_DOCUMENT,
    HouseStyle,
    default_style,
    draw_chart,
    draw_diagram,
    house_style,
    installed_fonts,
    parse_style,
    save_style,
    style_text,
)
from coauthor.figures.draw import Drawn
from coauthor.figures.style import StyleError
from coauthor.sandbox import sandbox_for
from coauthor.schemas.figures import Figure, FigureKind
from coauthor.ui import common, resources
from coauthor.ui.figures import image_html

SAMPLE_CHART = """import matplotlib.pyplot as plt
days = list(range(0, 31, 3))
fig, ax = plt.subplots()
ax.plot(days, [100 * 0.93 ** d for d in days], marker="o", label="January cohort")
ax.plot(days, [100 * 0.9 ** d for d in days], marker="o", label="February cohort")
ax.axhline(40, color="black", linestyle="--")
ax.annotate("target", xy=(20, 40), xytext=(23, 60), arrowprops={"arrowstyle": "->"})
ax.set_xlabel("days since sign-up")
ax.set_ylabel("active users, %")
ax.set_title("Retention by cohort")
ax.legend()
"""
SAMPLE_DOT = """digraph {
  rankdir=LR;
  events [label="raw events"]; features [label="features"];
  model [label="model"]; report [label="report"];
  events -> features -> model -> report;
  model -> features [label="feedback", style=dashed];
}"""


@functools.lru_cache(maxsize=16)
def preview(style_json: str) -> tuple[Drawn, Drawn]:
    """The sample chart and diagram in a style (cached per style, per process)."""
    style = HouseStyle.model_validate_json(style_json)
    sandbox = sandbox_for(resources.settings().sandbox_python)
    return (
        draw_chart(SAMPLE_CHART, solution="", style=style, sandbox=sandbox),
        draw_diagram(SAMPLE_DOT, style=style, sandbox=sandbox),
    )


def section() -> None:
    st.subheader("House style for figures")
    st.caption(
        "Applied to every chart and diagram when it is drawn, whatever its code says. Every "
        "save is a new version; `coauthor figures render TASK_ID` redraws a task in it."
    )
    db = resources.store()
    versions = db.document_versions(STYLE_DOCUMENT)
    current = house_style(db)
    fonts = list(installed_fonts()) or [current.font]
    k = len(versions)
    shown = f"version {versions[-1].number}" if versions else "the default"
    st.caption(f"In force: {shown}.")
    row = st.columns(3)
    palette = row[0].text_input(
        "Palette (hex colours, in order)", value=", ".join(current.palette), key=f"hs_pal_{k}"
    )
    font = row[1].selectbox(
        "Font (installed here)",
        fonts,
        index=fonts.index(current.font) if current.font in fonts else 0,
        key=f"hs_font_{k}",
    )
    background = row[2].color_picker("Background", value=current.background, key=f"hs_bg_{k}")
    row = st.columns(3)
    size = row[0].number_input(
        "Font size", min_value=6.0, max_value=24.0, value=current.font_size, key=f"hs_size_{k}"
    )
    width = row[1].number_input(
        "Line width", min_value=0.5, max_value=6.0, value=current.line_width, key=f"hs_lw_{k}"
    )
    note_colour = row[2].color_picker(
        "Annotations", value=current.annotation_colour, key=f"hs_ann_{k}"
    )
    candidate: HouseStyle | None = None
    try:
        fields = current.model_copy(
            update={
                "palette": [c.strip() for c in palette.split(",") if c.strip()],
                "font": font,
                "background": background,
                "panel": background if current.panel == current.background else current.panel,
                "font_size": float(size),
                "title_size": float(size) + 2,
                "line_width": float(width),
                "annotation_colour": note_colour,
            }
        )
        candidate = HouseStyle.model_validate(fields.model_dump())
    except ValidationError as exc:
        st.error(f"The style is not valid: {common.message(exc)}", icon=":material/error:")
    with st.expander("Everything (JSON): sizes, colour map, grid, DOT attributes"):
        text = st.text_area(
            "House style (JSON)",
            value=style_text(candidate or current),
            height=300,
            key=f"hs_json_{k}_{(candidate or current).digest()[:12]}",
        )
        if text != style_text(candidate or current):
            try:
                candidate = parse_style(text)
            except StyleError as exc:
                candidate = None
                st.error(str(exc), icon=":material/error:")
    if candidate is not None:
        show_preview(candidate)
    buttons = st.columns(2)
    if buttons[0].button("Save house style", type="primary", disabled=candidate is None):
        assert candidate is not None
        if candidate == current:
            st.info("Nothing to save: this is the style in force.")
        else:
            number = save_style(db, candidate, note="edited in the studio")
            common.flash(f"House style saved as version {number}.")
            st.rerun()
    if buttons[1].button("Reset house style to default"):
        if current == default_style():
            st.info("The house style is already the default.")
        else:
            number = save_style(db, default_style(), note="reset to the default")
            common.flash(f"House style reset to the default (version {number}).")
            st.rerun()


def show_preview(style: HouseStyle) -> None:
    with st.spinner("Drawing the preview in the sandbox…"):
        chart, diagram = preview(style.model_dump_json())
    cols = st.columns(2)
    for col, drawn, name, kind in (
        (cols[0], chart, "sample-chart", FigureKind.chart),
        (cols[1], diagram, "sample-diagram", FigureKind.diagram),
    ):
        with col:
            if not drawn.ok:
                st.error(f"The preview failed: {drawn.error}", icon=":material/error:")
                continue
            figure = Figure(
                name=name,
                kind=kind,
                caption=f"Preview: a {kind.value} in this style",
                alt=f"A sample {kind.value} drawn in the house style",
                png=drawn.png_base64,
            )
            st.html(image_html(figure))
