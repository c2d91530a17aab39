"""Stage part: draw the figures a step's draft proposed, one by one, in the house style.

A figure whose code (or DOT) fails to draw goes back to the model with the error, like
code that does not parse; after the last attempt it is kept, failed and flagged on the
step, never dropped. Each drawn figure is placed by an anchor ``![caption](figure:NAME)``
in the theory unless the story or theory already has one.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from coauthor.figures.draw import Drawn
from coauthor.figures.render import (
    FigureState,
    anchor,
    draw,
    figure_states,
    placed,
    render_step,
    rendered,
)
from coauthor.figures.style import HouseStyle, default_style, house_style
from coauthor.llm.code import extract_code
from coauthor.pipeline.context import Context
from coauthor.prompts import render
from coauthor.sandbox import Limits, Sandbox, sandbox_for
from coauthor.schemas import Step
from coauthor.schemas.calls import Message
from coauthor.schemas.figures import Figure, FigureIdea, FigureKind, figure_name
from coauthor.settings import Settings
from coauthor.store import Store

_DOT_FENCE = re.compile(r"```[ \t]*(?:dot|graphviz|gv)?[ \t]*\n(.*?)(?:```|\Z)", re.DOTALL | re.I)
MAX_FLAGS = 20


@dataclass
class FigureDrawer:
    """What drawing needs: the house style, a sandbox (made on first use) and limits."""

    style: HouseStyle = field(default_factory=default_style)
    make_sandbox: Callable[[], Sandbox] = sandbox_for
    limits: Limits | None = None
    rounds: int = 2
    """Attempts after the first, each with the last error (at most the model's re-asks,
    ``COAUTHOR_REASKS``, like code that does not parse)."""
    _sandbox: Sandbox | None = None

    @classmethod
    def for_store(cls, store: Store, settings: Settings | None = None) -> FigureDrawer:
        if settings is None:
            return cls(style=house_style(store))
        limits = Limits(
            cpu_seconds=settings.sandbox_cpu_seconds,
            memory_mb=settings.sandbox_memory_mb,
            wall_seconds=settings.sandbox_wall_seconds,
        )
        python = settings.sandbox_python
        return cls(
            style=house_style(store), make_sandbox=lambda: sandbox_for(python), limits=limits
        )

    @property
    def sandbox(self) -> Sandbox:
        if self._sandbox is None:
            self._sandbox = self.make_sandbox()
        return self._sandbox

    def draw(self, figure: Figure, step: Step) -> Drawn:
        return draw(figure, step, self.style, sandbox=self.sandbox, limits=self.limits)


def draw_figures(
    ctx: Context,
    step: Step,
    ideas: list[FigureIdea],
    drawer: FigureDrawer,
    *,
    number: int,
    title: str,
) -> Step:
    """``step`` with a figure for each idea (drawn, or failed and flagged)."""
    figures = list(step.figures)
    flags = list(step.flags)
    theory = step.theory
    taken = {figure.name for figure in figures}
    for proposed in ideas:
        idea = proposed.model_copy(update={"name": figure_name(proposed.name, taken)})
        taken.add(idea.name)
        figure, attempts = write_figure(ctx, step, idea, drawer, number=number, title=title)
        figures.append(figure)
        if figure.error and len(flags) < MAX_FLAGS:
            flags.append(
                f"figure {figure.name}: {figure.error[:300]} (kept flagged after "
                f"{attempts} attempts)"
            )
        if not placed(step.story + theory, figure):
            theory = f"{theory.rstrip()}\n\n{anchor(figure)}\n"
    return step.model_copy(update={"figures": figures, "flags": flags, "theory": theory})


def write_figure(
    ctx: Context,
    step: Step,
    idea: FigureIdea,
    drawer: FigureDrawer,
    *,
    number: int,
    title: str,
    instruction: str = "",
    previous: str = "",
) -> tuple[Figure, int]:
    """Ask for the figure's source, draw it, and re-ask with the error while it fails."""
    kind = FigureKind(idea.kind)
    template = "figure_chart.j2" if kind == FigureKind.chart else "figure_diagram.j2"
    history = ctx.messages(
        template,
        step=step,
        idea=idea,
        number=number,
        title=title,
        instruction=instruction,
        previous=previous,
    )
    figure = Figure(
        name=idea.name, kind=kind, caption=idea.caption, alt=idea.alt, purpose=idea.purpose
    )
    attempts = 0
    rounds = min(drawer.rounds, ctx.model.reasks)  # like code parts: the model's re-asks
    for attempt in range(rounds + 1):
        attempts = attempt + 1
        source = _ask(ctx, history, kind)
        figure = figure.model_copy(update={"source": source[:30_000]})
        drawn = drawer.draw(figure, step)
        figure = rendered(figure, step, drawer.style, drawn)
        if drawn.ok:
            break
        if attempt < rounds:
            fence = "python" if kind == FigureKind.chart else "dot"
            history = [
                *history,
                {"role": "assistant", "content": f"```{fence}\n{source}```"},
                {
                    "role": "user",
                    "content": render("figure_fix.j2", error=drawn.error, kind=kind.value),
                },
            ]
    return figure, attempts


