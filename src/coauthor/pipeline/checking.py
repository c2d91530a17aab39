"""The one checking service: verify a step and, when asked, repair it round by round.

The runner's verify stage, ``recheck`` (``coauthor verify``, the studio's re-verify)
and the copilot all check steps through ``check``; what differs between them is only
what they do with each round (the runner checkpoints it, ``recheck`` saves it as a
revision).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Literal, Protocol, runtime_checkable

from pydantic import Field, model_validator

from coauthor.pipeline.context import Context
from coauthor.pipeline.edit import step_at
from coauthor.pipeline.events import Events
from coauthor.pipeline.parts import Part
from coauthor.pipeline.repair import diagnose, rewrite
from coauthor.pipeline.strengthen import Added, add_tests, trials_for, wants_tests
from coauthor.schemas import Step, Strict, Task, Verdict


@runtime_checkable
class Judge(Protocol):
    """Whatever turns a step into a verdict: the sandbox's differential oracle, or a fake."""

    def verdict(self, step: Step) -> Verdict: ...


class Round(Strict):
    """One repair round: the part the model blamed (or the tests it added), why, and the
    step before the change."""

    number: int = Field(ge=1)
    part: Part
    reason: str = Field(max_length=400)
    before: Step
    kind: Literal["rewrite", "add_tests"] = Field(
        default="rewrite",
        description="rewrite: the blamed part rewritten; add_tests: new tests appended "
        "that kill surviving mutants",
    )

    @property
    def note(self) -> str:
        """What the round changed and why, as notes and revision labels show it."""
        if self.kind == "add_tests":
            return f"round {self.number}: added tests: {self.reason}"
        return f"round {self.number}: rewrote the {self.part.value}: {self.reason}"


class Checked(Strict):
    """A checked step: the final version with its verdict, and every repair round."""

    step: Step
    rounds: list[Round] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _earlier_layout(cls, data: object) -> object:
        """Read a ``verify:N`` checkpoint of the earlier layout: the versions before each
        round and lines like ``round 1: rewrote the tests: why``."""
        if not (isinstance(data, dict) and {"versions", "changes"} <= data.keys()):
            return data
        rounds = []
        for index, (before, change) in enumerate(
            zip(data["versions"], data["changes"], strict=False), 1
        ):
            found = _EARLIER_ROUND.fullmatch(str(change))
            if found is None:
                return data  # validation then says what is wrong
            rounds.append(
                {"number": index, "part": found[1], "reason": found[2][:400], "before": before}
            )
        return {"step": data.get("step"), "rounds": rounds}

    @property
    def verdict(self) -> Verdict:
        assert self.step.verdict is not None
        return self.step.verdict

    def versions(self) -> list[tuple[Step, str]]:
        """The step as it came in, then after each round (unverified), with a label each;
        empty when no round changed it."""
        if not self.rounds:
            return []
        after = [r.before for r in self.rounds[1:]] + [
            self.step.model_copy(update={"verdict": None})
        ]
        return [(self.rounds[0].before, "as generated")] + [
            (version, r.note) for version, r in zip(after, self.rounds, strict=True)
        ]


_EARLIER_ROUND = re.compile(r"round \d+: rewrote the (solution|tests): (.*)", re.DOTALL)

RoundListener = Callable[[Step, Round], None]


def check(
    step: Step,
    *,
    checker: Judge,
    number: int,
    ctx: Context | None = None,
    rounds: int = 0,
    events: Events | None = None,
    on_round: RoundListener | None = None,
) -> Checked:
    """Verify ``step`` (number ``number`` of its task); with ``ctx`` and ``rounds`` > 0 a
    failing step goes to the model for up to ``rounds`` repairs, each verified again.
    A step whose only fault is that mutants of its solution survive gets new tests instead
    of a rewrite (an add-tests round; one that keeps no test changes nothing but still
    counts). ``on_round`` gets each changed step (unverified) and its round as soon as it
    exists."""
    events = events or Events()
    verdict = checker.verdict(step)
    done: list[Round] = []
    used = 0
    trials = trials_for(checker)
    while not verdict.verified and ctx is not None and used < rounds:
        used += 1
        index = used
        if trials is not None and wants_tests(step, verdict):
            events.tests_round(number, number=index, rounds=rounds)
            added = add_tests(ctx, step, verdict, number=number, trials=trials)
            if not added.added:
                events.note(f"step {number}: round {index}: {added.reason}")
                continue
            done.append(added_round(index, added, before=step))
            events.note(f"step {number}: {done[-1].note}")
            if on_round is not None:
                on_round(added.step, done[-1])
            step = added.step
            verdict = checker.verdict(step)
            continue
        events.repair_round(number, number=index, rounds=rounds, part=None)
        diagnosis = diagnose(ctx, step, verdict, number=number)
        events.repair_round(number, number=index, rounds=rounds, part=diagnosis.part)
        repaired = rewrite(ctx, step, verdict, diagnosis, number=number)
        done.append(
            Round(number=index, part=diagnosis.part, reason=diagnosis.short_reason, before=step)
        )
        events.note(f"step {number}: {done[-1].note}")
        if on_round is not None:
            on_round(repaired, done[-1])
        step = repaired
        verdict = checker.verdict(step)
    verdict = verdict.model_copy(
        update={"repair_rounds": len(done), "repairs": [r.note for r in done]}
    )
    return Checked(step=step.model_copy(update={"verdict": verdict}), rounds=done)


def added_round(number: int, added: Added, *, before: Step) -> Round:
    """The round in which ``added`` tests were appended to ``before``."""
    return Round(
        number=number, part=Part.tests, reason=added.reason, before=before, kind="add_tests"
    )


def step_numbers(task: Task, steps: list[int] | None) -> list[int]:
    """The 1-based step numbers asked for (default: all), each checked to exist."""
    numbers = steps or list(range(1, len(task.steps) + 1))
    for number in numbers:
        step_at(task, number)
    return numbers


def verified_note(task: Task, numbers: list[int] | None = None) -> str:
    """``verified 2 of 3 steps``, and which ones when only some were checked."""
    chosen = numbers or list(range(1, len(task.steps) + 1))
    verified = sum(1 for n in chosen if (v := task.steps[n - 1].verdict) and v.verified)
    note = f"verified {verified} of {len(chosen)} steps"
    if numbers is not None and len(chosen) < len(task.steps):
        note += f" ({', '.join(map(str, chosen))})"
    return note
