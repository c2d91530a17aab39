"""Run untrusted generated code (solutions, starters, tests) under isolation and limits.

``sandbox_for()`` returns a bubblewrap sandbox where it works, else an rlimits-only fallback
with a loud warning; ``run_pytest()`` runs a generated test file with a report the tested
code cannot forge (process-isolated) or cannot forge unseen (in-process, tamper-evident).
"""

from coauthor.sandbox.base import Limits, Result, Sandbox, SandboxUnavailableError
from coauthor.sandbox.boundary import IN_PROCESS, ISOLATED, Mode
from coauthor.sandbox.bubblewrap import BubblewrapSandbox
from coauthor.sandbox.factory import sandbox_for
from coauthor.sandbox.fallback import RlimitSandbox
from coauthor.sandbox.pytest_runner import PytestReport, run_pytest

__all__ = [
    "IN_PROCESS",
    "ISOLATED",
    "BubblewrapSandbox",
    "Limits",
    "Mode",
    "PytestReport",
    "Result",
    "RlimitSandbox",
    "Sandbox",
    "SandboxUnavailableError",
    "run_pytest",
    "sandbox_for",
]
