"""The ``review`` intent: concrete findings per step against the definition of done.

Deterministic checks come first (they are exact and free); a capable model adds
what only reading can find.
"""

from __future__ import annotations

import ast
import re

from pydantic import Field

from coauthor.copilot.checking import open_task, problems
from coauthor.copilot.intents import Intent
from coauthor.copilot.phrases import say
from coauthor.copilot.results import Finding, Findings
from coauthor.copilot.session import Reply, Request, Session
from coauthor.llm.base import ModelError
from coauthor.pipeline.context import Context
from coauthor.schemas import Language, Step, Strict, Task

LEFT = re.compile(r"\b(left|remain\w*|pending|outstanding)\b|остал\w*|не хватает", re.I)
TASK_ID = re.compile(r"(?:\btask|задач\w*)\s*#?(\d+)", re.I)
MIN_TESTS = 3
MIN_COVERAGE = 80.0
_URL = re.compile(r"https?://")
_IO = re.compile(r"\bopen\(|read_(?:csv|parquet|json|excel)\(\s*['\"]|\brequests\.|\burllib\b")


class ModelFinding(Strict):
    step: int = Field(ge=0, le=12, description="Step number, 0 for the whole task")
    text: str = Field(min_length=1, max_length=300)


class ModelReview(Strict):
    findings: list[ModelFinding] = Field(default_factory=list, max_length=8)


def review(session: Session, request: Request) -> Reply:
    lang = request.language
    if LEFT.search(request.text):
        named = TASK_ID.search(request.text)
        return left_to_review(session, int(named.group(1)) if named else None, lang)
    head = open_task(session, lang)
    task = head.task
    found = findings(task, lang)
    if session.capable:
        found += _model_findings(session, task)
    return Reply(
        _report(task, found, lang),
        Intent.review,
        links=(f"task:{head.task_id}@{head.number}",),
        result=Findings(findings=found),
    )


def _model_findings(session: Session, task: Task) -> list[Finding]:
    """What a capable model finds; nothing if it fails (the checks still stand)."""
    ctx = Context(session.llm(), session.master, task.brief.language)
    try:
        reply = ctx.model.generate(ctx.messages("copilot_review.j2", task=task), output=ModelReview)
    except ModelError:
        return []
    steps = len(task.steps)
    return [
        Finding(step=f.step or None, text=f.text, source="model")
        for f in reply.findings
        if f.step <= steps
    ]


def findings(task: Task, lang: Language) -> list[Finding]:
    """What the definition of done and the task anatomy rule out, step by step."""
    found: list[Finding] = []
    if not task.steps:
        found.append(Finding(step=None, text=say("f_no_steps", lang)))
    covered = {lesson.strip().lower() for step in task.steps for lesson in step.lessons}
    for lesson in task.brief.lessons:
        if lesson.title.strip().lower() not in covered:
            found.append(Finding(step=None, text=say("f_lesson", lang, lesson=lesson.title)))
    for number, step in enumerate(task.steps, 1):
        found += [Finding(step=number, text=text) for text in step_findings(step, lang)]
    return found


def step_findings(step: Step, lang: Language) -> list[str]:
    found = [say(key, lang) for key, missing in _missing_parts(step) if missing]
    if step.starter.strip() and step.starter.strip() == step.solution.strip():
        found.append(say("f_starter_is_solution", lang))
    if step.tests.strip():
        count = collected_tests(step.tests)
        if count < MIN_TESTS:
            found.append(say("f_few_tests", lang, count=count))
        if not re.search(r"\bsolution\b", step.tests):
            found.append(say("f_no_import", lang))
    if _IO.search(step.tests) or _IO.search(step.solution):
        found.append(say("f_io", lang))
    found += _verdict_findings(step, lang)
    found += [say("f_flag", lang, flag=flag) for flag in step.flags]
    return found


