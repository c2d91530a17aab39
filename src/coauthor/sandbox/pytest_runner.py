"""Run a generated pytest file in a sandbox and report results the tested code cannot forge.

Why not trust pytest's exit code or a junit XML file? The code under test runs in the pytest
process and can write anything in its work folder, call ``os._exit(0)``, or hook pytest through
a conftest.py. So:

1. Expected tests come from parsing the test file with ``ast`` on the host.
2. Files that configure, hook or shadow pytest/Python (conftest.py, pytest.ini, tox.ini,
   setup.cfg, pyproject.toml, sitecustomize.py, usercustomize.py, ``*.pth``, a top-level
   pytest/_pytest/pluggy/coverage) are refused and named in the report. pytest also runs
   with ``--noconftest -c /dev/null -p no:cacheprovider``, plugin autoloading off and
   PYTHONSAFEPATH, so nothing in the work folder is imported before the trusted driver is
   in place.
3. The driver (``_probe/sandbox_probe.py``, outside the work folder, read-only under
   bubblewrap) gets a fresh HMAC key on stdin and sends each test phase as a signed,
   sequence-numbered record down a pipe to the host; no file is involved.
4. A test passes only if a verified record says so for an expected id; a test without
   records is ``missing``, a test cut short is ``error``, and an unfinished session or any
   forged record fails the whole run.

5. Process-isolated mode (``isolate=``, chosen per step by ``boundary.plan``): the solution
   runs in a second sandbox behind a stand-in module (``isolated.py``), so no code of the
   solution shares the process that holds the key. Otherwise the run is in-process and
   tamper-evident (``_probe/sandbox_watch.py``): code in the same process could still find
   the key or patch pytest, and the driver reports what it sees of that.

Under ``rlimits-only`` the tested code could even rewrite the driver on disk. The report
says which isolation and which mode produced it.
"""

from __future__ import annotations

import json
import secrets
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from coauthor.sandbox.base import Limits, Result, Sandbox
from coauthor.sandbox.boundary import IN_PROCESS, ISOLATED, Mode, Plan, plan
from coauthor.sandbox.isolated import Split, run_split
from coauthor.sandbox.report import MISSING, PASSED, Records, outcomes_for, verify
from coauthor.sandbox.testids import expected_test_ids, split_files
from coauthor.sandbox.workdir import safe_relpath

