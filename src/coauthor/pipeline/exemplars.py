"""Exemplars: a finished task in the team's style that every stage's prompt shows.

One exemplar is chosen per run, by TF-IDF similarity of the brief to the candidates:
the team's own tasks whose every step is verified (they take precedence over a
shipped example when they are similar enough) and the shipped example tasks. A brief
can pin one (``TaskBrief.exemplar_task``); the pinned task wins. Each stage's part
(lessons, plan, a step's prose, a step's solution and tests) is trimmed to a token
budget, counted approximately as characters / 4.
"""

from __future__ import annotations

import functools
import weakref
from dataclasses import dataclass

from coauthor.examples import SOURCE, examples
from coauthor.pipeline.library import verified
from coauthor.pipeline.similarity import Index
from coauthor.pipeline.trim import fit_items, fit_texts
from coauthor.schemas import Lesson, Plan, StepOutline, Strict, Task, TaskBrief
from coauthor.store import NotFoundError, RevisionInfo, Store

CHARS_PER_TOKEN = 4
TEAM_FLOOR = 0.15
"""A team task this similar to the brief wins over any shipped example."""
OTHER_LANGUAGE = 0.5
"""Score factor of a candidate written in another language than the brief."""


def approx_tokens(text: str) -> int:
    return len(text) // CHARS_PER_TOKEN


class ExemplarStep(Strict):
    title: str
    goal: str
    story: str
    theory: str
    requirements: list[str]
    solution: str
    tests: str


class Exemplar(Strict):
    """The parts of one finished task, each trimmed to the per-stage budget."""

    source: str
    """Where it comes from: ``task 7`` or ``example ab-test-sample-size``."""
    title: str
    lessons: list[Lesson]
    plan: Plan
    steps: list[ExemplarStep]

    def step(self, number: int) -> ExemplarStep | None:
        """The exemplar's step ``number`` (its last when it has fewer steps)."""
        if not self.steps:
            return None
        return self.steps[min(max(number, 1), len(self.steps)) - 1]


@dataclass(frozen=True)
class Candidate:
    source: str
    task: Task
    team: bool


def choose(store: Store, brief: TaskBrief, *, budget_tokens: int) -> Exemplar | None:
    """The exemplar for ``brief``, or None when the budget is 0 or there is nothing."""
    if budget_tokens <= 0:
        return None
    found = pinned(store, brief) or best(candidates(store), brief)
    return None if found is None else trimmed(found, budget_tokens)


def pinned(store: Store, brief: TaskBrief) -> Candidate | None:
    if brief.exemplar_task is None:
        return None
    try:
        task = store.revision(brief.exemplar_task).task
    except NotFoundError:
        return None
    return Candidate(source=f"task {brief.exemplar_task}", task=task, team=True)


def candidates(store: Store) -> list[Candidate]:
    """The team's verified tasks (newest first), then the shipped examples."""
    known = _seen.setdefault(store.engine, {})
    team = []
    for key in store.task_heads():
        if key not in known:  # revisions are immutable: a task is read once per revision
            known[key] = _team_candidate(store, *key)
        found = known[key]
        if found is not None:
            team.append(found)
    shipped = [Candidate(source=f"example {e.slug}", task=e.task, team=False) for e in examples()]
    return team + shipped


_seen: weakref.WeakKeyDictionary[object, dict[tuple[int, int], Candidate | None]] = (
    weakref.WeakKeyDictionary()
)
"""Per database (its engine), per task and head revision: the task as a candidate, or None
when it is not one. Reading and validating every task for every run was most of a run's
start once the library held tasks."""


def _team_candidate(store: Store, task_id: int, head: int) -> Candidate | None:
    found = _if_complete(task_id, store.revision(task_id, head).task)
    if found is not None and store.revision(task_id, 1).source == SOURCE:
        return None  # an added example: the shipped copy stands for it
    return found


def _if_complete(task_id: int, task: Task) -> Candidate | None:
    """The task as a candidate when it is verified and every step has its code and tests."""
    if not verified(task) or not all(step.solution and step.tests for step in task.steps):
        return None
    return Candidate(source=f"task {task_id}", task=task, team=True)


