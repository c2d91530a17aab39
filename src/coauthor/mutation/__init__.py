"""Mutation analysis of a step: put small faults into the reference solution and see
whether the step's tests notice.

The API the checking system, the repair round and the surfaces use:

- ``generate(solution, limit)`` -> ``list[MutantSource]``: the mutants of a solution,
  deterministic for a given solution and limit, at most ``limit`` of them, spread evenly
  over operators and lines. Each carries its ``Mutant`` metadata (stable ``id``,
  ``operator``, ``line``, ``change`` in words, a small unified ``diff``; ``status`` is a
  placeholder until run) and ``source``, the mutant's whole module text.
- ``mutant_source(solution, mutant_id, limit=DEFAULT_MUTANTS)`` -> the source of one
  mutant by id, or ``None`` when no mutant of that solution has that id.
- ``run_mutants(sandbox, mutants, tests, *, limits, tests_passing, ...)`` -> ``MutantRun``:
  runs the mutants against a test file in one sandboxed session (a trusted driver forks a
  clean child per mutant, with its own time and memory limit; results come up a signed
  channel) and returns each mutant with its status (killed / survived / timeout) and the
  tests that killed it.
- ``analyse(step, *, sandbox, limits, tests_passing, limit, threshold)`` ->
  ``MutationReport``: generate + run + score, with the author's equivalent marks
  (``step.equivalent_mutants``) left out of the score. ``limit=0`` gives a report with
  ``score=None`` and ``skipped`` saying why.
- ``survivor_problems(report, uncovered_lines, solution)`` -> sentences an author
  understands about the surviving mutants (line, change, lines no test runs).
"""

from __future__ import annotations

from coauthor.mutation.analysis import analyse, survivor_problems
from coauthor.mutation.operators import MutantSource, generate, mutant_source
from coauthor.mutation.runner import MutantRun, run_mutants

__all__ = [
    "MutantRun",
    "MutantSource",
    "analyse",
    "generate",
    "mutant_source",
    "run_mutants",
    "survivor_problems",
]
