"""Figures of a step: render them in the house style, and say which are rendered, failed
or stale (drawn from code or a style that has changed since)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from coauthor.figures.draw import Drawn, draw_chart, draw_diagram
from coauthor.figures.style import HouseStyle
from coauthor.sandbox import Limits, Sandbox
from coauthor.schemas import Step
from coauthor.schemas.figures import Figure, FigureKind, FigureStatus
from coauthor.schemas.figures import code_digest as schema_digest

State = Literal["rendered", "failed", "stale", "pending"]


def code_digest(step: Step, figure: Figure) -> str:
    """What a figure is drawn from besides the style (see ``schemas.figures.code_digest``)."""
    return schema_digest(figure, step.solution)


def drawn_from(step: Step, figure: Figure, style: HouseStyle) -> str:
    """``drawn_from``: 32 hex digits of the code's hash, then 32 of the style's."""
    return code_digest(step, figure)[:32] + style.digest()[:32]


@dataclass(frozen=True)
class FigureState:
    name: str
    kind: str
    state: State
    detail: str = ""
    """The error of a failed figure, or what changed for a stale one."""

    def line(self) -> str:
        said = f"figure {self.name} ({self.kind}): {self.state}"
        return f"{said}: {self.detail}" if self.detail else said


def figure_states(step: Step, style: HouseStyle | None = None) -> list[FigureState]:
    """Each figure's state. Without ``style`` staleness is judged on the code alone."""
    states: list[FigureState] = []
    for figure in step.figures:
        kind = figure.kind.value
        if figure.status == FigureStatus.failed:
            states.append(FigureState(figure.name, kind, "failed", figure.error))
        elif figure.status == FigureStatus.pending:
            states.append(FigureState(figure.name, kind, "pending", "not drawn yet"))
        elif figure.kind == FigureKind.upload:
            states.append(FigureState(figure.name, kind, "rendered"))
        elif figure.drawn_from[:32] != code_digest(step, figure)[:32]:
            what = "the step's solution or the figure's source changed since it was drawn"
            states.append(FigureState(figure.name, kind, "stale", what))
        elif style is not None and figure.drawn_from[32:] != style.digest()[:32]:
            what = "the house style changed since it was drawn"
            states.append(FigureState(figure.name, kind, "stale", what))
        else:
            states.append(FigureState(figure.name, kind, "rendered"))
    return states


def draw(
    figure: Figure,
    step: Step,
    style: HouseStyle,
    *,
    sandbox: Sandbox,
    limits: Limits | None = None,
) -> Drawn:
    """Render one chart or diagram (uploads are not drawn)."""
    if figure.kind == FigureKind.chart:
        return draw_chart(
            figure.source, solution=step.solution, style=style, sandbox=sandbox, limits=limits
        )
    if figure.kind == FigureKind.diagram:
        return draw_diagram(figure.source, style=style, sandbox=sandbox, limits=limits)
    return Drawn(error="an uploaded image is not drawn")


def rendered(figure: Figure, step: Step, style: HouseStyle, drawn: Drawn) -> Figure:
    """The figure updated with a rendering (a failure keeps the last good images, and the
    error says why they are not current)."""
    stamp = drawn_from(step, figure, style)
    if drawn.ok:
        return figure.model_copy(
            update={
                "status": FigureStatus.rendered,
                "error": "",
                "png": drawn.png_base64,
                "svg": drawn.svg,
                "media_type": "image/png",
                "drawn_from": stamp,
            }
        )
    return figure.model_copy(
        update={"status": FigureStatus.failed, "error": (drawn.error or "")[:4000]}
    )


def render_figure(
    figure: Figure,
    step: Step,
    style: HouseStyle,
    *,
    sandbox: Sandbox,
    limits: Limits | None = None,
) -> Figure:
    """Draw ``figure`` for ``step`` in ``style``; uploads come back unchanged."""
    if figure.kind == FigureKind.upload:
        return figure
    return rendered(figure, step, style, draw(figure, step, style, sandbox=sandbox, limits=limits))


def render_step(
    step: Step, style: HouseStyle, *, sandbox: Sandbox, limits: Limits | None = None
) -> Step:
    """Every figure of ``step`` drawn again in ``style``."""
    figures = [
        render_figure(figure, step, style, sandbox=sandbox, limits=limits)
        for figure in step.figures
    ]
    return step.model_copy(update={"figures": figures})


def anchor(figure: Figure) -> str:
    """The markdown that places a figure: ``![caption](figure:NAME)``."""
    caption = (figure.caption or figure.name).replace("]", ")").replace("\n", " ")
    return f"![{caption}](figure:{figure.name})"


def placed(text: str, figure: Figure) -> bool:
    return f"(figure:{figure.name})" in text
