"""Figures in the studio: drawn inline where their anchors are, and a panel per step to
edit the code or DOT and re-render, regenerate with an instruction, upload and delete."""

from __future__ import annotations

import base64
import html
import re

import streamlit as st

from coauthor.figures import figure_states, read_upload, render_figure
from coauthor.figures.render import anchor
from coauthor.pipeline.figures import FigureDrawer, regenerate_figure
from coauthor.schemas import Step, Task
from coauthor.schemas.figures import Figure, FigureKind, FigureStatus
from coauthor.store import ConflictError, RevisionInfo
from coauthor.ui import common, resources

ANCHOR = re.compile(r"!\[([^\]]*)\]\(figure:([a-z0-9][a-z0-9_-]{0,59})\)")
STATE_ICONS = {
    "rendered": ":material/check_circle:",
    "failed": ":material/error:",
    "stale": ":material/update:",
    "pending": ":material/hourglass_empty:",
}


def image_html(figure: Figure, *, caption: str | None = None) -> str:
    """The figure as an ``<img>`` with its alt text (the PNG, else the sanitised SVG)."""
    alt = html.escape(figure.alt or figure.caption or figure.name, quote=True)
    shown = html.escape(caption if caption is not None else figure.caption)
    if figure.png:
        source = f"data:{figure.media_type};base64,{figure.png}"
    elif figure.svg:
        source = "data:image/svg+xml;base64," + base64.b64encode(figure.svg.encode()).decode()
    else:
        return f'<p class="figure-missing">Figure {html.escape(figure.name)} is not drawn yet.</p>'
    return (
        f'<figure class="coauthor-figure" data-figure="{html.escape(figure.name)}" '
        'style="margin: 0.5rem 0">'
        f'<img src="{source}" alt="{alt}" style="max-width: 100%; height: auto"/>'
        f'<figcaption style="font-size: 0.85rem; opacity: 0.75">{shown}</figcaption></figure>'
    )


def markdown_with_figures(text: str, step: Step) -> None:
    """Markdown where each ``![caption](figure:NAME)`` is drawn as the step's figure."""
    by_name = {figure.name: figure for figure in step.figures}
    position = 0
    for match in ANCHOR.finditer(text):
        before = text[position : match.start()]
        if before.strip():
            st.markdown(before)
        figure = by_name.get(match.group(2))
        if figure is None:
            st.caption(f"(no figure named {match.group(2)} in this step)")
        else:
            st.html(image_html(figure, caption=match.group(1)))
        position = match.end()
    rest = text[position:]
    if rest.strip():
        st.markdown(rest)


def drawer() -> FigureDrawer:
    return FigureDrawer.for_store(resources.store(), resources.settings())


def panel(task_id: int, loaded: RevisionInfo, *, number: int, step: Step, dirty: bool) -> None:
    """Every figure of a step with its state, and what an author can do with it."""
    house = drawer().style
    states = {state.name: state for state in figure_states(step, house)}
    if not step.figures:
        st.caption("No figures in this step yet: upload one below.")
    key = f"{task_id}_{loaded.number}_{number}"
    for index, figure in enumerate(step.figures):
        state = states[figure.name]
        with st.container(border=True, key=f"figure_{key}_{index}"):
            st.markdown(f"**{figure.name}** · {figure.kind.value} · {state.state}")
            icon = STATE_ICONS[state.state]
            if state.state == "failed":
                st.error(f"Figure {figure.name} failed: {state.detail}", icon=icon)
            elif state.state == "stale":
                st.warning(f"Figure {figure.name} is stale: {state.detail}", icon=icon)
            elif state.state == "pending":
                st.info(f"Figure {figure.name} is not drawn yet.", icon=icon)
            st.html(image_html(figure))
            figure_tools(task_id, loaded, number=number, index=index, figure=figure, dirty=dirty)
    upload_form(task_id, loaded, number=number, step=step, dirty=dirty)


def figure_tools(
    task_id: int, loaded: RevisionInfo, *, number: int, index: int, figure: Figure, dirty: bool
) -> None:
    key = f"{task_id}_{loaded.number}_{number}_{index}"
    label = "Plotting code" if figure.kind == FigureKind.chart else "DOT"
    source = figure.source
    if figure.kind != FigureKind.upload:
        source = str(st.text_area(label, value=figure.source, key=f"fig_src_{key}", height=200))
    cols = st.columns(2)
    caption = str(cols[0].text_input("Caption", value=figure.caption, key=f"fig_cap_{key}"))
    alt = str(cols[1].text_input("Alt text", value=figure.alt, key=f"fig_alt_{key}"))
    row = st.columns([2, 3, 2, 2], vertical_alignment="bottom")
    edited = figure.model_copy(update={"source": source, "caption": caption, "alt": alt})
    if figure.kind != FigureKind.upload and row[0].button(
        "Re-render", key=f"fig_render_{key}", icon=":material/brush:"
    ):
        with common.errors(f"re-render figure {figure.name}"):
            refuse_when_dirty(dirty)
            with st.spinner(f"Drawing {figure.name} in the sandbox…"):
                step = loaded.task.steps[number - 1]
                drawn = render_figure(edited, step, drawer().style, sandbox=drawer().sandbox)
            replace_figure(task_id, loaded, number, index, drawn, note=f"re-rendered {figure.name}")
    instruction = row[1].text_input(
        "Instruction", key=f"fig_instr_{key}", placeholder="show both cohorts"
    )
    if figure.kind != FigureKind.upload and row[2].button(
        "Regenerate figure", key=f"fig_regen_{key}", icon=":material/auto_awesome:"
    ):
        with common.errors(f"regenerate figure {figure.name}"):
            refuse_when_dirty(dirty)
            regenerate(task_id, loaded, number, figure.name, str(instruction))
    if row[3].button("Delete figure", key=f"fig_delete_{key}", icon=":material/delete:"):
        with common.errors(f"delete figure {figure.name}"):
            refuse_when_dirty(dirty)
            delete(task_id, loaded, number, index)
    text_changed = (caption, alt) != (figure.caption, figure.alt)
    if (
        figure.kind == FigureKind.upload
        and text_changed
        and st.button("Save caption and alt text", key=f"fig_text_{key}")
    ):
        with common.errors("save the caption"):
            replace_figure(task_id, loaded, number, index, edited, note="figure text")


