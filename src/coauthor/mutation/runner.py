"""Run mutants against a step's tests in the sandbox, fast and with a signed report.

One sandboxed session per batch: the trusted driver (``_probe/sandbox_mutants.py``)
imports pytest and the step's imports once and forks a clean child per mutant (the
unmutated solution first, as a baseline that also sets the per-mutant time limit). Only
the driver writes the report, HMAC-signed with a key the host makes per session; each
child reports on a pipe of its own, so a mutant can describe nothing but itself. When a
mutant ends the whole session (kills the driver), it counts as killed and the mutants
after it run in a new session.

Each child carries the in-process mode's tamper watch (``_probe/sandbox_watch.py``): a
mutant seen patching pytest, pluggy or the driver in its own process (say, replacing
``TestReport`` or ``call_and_report`` so that every test reads as passed) is counted as
*killed*, whatever its tests said, and named in ``problems`` (so the verdict says so and
does not pass); when the unmutated solution itself tampers, the whole run is a problem.
What this still does not give: the watch is evidence, not a wall (code in the same
process can act before a check runs, or write a forged line on its own pipe), so a
hostile mutant could misreport its OWN outcome unseen; it cannot reach the key, the host
channel or another mutant's pipe, and its patches die with its child. A mutant only
differs from the solution in one small edit, so this matters only for a solution that is
itself hostile, which the solution's own check (process-isolated or tamper-evident) is
there to catch.

A mutant is *killed* when a test that passes on the solution (``tests_passing``, and in
the baseline of the same session) fails, errors or goes missing on it; *timeout* when it
ran past its time limit, died of a signal or ran out of memory (counted as killed);
*survived* otherwise.
"""

from __future__ import annotations

import json
import math
import secrets
import time
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

from coauthor.mutation.operators import MutantSource
from coauthor.sandbox._probe.sandbox_wire import Json
from coauthor.sandbox.base import Limits, Sandbox
from coauthor.sandbox.report import (
    ERROR,
    FAILED,
    MISSING,
    PASSED,
    Records,
    _check,
    outcomes_for,
)
from coauthor.sandbox.testids import expected_test_ids
from coauthor.schemas.mutation import Mutant, MutantStatus