def remember_made(store: Store, revision: RevisionInfo) -> None:
    """Note a task a run has just made (revision 1 included, so it is no added example):
    the next run's choice need not read it back from the store."""
    known = _seen.setdefault(store.engine, {})
    key = (revision.task_id, revision.number)
    if key not in known:
        known[key] = _if_complete(revision.task_id, revision.task)


def best(found: list[Candidate], brief: TaskBrief) -> Candidate | None:
    """The most similar team task when it clears TEAM_FLOOR (or beats every example),
    else the most similar example."""
    if not found:
        return None
    raw = _index(tuple(document(c.task) for c in found)).scores(query(brief))
    scores = [
        s * (1.0 if c.task.brief.language == brief.language else OTHER_LANGUAGE)
        for c, s in zip(found, raw, strict=True)
    ]
    ranked = sorted(range(len(found)), key=lambda i: -scores[i])
    top_team = next((i for i in ranked if found[i].team), None)
    top_example = next((i for i in ranked if not found[i].team), None)
    if top_team is not None and scores[top_team] > 0:
        bar = TEAM_FLOOR if top_example is None else min(TEAM_FLOOR, scores[top_example])
        if scores[top_team] >= bar:
            return found[top_team]
    return found[top_example if top_example is not None else ranked[0]]


@functools.lru_cache(maxsize=8)
def _index(documents: tuple[str, ...]) -> Index:
    """The index of these candidates, built once while they stay the same (fitting it was
    the biggest part of a run's start)."""
    return Index(documents)


def index_examples() -> None:
    """Build the index of the shipped examples now (what a run starts with while the team
    has no verified task of its own), e.g. before a worker's first job."""
    _index(tuple(document(e.task) for e in examples()))


def query(brief: TaskBrief) -> str:
    lessons = " ".join(lesson.title for lesson in brief.lessons)
    return f"{brief.idea} {brief.domain} {lessons}"


def document(task: Task) -> str:
    """What a candidate is matched on: idea, title, lessons and step titles and goals."""
    parts = [task.brief.idea, task.title, task.brief.domain]
    parts += [lesson.title for lesson in task.brief.lessons]
    parts += [f"{s.title} {s.goal}" for s in task.plan.steps]
    return " ".join(parts)


def trimmed(candidate: Candidate, budget_tokens: int) -> Exemplar:
    """The candidate's parts, each stage's share at most ``budget_tokens``."""
    chars = budget_tokens * CHARS_PER_TOKEN
    task = candidate.task
    lessons = fit_items(
        [(lesson.title, lesson.detail) for lesson in task.brief.lessons or _lessons(task)], chars
    )
    outlines = fit_items([(s.title, s.goal) for s in task.plan.steps], chars)
    return Exemplar(
        source=candidate.source,
        title=task.title,
        lessons=[Lesson(title=title, detail=detail) for title, detail in lessons],
        plan=Plan(
            title=task.plan.title,
            steps=[StepOutline(title=title, goal=goal) for title, goal in outlines],
        ),
        steps=[_step(step_index, task, chars) for step_index in range(len(task.steps))],
    )


def _lessons(task: Task) -> list[Lesson]:
    """Lessons named by the steps when the brief keeps none."""
    titles = dict.fromkeys(title for s in task.plan.steps for title in s.lessons)
    return [Lesson(title=title[:200]) for title in titles] or [Lesson(title=task.title[:200])]


def _step(index: int, task: Task, chars: int) -> ExemplarStep:
    step = task.steps[index]
    story, theory = fit_texts([step.story, step.theory], chars * 2 // 3)
    requirements = [r for r, _ in fit_items([(r, "") for r in step.requirements], chars // 3)]
    solution, tests = fit_texts([step.solution, step.tests], chars, code=True)
    return ExemplarStep(
        title=step.title,
        goal=step.goal,
        story=story,
        theory=theory,
        requirements=requirements,
        solution=solution,
        tests=tests,
    )
