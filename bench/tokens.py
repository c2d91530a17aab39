"""Prompt tokens per step with the rolling summary vs a full-history baseline, with and
without an exemplar (a finished task shown to each stage, COAUTHOR_EXEMPLAR_TOKENS), and
the pipeline's own overhead per step with an instant model.

    .venv/bin/python bench/tokens.py [--steps 3 6 12]

Tokens are counted with the embedded model's tokenizer where it is installed
(vocabulary only, no weights run), else estimated as characters / 4.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from coauthor.llm.base import Completion, JsonSchema, Model, dump
from coauthor.pipeline.brief import make_brief
from coauthor.pipeline.context import Context
from coauthor.pipeline.lessons import lessons
from coauthor.pipeline.plan import plan
from coauthor.pipeline.runner import Runner
from coauthor.pipeline.step import step
from coauthor.prompts import default_master
from coauthor.schemas import LessonList, Plan, Step, StepDraft, StepSummary
from coauthor.schemas.calls import Message, Usage
from coauthor.schemas.cases import CaseList
from coauthor.settings import Settings
from coauthor.store import Store
from coauthor.testing import SOLUTION, TESTS, cases_reply, lessons_reply, plan_reply

STORY = "The shop's growth team runs an experiment on the checkout page. " * 12
THEORY = "Statistical power is the chance to detect an effect that exists. " * 15


def counter() -> tuple[str, Callable[[str], int]]:
    try:
        from llama_cpp import Llama

        from coauthor.llm.local import default_gguf

        vocab = Llama(model_path=str(default_gguf()), vocab_only=True, verbose=False)
        return "SmolLM2 tokenizer", lambda text: len(vocab.tokenize(text.encode(), special=True))
    except Exception:
        return "chars/4 estimate", lambda text: len(text) // 4


class InstantModel(Model):
    """Answers at once with replies of realistic size; counts prompt tokens."""

    name = "instant"

    def __init__(self, count: Callable[[str], int], steps: int) -> None:
        super().__init__()
        self.count = count
        self.steps = steps
        self.code_calls = 0

    def _complete(
        self, messages: list[Message], *, schema: JsonSchema | None, max_tokens: int
    ) -> Completion:
        prompt = self.count("".join(m["content"] for m in messages))
        return Completion(self._reply(schema), Usage(prompt_tokens=prompt))

    def _reply(self, schema: JsonSchema | None) -> str:
        title = (schema or {}).get("title")
        if title == LessonList.__name__:
            return dump(lessons_reply())
        if title == Plan.__name__:
            return dump(plan_reply(self.steps))
        if title == StepDraft.__name__:
            requirements = [
                f"Requirement {n}: the function handles case {n}." * 3 for n in range(5)
            ]
            return dump(StepDraft(story=STORY, theory=THEORY, requirements=requirements))
        if title == CaseList.__name__:
            return dump(cases_reply())
        if title == StepSummary.__name__:
            return dump(StepSummary(text="So far the student built mean_uplift. " * 15))
        self.code_calls += 1
        return f"```python\n{SOLUTION if self.code_calls % 2 else TESTS}```"


def history(previous: str, step: Step, *, number: int) -> str:
    """The baseline: every earlier step's full text instead of a bounded summary."""
    parts = [step.story, step.theory, *step.requirements, step.solution, step.tests]
    return f"{previous}\n\nStep {number}:\n" + "\n".join(parts)


def rolling(steps: int, count: Callable[[str], int], *, exemplar_tokens: int) -> dict[str, Any]:
    """The real runner (store, checkpoints, logbook) on an instant model."""
    model = InstantModel(count, steps)
    per_stage: dict[str, int] = defaultdict(int)
    with tempfile.TemporaryDirectory() as folder:
        store = Store(f"sqlite:///{Path(folder) / 'bench.db'}")
        run = store.create_run(make_brief("A/B test sample size", steps=steps), model="instant")
        started = time.perf_counter()
        Runner(store, model, master=default_master(), exemplar_tokens=exemplar_tokens).execute(
            run.id
        )
        elapsed = time.perf_counter() - started
        for entry in store.logbook(run_id=run.id):
            per_stage[entry.stage] += entry.tokens_in
        store.close()
    per_step = [per_stage[f"step:{n}"] + per_stage[f"summary:{n}"] for n in range(1, steps + 1)]
    return {
        "per_step": per_step,
        "total": sum(per_stage.values()),
        "seconds": elapsed,
        "lessons": per_stage["lessons"],
        "plan": per_stage["plan"],
    }


def full_history(
    steps: int, count: Callable[[str], int], *, exemplar_tokens: int
) -> dict[str, Any]:
    """The same stages, each step given the full text of all steps before it."""
    spent: list[int] = []
    model = InstantModel(count, steps).hooked(
        record=lambda record: spent.append(record.usage.prompt_tokens)
    )
    ctx = Context(model, default_master())
    brief = make_brief("A/B test sample size", steps=steps)
    brief = brief.model_copy(update={"lessons": lessons(ctx, brief.idea)})
    the_plan = plan(ctx, brief)
    before, text, per_step = sum(spent), "", []
    for number in range(1, steps + 1):
        made = step(ctx, brief, the_plan, number, text)
        text = history(text, made, number=number)
        per_step.append(sum(spent) - before)
        before = sum(spent)
    return {
        "per_step": per_step,
        "total": sum(spent),
        "seconds": float("nan"),
        "lessons": spent[0],
        "plan": spent[1],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, nargs="+", default=[3, 6, 12])
    parser.add_argument(
        "--exemplar-tokens", type=int, default=Settings().exemplar_tokens, help="per stage"
    )
    args = parser.parse_args()
    how, count = counter()
    table = Table(title=f"Prompt tokens ({how})")
    columns = ("steps", "mode", "lessons", "plan", "first step", "last step", "total")
    for column in (*columns, "overhead/step ms"):
        table.add_column(column, justify="right")
    modes = (
        ("rolling summary", rolling, 0),
        ("rolling + exemplar", rolling, args.exemplar_tokens),
        ("full history", full_history, 0),
    )
    for steps in args.steps:
        for name, measure, exemplar_tokens in modes:
            got = measure(steps, count, exemplar_tokens=exemplar_tokens)
            baseline = measure is full_history
            table.add_row(
                str(steps),
                name,
                f"{got['lessons']:,}",
                f"{got['plan']:,}",
                f"{got['per_step'][0]:,}",
                f"{got['per_step'][-1]:,}",
                f"{got['total']:,}",
                "" if baseline else f"{1000 * got['seconds'] / steps:.1f}",
            )
    Console(width=120).print(table)


if __name__ == "__main__":
    main()
