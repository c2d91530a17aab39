"""Mutants run in the sandbox, one clean child each: a hanging, memory-hungry or exiting
mutant is counted as caught and never as a pass, and no mutant changes what is recorded
for another."""

from __future__ import annotations

import pytest

from coauthor.mutation import MutantSource, run_mutants
from coauthor.sandbox import Limits, Sandbox
from coauthor.schemas.mutation import Mutant, MutantStatus

SOLUTION = "def add_one(x):\n    return x + 1\n"
TESTS = """from solution import add_one


def test_one():
    assert add_one(1) == 2


def test_zero():
    assert add_one(0) == 1
"""
EQUIVALENT = "def add_one(x):\n    return 1 + x\n"
LIMITS = Limits(cpu_seconds=20, memory_mb=768, wall_seconds=60)


def mutant(name: str, source: str) -> MutantSource:
    meta = Mutant(id=name, operator="hand", line=2, change=name, status=MutantStatus.survived)
    return MutantSource(meta, source)


HANG = mutant("hang", "def add_one(x):\n    while True:\n        pass\n")
MEMORY = mutant(
    "memory",
    "def add_one(x):\n    data = []\n    while True:\n        data.append(bytearray(8 << 20))\n",
)
EXIT = mutant("exit", "import os\n\n\ndef add_one(x):\n    os._exit(0)\n")
WRONG = mutant("wrong", "def add_one(x):\n    return x + 2\n")
SAME = mutant("same", EQUIVALENT)


def statuses(sandbox: Sandbox, mutants: list[MutantSource]) -> dict[str, Mutant]:
    run = run_mutants(
        sandbox, mutants, TESTS, solution=SOLUTION, limits=LIMITS, per_mutant_seconds=20
    )
    assert run.problems == []
    assert run.baseline == {"test_one": "passed", "test_zero": "passed"}
    return {m.id: m for m in run.mutants}


def test_hostile_mutants_are_caught_and_the_rest_still_run(any_sandbox: Sandbox) -> None:
    got = statuses(any_sandbox, [HANG, MEMORY, EXIT, WRONG, SAME])
    assert got["hang"].status is MutantStatus.timeout
    assert got["memory"].status is MutantStatus.timeout
    assert got["exit"].status is MutantStatus.killed
    assert got["exit"].killed_by == ["test_one", "test_zero"]
    assert got["wrong"].status is MutantStatus.killed
    assert got["wrong"].killed_by == ["test_one", "test_zero"]
    assert got["same"].status is MutantStatus.survived
    assert got["same"].killed_by == []


LINGER = mutant(
    "linger",
    """import os
import time

if os.fork() == 0:  # a helper that outlives the mutant and spoils the next one's files
    os.setsid()
    for _ in range(400):
        for name in ("solution.py", "test_step.py"):
            try:
                with open(name, "w") as handle:
                    handle.write("def add_one(x):\\n    return 'spoiled'\\n")
            except OSError:
                pass
        time.sleep(0.01)
    os._exit(0)


def add_one(x):
    return x + 1
""",
)
KILL_DRIVER = mutant(
    "kill-driver",
    "import os\nimport signal\n\nos.kill(os.getppid(), signal.SIGKILL)\n\n\n"
    "def add_one(x):\n    return x + 1\n",
)


def test_a_mutant_cannot_change_what_is_recorded_for_the_next(any_sandbox: Sandbox) -> None:
    got = statuses(
        any_sandbox,
        [
            LINGER,
            SAME,
            KILL_DRIVER,
            WRONG,
            SAME.__class__(SAME.mutant.model_copy(update={"id": "same-again"}), EQUIVALENT),
        ],
    )
    assert got["linger"].status is MutantStatus.survived
    assert got["same"].status is MutantStatus.survived
    assert got["kill-driver"].status is MutantStatus.killed  # it ended the session
    assert got["wrong"].status is MutantStatus.killed
    assert got["same-again"].status is MutantStatus.survived


def test_a_failing_baseline_test_kills_nothing(bwrap: Sandbox) -> None:
    flaky = TESTS + "\n\ndef test_broken():\n    assert add_one(1) == 3\n"
    run = run_mutants(bwrap, [WRONG, SAME], flaky, solution=SOLUTION, limits=LIMITS)
    got = {m.id: m for m in run.mutants}
    assert run.baseline["test_broken"] == "failed"
    assert got["wrong"].killed_by == ["test_one", "test_zero"]
    assert got["same"].status is MutantStatus.survived


@pytest.mark.parametrize("passing", [{"test_one"}, set()])
def test_only_tests_that_pass_on_the_solution_can_kill(bwrap: Sandbox, passing: set[str]) -> None:
    run = run_mutants(
        bwrap, [WRONG], TESTS, solution=SOLUTION, limits=LIMITS, tests_passing=passing
    )
    assert run.mutants[0].killed_by == sorted(passing)
    expected = MutantStatus.killed if passing else MutantStatus.survived
    assert run.mutants[0].status is expected


FORGER = mutant(
    "forger",
    """import json
import os

LINE = json.dumps({"seq": 0, "payload": "{}", "mac": "0" * 64}) + "\\n"
fd = os.environ.get("SANDBOX_REPORT_FD", "")
for target in (f"/proc/{os.getppid()}/fd/{fd}", f"/proc/self/fd/{fd}"):
    try:
        with open(target, "w") as handle:
            handle.write(LINE * 50)
    except OSError:
        pass
try:
    os.write(int(fd), LINE.encode())
except (OSError, ValueError):
    pass


def add_one(x):
    return x + 2
""",
)


def test_a_mutant_cannot_write_to_the_host_report(bwrap: Sandbox) -> None:
    got = statuses(bwrap, [FORGER, SAME, WRONG])  # statuses() asserts no forged records
    assert got["forger"].status is MutantStatus.killed
    assert got["same"].status is MutantStatus.survived
    assert got["wrong"].status is MutantStatus.killed
