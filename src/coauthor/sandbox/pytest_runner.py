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

Limits: code in the same process could in principle find the key in memory or patch pytest
itself; under ``rlimits-only`` it could even rewrite the driver on disk. The report says
which isolation produced it.
"""

from __future__ import annotations

import json
import secrets
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from coauthor.sandbox.base import Limits, Result, Sandbox
from coauthor.sandbox.report import MISSING, PASSED, Records, outcomes_for, verify
from coauthor.sandbox.testids import expected_test_ids, split_files
from coauthor.sandbox.workdir import safe_relpath

PYTEST_ARGS = ("-q", "--tb=short", "-p", "no:cacheprovider", "--noconftest")
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

    @property
    def counts(self) -> dict[str, int]:
        return dict(Counter(self.outcomes.values()))

    @property
    def all_passed(self) -> bool:
        """True only for a complete, untampered session where every expected test passed."""
        clean = self.finished and self.forged_records == 0 and not self.result.timed_out
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
) -> PytestReport:
    """Run ``test_file`` among ``files``; ``coverage_of`` names a module to measure."""
    safe_relpath(test_file)
    if coverage_of is not None:
        safe_relpath(coverage_of)
    accepted, rejected = split_files(files)
    expected = expected_test_ids(accepted.get(test_file), test_file)
    key = secrets.token_bytes(32)
    handshake = json.dumps({"key": key.hex(), "coverage_of": coverage_of}) + "\n"
    command = [sandbox.python, "-m", "sandbox_probe", *PYTEST_ARGS, "-c", "/dev/null"]
    command += ["--rootdir", ".", *pytest_args, "--", test_file]
    env = {"PYTHONSAFEPATH": "1", "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    result = sandbox.run(
        accepted,
        command,
        limits=limits,
        stdin=handshake.encode(),
        side_channel=True,
        helpers=True,
        extra_env=env,
    )
    records = verify(result.side_channel, key)
    return _report(result, records, expected=expected, rejected=rejected, coverage=coverage_of)


def _report(
    result: Result,
    records: Records,
    *,
    expected: tuple[str, ...],
    rejected: tuple[str, ...],
    coverage: str | None,
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
        coverage_percent=records.coverage_percent if coverage else None,
        output=output,
        duration_s=result.duration_s,
        isolation=result.isolation,
        result=result,
        details=details,
        notes=tuple(_notes(result, records, expected=expected, rejected=rejected)),
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
    if not records.finished:
        reason = result.killed_reason or f"exit status {result.returncode}"
        notes.append(f"pytest did not finish its session ({reason})")
    if records.coverage_error:
        notes.append(f"coverage unavailable: {records.coverage_error}")
    if result.isolation == "rlimits-only":
        notes.append("rlimits-only sandbox: the tested code could tamper with this report")
    return notes
