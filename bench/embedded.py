"""Tokens per second of the embedded model through Co-Author's local backend (a
``llama_cpp.server`` child process reached over HTTP, streamed) against llama-cpp-python
called directly (``llama_cpp.Llama.create_chat_completion``) in this process: the same
GGUF file, prompts, JSON schemas (turned into the same grammar by llama-cpp-python),
sampling settings and thread count, measured in the same run, interleaved prompt by prompt
so that a change in the machine's load hits both sides alike.

    nice .venv/bin/python bench/embedded.py [--rounds 2] [--max-tokens 160]

Tokens are counted the same way on both sides: the reply's text through the model's own
tokenizer. Time is the wall clock of one whole request (prompt included), as an author
waits for it. The target is a ratio (backend / direct) of at least 0.9.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from rich.console import Console
from rich.table import Table

from coauthor.llm.base import JsonSchema
from coauthor.llm.local import LocalModel, default_gguf
from coauthor.llm.testing import BLOCK_ENV
from coauthor.schemas import LessonList, Plan, StepSummary
from coauthor.schemas.calls import Message
from coauthor.settings import Settings

SYSTEM = "You write programming tasks for data science students. Reply with JSON only."
PROMPTS: list[tuple[str, type[BaseModel]]] = [
    ("List three lessons a task on A/B test sample sizes teaches.", LessonList),
    ("Plan a two-step task on forecasting weekly demand for a shop.", Plan),
    ("Summarise a step where students compute the mean uplift of an experiment.", StepSummary),
    ("List three lessons a task on churn prediction with logistic regression teaches.", LessonList),
]


@dataclass
class Side:
    name: str
    tokens: int = 0
    seconds: float = 0.0
    replies: list[float] = field(default_factory=list)

    def add(self, tokens: int, seconds: float) -> None:
        self.tokens += tokens
        self.seconds += seconds
        self.replies.append(tokens / seconds if seconds else 0.0)

    @property
    def rate(self) -> float:
        return self.tokens / self.seconds if self.seconds else 0.0


def messages_for(prompt: str) -> list[Message]:
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": prompt}]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=2, help="times each prompt is asked")
    parser.add_argument("--max-tokens", type=int, default=160, help="cap on each reply")
    args = parser.parse_args()

    import llama_cpp

    os.environ.pop(BLOCK_ENV, None)
    settings = Settings(n_ctx=2048)
    path: Path = default_gguf()
    threads = len(os.sched_getaffinity(0))
    backend = LocalModel(path, settings)
    direct = llama_cpp.Llama(
        str(path), n_ctx=settings.n_ctx, n_threads=threads, seed=settings.seed, verbose=False
    )
    sides = {"backend": Side("Co-Author local backend (llama_cpp.server)"), "direct": Side("")}
    sides["direct"].name = "llama_cpp.Llama, called directly"

    def count(text: str) -> int:
        return len(direct.tokenize(text.encode(), add_bos=False, special=False))

    def via_backend(messages: list[Message], schema: JsonSchema) -> str:
        return backend._call(messages, schema=schema, max_tokens=args.max_tokens).text

    def via_direct(messages: list[Message], schema: JsonSchema) -> str:
        reply: Any = direct.create_chat_completion(
            messages=messages,  # type: ignore[arg-type]
            response_format={"type": "json_object", "schema": schema},
            temperature=settings.temperature,
            seed=settings.seed,
            max_tokens=args.max_tokens,
            repeat_penalty=settings.local_repeat_penalty,
            frequency_penalty=settings.local_frequency_penalty,
        )
        return str(reply["choices"][0]["message"]["content"])

    calls = {"backend": via_backend, "direct": via_direct}
    try:
        warm = messages_for("Say hello.")
        schemas = {output.__name__: output.model_json_schema() for _, output in PROMPTS}
        for call in calls.values():  # server start, weights paged in, each schema once
            for schema in schemas.values():
                call(warm, schema)
        for round_number in range(args.rounds):
            for index, (prompt, output) in enumerate(PROMPTS):
                order = ["backend", "direct"] if (round_number + index) % 2 == 0 else None
                for key in order or ["direct", "backend"]:
                    started = time.perf_counter()
                    text = calls[key](messages_for(prompt), output.model_json_schema())
                    sides[key].add(count(text), time.perf_counter() - started)
                    print(
                        f"round {round_number + 1}, {output.__name__}, {key}: "
                        f"{sides[key].replies[-1]:.1f} tokens/s",
                        flush=True,
                    )
    finally:
        backend.close()

    table = Table(title=f"Embedded model {path.name}, {threads} threads, {args.rounds} rounds")
    for column in ("path", "requests", "tokens", "seconds", "tokens/s", "per reply (min-max)"):
        table.add_column(column, justify="left" if column == "path" else "right")
    for side in sides.values():
        table.add_row(
            side.name,
            str(len(side.replies)),
            str(side.tokens),
            f"{side.seconds:.1f}",
            f"{side.rate:.1f}",
            f"{min(side.replies):.1f}-{max(side.replies):.1f}",
        )
    console = Console()
    console.print(table)
    ratio = sides["backend"].rate / sides["direct"].rate
    verdict = "meets" if ratio >= 0.9 else "MISSES"
    console.print(f"ratio backend / direct: {ratio:.2f} ({verdict} the 0.9 target)")
    pairs = [
        b / d for b, d in zip(sides["backend"].replies, sides["direct"].replies, strict=True) if d
    ]
    console.print(
        f"the same prompt asked both ways, backend / direct: median {statistics.median(pairs):.2f}"
        f", {min(pairs):.2f} to {max(pairs):.2f} over {len(pairs)} pairs (one slow reply on a "
        "shared machine moves the total; the median of pairs does not)"
    )


if __name__ == "__main__":
    main()