_ENV = {
    "PYTHONSAFEPATH": "1",
    "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}
MUTANTS_FILE = "mutants.json"
_KILLING = {FAILED, ERROR, MISSING}
_SIGNAL_DEATHS = {-9, -24, -6, -11}
"""SIGKILL (memory or the limit), SIGXCPU, SIGABRT, SIGSEGV: the child died, not a test."""


@dataclass
class MutantRun:
    """Each mutant with its status and the tests that killed it, and how the run went."""

    mutants: list[Mutant]
    duration_s: float = 0.0
    isolation: str = ""
    baseline: dict[str, str] = field(default_factory=dict)
    """Test name -> outcome on the unmutated solution, in the same kind of session."""
    problems: list[str] = field(default_factory=list)
    """Why (part of) the run cannot be trusted or did not happen; empty when all went well."""
    not_run: list[str] = field(default_factory=list)
    """Ids of mutants no session got to."""
    uncovered_lines: list[int] = field(default_factory=list)
    """Lines of the solution no test runs (measured on the baseline)."""
    sessions: int = 0


@dataclass
class _Seen:
    records: Records = field(default_factory=Records)
    started: bool = False
    ended: bool = False
    status: str = ""
    exitcode: int = 0
    seconds: float = 0.0
    missing_lines: list[int] = field(default_factory=list)


def run_mutants(
    sandbox: Sandbox,
    mutants: Sequence[MutantSource],
    tests: str,
    *,
    solution: str,
    limits: Limits | None = None,
    tests_passing: Collection[str] | None = None,
    test_file: str = "test_step.py",
    solution_file: str = "solution.py",
    per_mutant_seconds: float | None = None,
) -> MutantRun:
    """Run ``mutants`` (each as ``solution_file``) against ``tests`` and judge each one.

    ``tests_passing`` are the test names (``test_x``, as in a verdict) that pass on the
    solution; by default those that pass in the baseline. ``per_mutant_seconds`` caps one
    mutant's run (the driver lowers it to 4x the baseline's time, at least 1.5 s).
    """
    limits = limits or Limits()
    started = time.monotonic()
    expected = expected_test_ids(tests, test_file)
    longest = per_mutant_seconds or min(limits.wall_seconds, max(5.0, limits.cpu_seconds / 2))
    run = MutantRun(mutants=[], isolation=sandbox.isolation)
    pending = list(mutants)
    judged: dict[str, Mutant] = {}
    baseline_done = False
    while pending:
        batch: list[dict[str, str]] = [{"id": "", "source": solution}] if not baseline_done else []
        batch += [{"id": m.id, "source": m.source} for m in pending]
        seen, finished, problem = _session(
            sandbox, batch, tests, limits, longest, test_file, solution_file
        )
        run.sessions += 1
        if problem:
            run.problems.append(problem)
        if not baseline_done:
            base = seen.get("")
            if base is None or not base.ended:
                run.problems.append("the unmutated solution could not be run by the driver")
                run.not_run = [m.id for m in pending]
                break
            if base.records.tampered:
                run.problems.append(
                    "the unmutated solution tampered with pytest in its run ("
                    + "; ".join(base.records.tampered[:3])
                    + "): the mutation analysis cannot be trusted"
                )
            outcomes, _ = outcomes_for(expected, base.records)
            run.baseline = {_name(t): got for t, got in outcomes.items()}
            run.uncovered_lines = base.missing_lines
            longest = min(longest, max(1.5, 4 * base.seconds + 0.5))
            baseline_done = True
        passing = _passing(run.baseline, tests_passing)
        progress = False
        still: list[MutantSource] = []
        for item in pending:
            got = seen.get(item.id)
            if got is None or not got.started:
                still.append(item)
                continue
            progress = True
            judged[item.id] = _judge(item.mutant, got, expected, passing, ended=got.ended)
            if got.records.tampered:
                run.problems.append(
                    f"mutant {item.id} tampered with pytest in its run ("
                    + "; ".join(got.records.tampered[:2])
                    + "): counted as killed, its own outcome cannot be trusted"
                )
        pending = still
        if pending and (finished or not progress):
            run.problems.append(f"{len(pending)} mutants were not run")
            run.not_run = [m.id for m in pending]
            break
    run.mutants = [judged[m.id] for m in mutants if m.id in judged]
    run.duration_s = round(time.monotonic() - started, 3)
    return run


def _passing(baseline: dict[str, str], tests_passing: Collection[str] | None) -> set[str]:
    """Tests that can kill: passing on the solution in both the verdict and the baseline
    (a test that is flaky between the two kills nothing)."""
    on_base = {name for name, got in baseline.items() if got == PASSED}
    return on_base if tests_passing is None else on_base & set(tests_passing)


def _name(test_id: str) -> str:
    return test_id.split("::")[-1]


def _judge(
    mutant: Mutant, seen: _Seen, expected: tuple[str, ...], passing: set[str], *, ended: bool
) -> Mutant:
    if not ended:  # the session died during this mutant: it ended the tests' process
        return mutant.model_copy(update={"status": MutantStatus.killed, "killed_by": []})
    if seen.records.tampered:  # its report describes a patched pytest, not its tests
        return mutant.model_copy(update={"status": MutantStatus.killed, "killed_by": []})
    outcomes, details = outcomes_for(expected, seen.records)
    killed_by = sorted(
        _name(test) for test, got in outcomes.items() if _name(test) in passing and got in _KILLING
    )
    memory = any("MemoryError" in details.get(test, "") for test in outcomes)
    if seen.status == "timeout" or seen.exitcode in _SIGNAL_DEATHS or (killed_by and memory):
        status = MutantStatus.timeout
    elif killed_by:
        status = MutantStatus.killed
    else:
        status = MutantStatus.survived
    return mutant.model_copy(update={"status": status, "killed_by": killed_by})


def _session(
    sandbox: Sandbox,
    batch: list[dict[str, str]],
    tests: str,
    limits: Limits,
    longest: float,
    test_file: str,
    solution_file: str,
) -> tuple[dict[str, _Seen], bool, str]:
    """One driver session: the records it signed, per mutant id; whether it finished;
    a problem when the channel was tampered with."""
    key = secrets.token_bytes(32)
    handshake = {
        "key": key.hex(),
        "per_mutant_s": longest,
        "memory_mb": limits.memory_mb,
        "solution_file": solution_file,
        "test_file": test_file,
        "mutants_file": MUTANTS_FILE,
    }
    count = len(batch)
    wall = min(3600.0, limits.wall_seconds + count * (longest + 0.5))
    session_limits = Limits(
        cpu_seconds=max(limits.cpu_seconds, math.ceil(wall)),
        memory_mb=limits.memory_mb,
        file_size_mb=limits.file_size_mb,
        processes=limits.processes,
        open_files=limits.open_files,
        wall_seconds=wall,
        output_bytes=limits.output_bytes,
        max_output_bytes=limits.max_output_bytes,
        call_seconds=limits.call_seconds,
        work_mb=limits.work_mb,
    )
    result = sandbox.run(
        {test_file: tests, MUTANTS_FILE: json.dumps(batch)},
        [sandbox.python, "-m", "sandbox_mutants"],
        limits=session_limits,
        stdin=(json.dumps(handshake) + "\n").encode(),
        side_channel=True,
        helpers=True,
        extra_env=_ENV,
    )
    seen: dict[str, _Seen] = {}
    finished = False
    forged = 0
    valid = 0
    for line in result.side_channel.split(b"\n")[:-1]:
        body = _check(line, key, expected_seq=valid)
        if body is None:
            forged += 1
            continue
        valid += 1
        kind = body.get("kind")
        mutant = seen.setdefault(str(body.get("id", "")), _Seen())
        if kind == "started":
            mutant.started = True
        elif kind == "record" and isinstance(body.get("record"), dict):
            record = body["record"]
            assert isinstance(record, dict)
            missing = record.get("missing")
            if record.get("kind") == "coverage" and isinstance(missing, list):
                mutant.missing_lines = [n for n in missing if isinstance(n, int)]
            else:
                _add(mutant.records, record)
        elif kind == "ended":
            mutant.ended = True
            mutant.status = str(body.get("status", ""))
            code = body.get("exitcode", 0)
            mutant.exitcode = code if isinstance(code, int) else 0
            took = body.get("seconds", 0.0)
            mutant.seconds = float(took) if isinstance(took, (int, float)) else 0.0
        elif kind == "finish":
            finished = True
    problem = ""
    if forged:
        problem = f"the mutation run's report had {forged} forged or corrupt records"
    elif not finished and not any(s.started and not s.ended for s in seen.values()):
        reason = result.killed_reason or f"exit status {result.returncode}"
        tail = (result.stderr or result.stdout)[-500:]
        problem = f"the mutation driver did not finish ({reason}) {tail}".strip()
    return seen, finished, problem


def _add(records: Records, body: dict[str, Json]) -> None:
    kind = body.get("kind")
    if kind == "phase" and isinstance(body.get("nodeid"), str):
        records.phases.setdefault(str(body["nodeid"]), []).append(body)
    elif kind == "collect":
        records.collect_errors.append(body)
    elif kind == "finish":
        records.finished = True
    elif kind == "tamper":
        records.tampered.append(str(body.get("what", ""))[:300])
