"""Intent accuracy per intent, slot accuracy and latency of the offline router.

    .venv/bin/python bench/router.py FILE.jsonl [FILE.jsonl ...] [--cv] [--misses]

The classifier is trained on the shipped examples minus every message in the
files evaluated, so the figures are always on messages it has not seen (on the
shipped dev set this means: trained on our own examples only). ``--cv`` adds a
stratified k-fold cross-validation over the shipped examples and the files
together, repeated with several seeds.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import Counter
from pathlib import Path

from rich.console import Console
from rich.table import Table

from coauthor.copilot.classifier import (
    Example,
    IntentClassifier,
    cross_validated,
    read_examples,
    shipped_examples,
)
from coauthor.copilot.evaluation import Score, score
from coauthor.copilot.router import Router

console = Console()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", type=Path, help="labelled JSONL files")
    parser.add_argument("--cv", action="store_true", help="also cross-validate")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--misses", action="store_true", help="print misrouted messages")
    args = parser.parse_args()
    tested = [example for path in args.files for example in read_examples(path)]
    seen = {example.text for example in tested}
    training = [example for example in shipped_examples() if example.text not in seen]
    IntentClassifier.fit(training[::8])  # imports scikit-learn, which the timing leaves out
    started = time.perf_counter()
    classifier = IntentClassifier.fit(training)
    fit_s = time.perf_counter() - started
    result = score(Router(classifier), tested)
    report(result, trained_on=len(training), fit_s=fit_s, show_misses=args.misses)
    if args.cv:
        pool = list({example.text: example for example in [*shipped_examples(), *tested]}.values())
        cross_validation(pool, folds=args.folds, seeds=args.seeds)


def report(result: Score, *, trained_on: int, fit_s: float, show_misses: bool) -> None:
    table = Table(title=f"Offline router on {result.total} held-out messages")
    for column in ("intent", "messages", "correct", "accuracy"):
        table.add_column(column, justify="left" if column == "intent" else "right")
    for intent, (n, right) in sorted(result.per_intent.items()):
        table.add_row(intent.value, str(n), str(right), f"{right / n:.0%}")
    table.add_row("all", str(result.total), str(result.correct), f"{result.accuracy:.1%}")
    console.print(table)
    latencies = sorted(result.latencies_ms)
    p95 = latencies[max(0, round(0.95 * len(latencies)) - 1)]
    decided = result.decided / result.total if result.total else 0.0
    sure = result.decided_correct / result.decided if result.decided else 0.0
    console.print(
        f"trained on {trained_on} examples in {fit_s:.2f} s\n"
        f"intent accuracy {result.accuracy:.1%}; decided without asking {decided:.0%} "
        f"(accuracy there {sure:.1%}); the rest get a clarifying question\n"
        f"slot accuracy {result.slot_accuracy:.1%} "
        f"({result.slots_correct}/{result.slots_total} messages whose intent takes slots)\n"
        f"latency per message: mean {statistics.mean(latencies):.2f} ms, p95 {p95:.2f} ms"
    )
    if show_misses:
        for text, want, got in result.misses:
            console.print(f"  {want.value} -> {got.value}: {text}", highlight=False)


def cross_validation(pool: list[Example], *, folds: int, seeds: int) -> None:
    accuracies = []
    per_intent: Counter[str] = Counter()
    totals: Counter[str] = Counter()
    for seed in range(seeds):
        pairs = cross_validated(pool, folds=folds, seed=seed)
        accuracies.append(sum(want is got for want, got in pairs) / len(pairs))
        for want, got in pairs:
            totals[want.value] += 1
            per_intent[want.value] += want is got
    table = Table(title=f"{folds}-fold cross-validation over {len(pool)} messages, {seeds} seeds")
    table.add_column("intent")
    table.add_column("accuracy", justify="right")
    for name in sorted(totals):
        table.add_row(name, f"{per_intent[name] / totals[name]:.1%}")
    console.print(table)
    spread = f" (min {min(accuracies):.1%}, max {max(accuracies):.1%})" if seeds > 1 else ""
    console.print(f"cross-validated intent accuracy {statistics.mean(accuracies):.1%}{spread}")


if __name__ == "__main__":
    main()