PYTEST_ARGS = ("-q", "--tb=short", "-p", "no:cacheprovider", "--noconftest")
_ENV = {"PYTHONSAFEPATH": "1", "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
_OUTPUT_CHARS = 20_000


@dataclass
class PytestReport:
    """Per-test outcomes from the trusted channel, plus what the run looked like."""

    outcomes: dict[str, str]
    """Test id -> passed, failed, error, skipped or missing."""
    expected: tuple[str, ...]
    finished: bool
    exit_status: int | None
    forged_records: int
    rejected_files: tuple[str, ...]
    coverage_percent: float | None
    output: str
    duration_s: float
    isolation: str
    result: Result
    details: dict[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    mode: str = IN_PROCESS
    """process-isolated (the solution in its own process) or in-process, tamper-evident."""
    mode_reason: str = ""
    """Why the step ran in-process."""
    tampered: tuple[str, ...] = ()
    """Changes to pytest, pluggy or the driver that the driver saw during the run."""

    @property
    def counts(self) -> dict[str, int]:
        return dict(Counter(self.outcomes.values()))

    @property
    def all_passed(self) -> bool:
        """True only for a complete, untampered session where every expected test passed."""
        clean = self.finished and self.forged_records == 0 and not self.result.timed_out
        clean = clean and not self.tampered
        every = all(outcome == PASSED for outcome in self.outcomes.values())
        return bool(self.expected) and clean and every

    def outcome(self, test_id: str) -> str:
        return self.outcomes.get(test_id, MISSING)


def run_pytest(
    sandbox: Sandbox,
    files: Mapping[str, str | bytes],
    *,
    test_file: str = "test_step.py",
    limits: Limits | None = None,
    coverage_of: str | None = None,
    pytest_args: Sequence[str] = (),
    isolate: str | None = None,
    mode: Mode = "auto",
) -> PytestReport:
    """Run ``test_file`` among ``files``; ``coverage_of`` names a module to measure.

    ``isolate`` names the solution module to run in its own process when the step allows
    it (``mode="auto"``); ``mode`` forces one way or the other.
    """
    safe_relpath(test_file)
    for name in (coverage_of, isolate):
        if name is not None:
            safe_relpath(name)
    accepted, rejected = split_files(files)
    expected = expected_test_ids(accepted.get(test_file), test_file)
    limits = limits or Limits()
    session = _Session(sandbox, test_file, limits, pytest_args)
    chosen = Plan(IN_PROCESS, "no solution module was named to isolate")
    if isolate is not None:
        chosen = plan(accepted, solution_file=isolate, test_file=test_file, mode=mode)
    if chosen.mode == ISOLATED and isolate is not None:
        split = Split(isolate, test_file, chosen.proxy)
        result, records, coverage = session.isolated(accepted, split, coverage_of)
        if not records.fallbacks or mode == ISOLATED:
            report = _report(result, records, expected=expected, rejected=rejected)
            return _with_mode(report, ISOLATED, "", coverage if coverage_of else None)
        chosen = Plan(
            IN_PROCESS, f"fell back from the process-isolated run: {records.fallbacks[0]}"
        )
    result, records = session.in_process(accepted, coverage_of)
    report = _report(result, records, expected=expected, rejected=rejected)
    coverage = records.coverage_percent if coverage_of else None
    return _with_mode(report, IN_PROCESS, chosen.reason, coverage)


@dataclass(frozen=True)
class _Session:
    """One pytest session with a fresh key, in-process or beside a solution server."""

    sandbox: Sandbox
    test_file: str
    limits: Limits
    pytest_args: Sequence[str]

    def _command(self) -> list[str]:
        command = [self.sandbox.python, "-m", "sandbox_probe", *PYTEST_ARGS, "-c", "/dev/null"]
        return [*command, "--rootdir", ".", *self.pytest_args, "--", self.test_file]

    @staticmethod
    def _handshake(key: bytes, coverage_of: str | None) -> bytes:
        return (json.dumps({"key": key.hex(), "coverage_of": coverage_of}) + "\n").encode()

    def in_process(
        self, files: Mapping[str, str | bytes], coverage_of: str | None
    ) -> tuple[Result, Records]:
        key = secrets.token_bytes(32)
        result = self.sandbox.run(
            files,
            self._command(),
            limits=self.limits,
            stdin=self._handshake(key, coverage_of),
            side_channel=True,
            helpers=True,
            extra_env=_ENV,
        )
        return result, verify(result.side_channel, key)

    def isolated(
        self, files: Mapping[str, str | bytes], split: Split, coverage_of: str | None
    ) -> tuple[Result, Records, float | None]:
        key = secrets.token_bytes(32)
        run = run_split(
            self.sandbox,
            files,
            split,
            self._command(),
            limits=self.limits,
            stdin=self._handshake(key, None),
            env=_ENV,
            coverage_of=coverage_of,
        )
        result, server = run.tests, run.solution
        if server.stdout.strip() or server.stderr.strip() or server.killed_reason:
            ended = f" (ended: {server.killed_reason})" if server.killed_reason else ""
            extra = f"\n--- the solution's process{ended} ---\n{server.stdout}{server.stderr}"
            result = replace(result, stdout=result.stdout + extra)
        return result, verify(result.side_channel, key), run.coverage_percent


def _with_mode(
    report: PytestReport, mode: str, reason: str, coverage: float | None
) -> PytestReport:
    notes = report.notes + ((f"in-process: {reason}",) if reason else ())
    return replace(report, mode=mode, mode_reason=reason, coverage_percent=coverage, notes=notes)


def _report(
    result: Result,
    records: Records,
    *,
    expected: tuple[str, ...],
    rejected: tuple[str, ...],
) -> PytestReport:
    outcomes, details = outcomes_for(expected, records)
    output = result.stdout + ("\n" + result.stderr if result.stderr else "")
    if len(output) > _OUTPUT_CHARS:
        half = _OUTPUT_CHARS // 2
        output = output[:half] + "\n[... output trimmed ...]\n" + output[-half:]
    return PytestReport(
        outcomes=outcomes,
        expected=expected,
        finished=records.finished,
        exit_status=records.exit_status,
        forged_records=records.forged,
        rejected_files=rejected,
        coverage_percent=records.coverage_percent,
        output=output,
        duration_s=result.duration_s,
        isolation=result.isolation,
        result=result,
        details=details,
        notes=tuple(_notes(result, records, expected=expected, rejected=rejected)),
        tampered=tuple(records.tampered),
    )


def _notes(
    result: Result, records: Records, *, expected: tuple[str, ...], rejected: tuple[str, ...]
) -> list[str]:
    notes: list[str] = []
    if rejected:
        notes.append(f"refused files that configure pytest or Python: {', '.join(rejected)}")
    if not expected:
        notes.append("no test functions found in the test file")
    if records.forged:
        notes.append(f"{records.forged} forged or corrupt report records were ignored")
    if records.tampered:
        notes.append("tampered: " + "; ".join(records.tampered[:5]))
    if not records.finished:
        reason = result.killed_reason or f"exit status {result.returncode}"
        notes.append(f"pytest did not finish its session ({reason})")
    if records.coverage_error:
        notes.append(f"coverage unavailable: {records.coverage_error}")
    if result.isolation == "rlimits-only":
        notes.append("rlimits-only sandbox: the tested code could tamper with this report")
    return notes
