"""How students did on the open task's steps ("which steps do students fail most?"),
answered from the results imported from the graders (``coauthor results import``).

Not an intent of its own: the rule-based ``students`` slot marks such a question, and it is
answered whatever the classifier thought it asked, unless that was an action (create, edit,
add tests, export). The classifier and its training data stay as they are.
"""

from __future__ import annotations

from coauthor.copilot.intents import Intent
from coauthor.copilot.phrases import say
from coauthor.copilot.results import Failed, PassThrough
from coauthor.copilot.session import Reply, Request, Session

ACTIONS = frozenset({Intent.new_task, Intent.edit_step, Intent.add_tests, Intent.export})
"""Intents a message about students still goes to ("make step 2 easier, students fail it")."""


def answers(intent: Intent, students: bool) -> bool:
    """Whether a message routed to ``intent`` is a question on students' results."""
    return students and intent not in ACTIONS


def _share(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def students_results(session: Session, request: Request) -> Reply:
    lang = request.language
    if session.task_id is None:
        return Reply(say("no_task", lang), Intent.explain, result=Failed(error="no task open"))
    figures = session.store.pass_through(session.task_id)
    if not figures.students:
        text = say("no_results", lang, task_id=session.task_id)
        return Reply(text, Intent.explain, result=Failed(error="no results imported"))
    hardest = figures.hardest()
    lines = [
        say(
            "results_head",
            lang,
            students=figures.students,
            sources=", ".join(figures.sources),
            passed_all=figures.passed_all,
        )
    ]
    for step in hardest:
        failed = step.students - step.passed
        lines.append(
            "- "
            + say(
                "results_step",
                lang,
                step=step.step,
                title=step.title,
                failed=failed,
                students=step.students,
                failed_share=_share(failed / step.students if step.students else None),
                mean=_share(step.mean_score),
            )
        )
    if figures.largest_drop is not None:
        drop = figures.steps[figures.largest_drop - 1]
        lines.append(
            say(
                "results_drop",
                lang,
                step=drop.step,
                dropped=drop.dropped,
                before=drop.step - 1,
                share=_share(drop.drop_out),
            )
        )
    return Reply(
        "\n".join(lines),
        Intent.explain,
        result=PassThrough(task=figures, hardest=[s.step for s in hardest]),
    )