def collected_tests(tests: str) -> int:
    """Test functions pytest would collect (a parametrized test counts once)."""
    try:
        tree = ast.parse(tests)
    except SyntaxError:
        return len(re.findall(r"^\s*def test_", tests, re.M))
    return sum(
        isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test")
        for node in ast.walk(tree)
    )


def _missing_parts(step: Step) -> list[tuple[str, bool]]:
    has_link = bool(step.links) or bool(_URL.search(step.theory))
    return [
        ("f_no_story", not step.story.strip()),
        ("f_no_link", not has_link),
        ("f_no_requirements", not any(r.strip() for r in step.requirements)),
        ("f_no_starter", not step.starter.strip()),
        ("f_no_solution", not step.solution.strip()),
        ("f_no_tests", not step.tests.strip()),
    ]


def _verdict_findings(step: Step, lang: Language) -> list[str]:
    verdict = step.verdict
    if verdict is None:
        return [say("f_unverified", lang)]
    found = []
    if not verdict.verified:
        found.append(say("f_failed", lang, problems=problems(step)))
    elif verdict.weak_tests:
        found.append(say("f_weak", lang, tests=", ".join(verdict.weak_tests[:5])))
    if verdict.coverage is not None and verdict.coverage < MIN_COVERAGE:
        found.append(say("f_coverage", lang, coverage=verdict.coverage))
    return found


def _report(task: Task, found: list[Finding], lang: Language) -> str:
    lines = [say("review_head", lang, title=task.title)]
    if not found:
        return "\n".join([*lines, say("review_clean", lang)])
    groups: dict[int | None, list[Finding]] = {}
    for finding in found:
        groups.setdefault(finding.step, []).append(finding)
    for step in sorted(groups, key=lambda n: -1 if n is None else n):
        name = say("whole_task", lang) if step is None else say("step_head", lang, step=step)
        lines.append(f"{name}:")
        lines += [f"- {f.text}" + (" (model)" if f.source == "model" else "") for f in groups[step]]
    return "\n".join(lines)


def left_to_review(session: Session, task_id: int | None, lang: Language) -> Reply:
    """What the team's review still needs on a task (the named one, else the open one):
    unverified steps without a waiver, open comment threads, who reviews which step."""
    if task_id is None:
        task_id = open_task(session, lang).task_id
    summary = session.store.review_summary(task_id)
    state = session.store.review_state(task_id)
    lines = [
        say(
            "left_head",
            lang,
            task=task_id,
            title=summary.title,
            revision=summary.revision,
            status=summary.status.value,
        )
    ]
    found: list[Finding] = []
    if summary.unverified_steps:
        steps = ", ".join(map(str, summary.unverified_steps))
        lines.append("- " + say("left_unverified", lang, steps=steps))
        found += [Finding(step=n, text=say("f_unverified", lang)) for n in summary.unverified_steps]
    if summary.waived_steps:
        lines.append(
            "- " + say("left_waived", lang, steps=", ".join(map(str, summary.waived_steps)))
        )
    if summary.open_comments:
        where = ", ".join(
            say("step_head", lang, step=step) + f": {count}"
            for step, count in sorted(summary.open_by_step.items())
        )
        lines.append("- " + say("left_comments", lang, count=summary.open_comments, where=where))
        found += [
            Finding(step=c.step, text=c.text)
            for c in session.store.comments(task_id)
            if c.parent_id is None and not c.resolved
        ]
    if summary.reviewers:
        who = ", ".join(f"{n}: {name}" for n, name in sorted(summary.reviewers.items()))
        lines.append("- " + say("left_reviewers", lang, who=who))
    if state.approved_revision is not None:
        lines.append("- " + say("left_approved", lang, revision=state.approved_revision))
    if not summary.unverified_steps and not summary.open_comments:
        lines.append(say("left_nothing", lang))
    return Reply(
        "\n".join(lines),
        Intent.review,
        links=(f"task:{task_id}@{summary.revision}",),
        result=Findings(findings=found),
    )
