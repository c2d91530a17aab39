"""Test cases as structured output on the embedded model: for small function steps
(written here, not the shipped examples), how many steps get at least three parseable
test functions from cases, and how many cases agree with the reference solution when run
on it (dual execution).

    .venv/bin/python bench/cases.py [--model local] [--part tuning|held-out] [--steps N]
        [--json]

Two parts: ``tuning`` (the steps the cases prompt and schema were tuned on) and
``held-out`` (steps never used for tuning, reported as the figure). Two held-out steps
have a reference solution that does not parse, as a small model's often does: their
function is taken from the requirements, and their cases are then named by the
disagreement check (the solution cannot run them).

Slow on the embedded model: one structured request per step (and up to two re-asks).
"""

from __future__ import annotations

import argparse
import ast
import json
import sys
import time
from dataclasses import asdict, dataclass

from coauthor.llm.registry import model_from_string
from coauthor.pipeline.cases import ask_cases, disagreements, render_cases, signature_for
from coauthor.pipeline.context import Context
from coauthor.prompts import default_master
from coauthor.sandbox import Limits, sandbox_for
from coauthor.schemas import Plan, Step, StepDraft, StepOutline, TaskBrief
from coauthor.settings import Settings


@dataclass(frozen=True)
class Held:
    title: str
    requirements: list[str]
    solution: str


STEPS = [
    Held(
        "Conversion rate",
        [
            "conversion_rate(visits, orders) returns orders / visits as a float",
            "visits of 0 raises ValueError",
        ],
        "def conversion_rate(visits: int, orders: int) -> float:\n"
        "    if visits == 0:\n"
        '        raise ValueError("no visits")\n'
        "    return orders / visits\n",
    ),
    Held(
        "Discounted price",
        [
            "discounted(price, percent) returns the price after a percent discount, "
            "rounded to 2 decimals",
            "a percent outside 0..100 raises ValueError",
        ],
        "def discounted(price: float, percent: float) -> float:\n"
        "    if not 0 <= percent <= 100:\n"
        '        raise ValueError("percent must be in 0..100")\n'
        "    return round(price * (1 - percent / 100), 2)\n",
    ),
    Held(
        "Top customers",
        [
            "top_customers(spend, n) returns the n customer names with the largest spend, "
            "largest first",
            "spend is a dict of name to amount",
        ],
        "def top_customers(spend: dict[str, float], n: int) -> list[str]:\n"
        "    ranked = sorted(spend, key=lambda name: spend[name], reverse=True)\n"
        "    return ranked[:n]\n",
    ),
    Held(
        "Word counts",
        [
            "word_counts(text) returns a dict of each lower-cased word to how often it occurs",
            "words are separated by whitespace",
        ],
        "def word_counts(text: str) -> dict[str, int]:\n"
        "    counts: dict[str, int] = {}\n"
        "    for word in text.lower().split():\n"
        "        counts[word] = counts.get(word, 0) + 1\n"
        "    return counts\n",
    ),
    Held(
        "Moving average",
        [
            "moving_average(values, window) returns the mean of each full window, in order",
            "a window below 1 raises ValueError",
        ],
        "def moving_average(values: list[float], window: int) -> list[float]:\n"
        "    if window < 1:\n"
        '        raise ValueError("window must be at least 1")\n'
        "    return [\n"
        "        sum(values[i : i + window]) / window for i in range(len(values) - window + 1)\n"
        "    ]\n",
    ),
    Held(
        "Clamp a score",
        [
            "clamp(score, low, high) returns score limited to the range low..high",
            "low greater than high raises ValueError",
        ],
        "def clamp(score: float, low: float, high: float) -> float:\n"
        "    if low > high:\n"
        '        raise ValueError("low is above high")\n'
        "    return max(low, min(score, high))\n",
    ),
]