def _ask(ctx: Context, history: list[Message], kind: FigureKind) -> str:
    if kind == FigureKind.chart:
        return ctx.model.code(history, max_tokens=900).code
    return extract_dot(ctx.model.text(history, max_tokens=700))


def extract_dot(reply: str) -> str:
    """The longest fenced block of a reply (the whole reply when it has none)."""
    blocks = [m.group(1) for m in _DOT_FENCE.finditer(reply)]
    found = max(blocks, key=len) if blocks else extract_code(reply)
    return found.strip() + "\n" if found.strip() else ""


def regenerate_figure(
    ctx: Context,
    step: Step,
    name: str,
    drawer: FigureDrawer,
    *,
    number: int,
    title: str,
    instruction: str,
) -> Step:
    """The step with figure ``name`` rewritten by the model following ``instruction``."""
    index = next((i for i, f in enumerate(step.figures) if f.name == name), None)
    if index is None:
        raise ValueError(f"step {number} has no figure {name!r}")
    old = step.figures[index]
    if old.kind == FigureKind.upload:
        raise ValueError(f"figure {name!r} is an uploaded image: upload a new one instead")
    idea = FigureIdea(
        name=old.name,
        kind="chart" if old.kind == FigureKind.chart else "diagram",
        caption=old.caption or old.name,
        alt=old.alt[:300],
        purpose=old.purpose[:300],
    )
    figure, _ = write_figure(
        ctx,
        step,
        idea,
        drawer,
        number=number,
        title=title,
        instruction=instruction,
        previous=old.source,
    )
    figures = list(step.figures)
    figures[index] = figure
    return step.model_copy(update={"figures": figures})


@dataclass(frozen=True)
class Rerendered:
    """What ``rerender_task`` did: the new revision (None when nothing changed) and the
    state of every figure afterwards, by step number."""

    revision: int | None
    states: list[tuple[int, FigureState]]


def rerender_task(store: Store, task_id: int, drawer: FigureDrawer) -> Rerendered:
    """Draw every chart and diagram of the task's latest revision again in the drawer's
    style; a new revision only when some figure changed."""
    head = store.revision(task_id)
    steps = [
        render_step(step, drawer.style, sandbox=drawer.sandbox, limits=drawer.limits)
        if any(f.kind != FigureKind.upload for f in step.figures)
        else step
        for step in head.task.steps
    ]
    states = [
        (number, state)
        for number, step in enumerate(steps, 1)
        for state in figure_states(step, drawer.style)
    ]
    if steps == head.task.steps:
        return Rerendered(None, states)
    task = head.task.model_copy(update={"steps": steps})
    saved = store.add_revision(
        task_id,
        task,
        source="figures",
        note=f"figures re-rendered in {drawer.style.name}",
        base_revision=head.number,
    )
    return Rerendered(saved.number, states)