def refuse_when_dirty(dirty: bool) -> None:
    if dirty:
        raise ValueError("save your edits first: figure changes are saved on the saved revision")


def regenerate(
    task_id: int, loaded: RevisionInfo, number: int, name: str, instruction: str
) -> None:
    task = loaded.task
    maker = drawer()
    with st.spinner(f"Rewriting figure {name} and drawing it…"):
        step = resources.ask(
            resources.settings(),
            task.brief.language,
            lambda ctx: regenerate_figure(
                ctx,
                task.steps[number - 1],
                name,
                maker,
                number=number,
                title=task.title,
                instruction=instruction,
            ),
            stage="edit",
            task_id=task_id,
        )
    said = f" ({instruction.strip()[:60]})" if instruction.strip() else ""
    save_step(
        task_id,
        loaded,
        number,
        step,
        note=f"step {number}: regenerated figure {name}{said}",
        drawn=name,
    )


def replace_figure(
    task_id: int, loaded: RevisionInfo, number: int, index: int, figure: Figure, *, note: str
) -> None:
    step = loaded.task.steps[number - 1]
    figures = list(step.figures)
    figures[index] = figure
    save_step(
        task_id,
        loaded,
        number,
        step.model_copy(update={"figures": figures}),
        note=f"step {number}: {note}",
        drawn=figure.name,
    )


def delete(task_id: int, loaded: RevisionInfo, number: int, index: int) -> None:
    step = loaded.task.steps[number - 1]
    gone = step.figures[index]
    pattern = re.compile(r"\n?!\[[^\]]*\]\(figure:" + re.escape(gone.name) + r"\)\n?")
    cleaned = step.model_copy(
        update={
            "figures": [f for i, f in enumerate(step.figures) if i != index],
            "story": pattern.sub("\n", step.story).strip("\n"),
            "theory": pattern.sub("\n", step.theory).rstrip("\n"),
        }
    )
    save_step(task_id, loaded, number, cleaned, note=f"step {number}: deleted figure {gone.name}")


def upload_form(
    task_id: int, loaded: RevisionInfo, *, number: int, step: Step, dirty: bool
) -> None:
    key = f"{task_id}_{loaded.number}_{number}"
    with st.expander("Upload an image (PNG, JPEG or SVG)"):
        data = st.file_uploader(
            "Image", type=["png", "jpg", "jpeg", "svg"], key=f"fig_upload_{key}"
        )
        cols = st.columns(3)
        name = str(cols[0].text_input("Name", key=f"fig_up_name_{key}", placeholder="funnel"))
        caption = str(cols[1].text_input("Caption", key=f"fig_up_cap_{key}"))
        alt = str(cols[2].text_input("Alt text", key=f"fig_up_alt_{key}"))
        if st.button("Add image", key=f"fig_up_add_{key}", icon=":material/upload:"):
            with common.errors("add the image"):
                refuse_when_dirty(dirty)
                if data is None:
                    raise ValueError("choose an image file first")
                if any(f.name == name.strip() for f in step.figures):
                    raise ValueError(f"step {number} already has a figure named {name!r}")
                made = read_upload(data.getvalue())
                figure = Figure(
                    name=name.strip(),
                    kind=FigureKind.upload,
                    caption=caption,
                    alt=alt,
                    status=FigureStatus.rendered,
                    png=made.png,
                    svg=made.svg,
                    media_type=made.media_type,
                )
                theory = f"{step.theory.rstrip()}\n\n{anchor(figure)}\n"
                added = step.model_copy(
                    update={"figures": [*step.figures, figure], "theory": theory}
                )
                save_step(task_id, loaded, number, added, note=f"step {number}: uploaded {name}")


def save_step(
    task_id: int,
    loaded: RevisionInfo,
    number: int,
    step: Step,
    *,
    note: str,
    drawn: str | None = None,
) -> None:
    """Save the changed step as a revision on top of the loaded one, and say how figure
    ``drawn`` came out (a failed drawing is saved, and shown as the failure it is)."""
    steps = list(loaded.task.steps)
    steps[number - 1] = step
    task: Task = loaded.task.model_copy(update={"steps": steps})
    try:
        saved = resources.store().add_revision(
            task_id, task, source="edit", note=note, base_revision=loaded.number
        )
    except ConflictError as exc:
        raise ValueError(common.message(exc)) from exc
    st.session_state[f"ed_base_{task_id}"] = saved.number
    failed = [s for s in figure_states(step) if s.state == "failed" and s.name == drawn]
    if failed:
        common.flash(f"Saved as revision {saved.number}, but {failed[0].line()}", outcome="error")
    else:
        common.flash(f"Saved as revision {saved.number}.")
    st.rerun()