HELD_OUT = [
    Held(
        "Average order value",
        [
            "average_order_value(revenue, orders) returns revenue divided by orders",
            "orders of 0 raises ValueError",
        ],
        "def average_order_value(revenue: float, orders: int) -> float:\n"
        "    if orders == 0:\n"
        '        raise ValueError("no orders")\n'
        "    return revenue / orders\n",
    ),
    Held(
        "Churned users",
        [
            "churned(last_seen, today, days) returns the ids whose last visit is more than "
            "days before today, sorted",
            "last_seen is a dict of user id to the day number of the last visit",
        ],
        "def churned(last_seen: dict[str, int], today: int, days: int) -> list[str]:\n"
        "    return sorted(u for u, day in last_seen.items() if today - day > days)\n",
    ),
    Held(
        "Normalise an email",
        [
            "normalise_email(email) returns the email stripped of spaces and lower-cased",
            "an email without @ raises ValueError",
        ],
        "def normalise_email(email: str) -> str:\n"
        "    cleaned = email.strip().lower()\n"
        '    if "@" not in cleaned:\n'
        '        raise ValueError("not an email")\n'
        "    return cleaned\n",
    ),
    Held(
        "Median delivery time",
        [
            "median_delivery(hours) returns the median of the delivery times in hours",
            "an empty list raises ValueError",
        ],
        "def median_delivery(hours: list[float]) -> float:\n"
        "    if not hours:\n"
        '        raise ValueError("no deliveries")\n'
        "    ordered = sorted(hours)\n"
        "    middle = len(ordered) // 2\n"
        "    if len(ordered) % 2:\n"
        "        return ordered[middle]\n"
        "    return (ordered[middle - 1] + ordered[middle]) / 2\n",
    ),
    Held(
        "Error rate",
        [
            "error_rate(errors, requests) returns errors / requests as a float",
            "requests of 0 raises ValueError",
        ],
        "def error_rate(errors: int, requests: int) -> float:\n"
        "    if requests == 0:\n"
        '        raise ValueError("no requests"\n'  # cut short, as a small model's reply is
        "    return errors / requests\n",
    ),
    Held(
        "Retention share",
        [
            "retention(active, cohort) returns the share of the cohort still active",
            "a cohort of 0 raises ValueError",
        ],
        "def retention(active: int, cohort: int) -> float\n"  # the colon is missing
        "    if cohort == 0:\n"
        '        raise ValueError("empty cohort")\n'
        "    return active / cohort\n",
    ),
]
"""Never used for tuning."""
PARTS = {"tuning": STEPS, "held-out": HELD_OUT}


@dataclass
class Row:
    step: str
    cases: int
    tests: int
    parses: bool
    agreeing: int
    seconds: float
    note: str = ""


def measure(held: Held, ctx: Context, limits: Limits, max_tokens: int) -> Row:
    started = time.monotonic()
    hint = "\n".join([held.title, *held.requirements])
    signature = signature_for(held.solution, hint)
    assert signature is not None, held.title
    outline = StepOutline(title=held.title, goal=held.requirements[0])
    draft = StepDraft(story="-", theory="-", requirements=held.requirements)
    brief = TaskBrief(idea=held.title, steps=1)
    values = {
        "brief": brief,
        "plan": Plan(title=held.title, steps=[outline]),
        "outline": outline,
        "number": 1,
    }
    cases = ask_cases(
        ctx, signature, max_tokens=max_tokens, draft=draft, solution=held.solution, **values
    )
    if not cases:
        return Row(held.title, 0, 0, False, 0, time.monotonic() - started, "no valid case list")
    rendered = render_cases(cases, signature)
    try:
        tree = ast.parse(rendered.code)
        parses = True
    except SyntaxError:
        tree, parses = ast.Module(body=[], type_ignores=[]), False
    tests = sum(
        1 for n in tree.body if isinstance(n, ast.FunctionDef) and n.name.startswith("test_")
    )
    step = Step(
        title=held.title,
        goal=held.requirements[0],
        requirements=held.requirements,
        story="",
        theory="",
        solution=held.solution,
        tests=rendered.code,
        cases=rendered.kept,
    )
    disagreed = disagreements(step, sandbox_for(), limits)
    note = "; ".join(f"{d.kind.value}: {d.line}"[:160] for d in disagreed[:3])
    return Row(
        held.title,
        len(rendered.kept),
        tests,
        parses,
        len(rendered.kept) - len(disagreed),
        time.monotonic() - started,
        note,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="local")
    parser.add_argument("--part", choices=sorted(PARTS), default="held-out")
    parser.add_argument("--steps", type=int, default=None, help="first N steps of the part")
    parser.add_argument("--reasks", type=int, default=2, help="re-asks after an invalid reply")
    parser.add_argument("--max-tokens", type=int, default=900, help="per request")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    settings = Settings(model=args.model, reasks=args.reasks)
    model = model_from_string(args.model, settings)
    ctx = Context(model, default_master())
    rows = []
    try:
        for held in PARTS[args.part][: args.steps]:
            row = measure(held, ctx, Limits(), args.max_tokens)
            rows.append(row)
            print(json.dumps(asdict(row)), file=sys.stderr, flush=True)
    finally:
        model.close()
    steps_ok = sum(1 for r in rows if r.parses and r.tests >= 3)
    cases = sum(r.cases for r in rows)
    agreeing = sum(r.agreeing for r in rows)
    summary = {
        "model": model.name,
        "part": args.part,
        "steps": len(rows),
        "steps_with_3_parseable_tests": steps_ok,
        "share_steps": round(steps_ok / len(rows), 3) if rows else 0.0,
        "cases": cases,
        "agreeing_cases": agreeing,
        "share_agreeing": round(agreeing / cases, 3) if cases else 0.0,
        "seconds": round(sum(r.seconds for r in rows), 1),
    }
    if args.json:
        print(json.dumps({"summary": summary, "rows": [asdict(r) for r in rows]}, indent=2))
    else:
        for r in rows:
            print(
                f"{r.step:20} cases={r.cases} tests={r.tests} parses={r.parses} "
                f"agree={r.agreeing}/{r.cases} {r.seconds:.0f}s {r.note}"
            )
        print(json.dumps(summary))


if __name__ == "__main__":
    main()
