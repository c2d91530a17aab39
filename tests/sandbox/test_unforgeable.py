"""A wrong solution (or test file) that attacks the report must never verify.

Each attack runs in both modes, under bubblewrap and under the rlimits-only fallback:
process-isolated (the solution is in another process, so the attack cannot reach pytest at
all) and in-process, where the driver must see it and mark the run tampered (or the signed
channel must reject what it wrote).
"""

from __future__ import annotations

import textwrap

import pytest

from coauthor.sandbox import BubblewrapSandbox, Limits, Sandbox, run_pytest
from coauthor.sandbox.boundary import IN_PROCESS, ISOLATED, Mode

LIMITS = Limits(cpu_seconds=10, wall_seconds=30, call_seconds=5)
WRONG = "\n\ndef add(a, b):\n    return a - b\n"
TEST_ADD = "from solution import add\n\n\ndef test_add():\n    assert add(2, 2) == 4\n"

ATTACKS = {
    "report-init": """
        import _pytest.reports as reports
        _init = reports.TestReport.__init__
        def _forced(self, *args, **kwargs):
            _init(self, *args, **kwargs)
            self.outcome, self.longrepr = "passed", None
        reports.TestReport.__init__ = _forced
    """,
    "call-info": """
        import _pytest.runner as runner
        _from_call = runner.CallInfo.from_call.__func__
        def _swallow(cls, func, when, reraise=None):
            return _from_call(cls, lambda: None, when, reraise)
        runner.CallInfo.from_call = classmethod(_swallow)
    """,
    "runner-function": """
        import _pytest.runner as runner
        _call_and_report = runner.call_and_report
        def _passing(item, when, log=True, **kwargs):
            item.runtest = lambda: None
            return _call_and_report(item, when, log, **kwargs)
        runner.call_and_report = _passing
    """,
    "hook-plugin": """
        import sys
        import pytest
        class _Force:
            @pytest.hookimpl(hookwrapper=True)
            def pytest_runtest_makereport(self, item, call):
                outcome = yield
                report = outcome.get_result()
                report.outcome, report.longrepr = "passed", None
        frame = sys._getframe()
        while frame is not None:
            config = frame.f_locals.get("config")
            if hasattr(config, "pluginmanager"):
                config.pluginmanager.register(_Force(), "force")
                break
            frame = frame.f_back
    """,
    "driver-send": """
        import sys
        _channel = getattr(sys.modules["__main__"], "_Channel", None)
        if _channel is not None:
            _send = _channel.send
            def _rewrite(self, body):
                if body.get("outcome") == "failed":
                    body = {**body, "outcome": "passed", "detail": ""}
                if body.get("kind") != "tamper":
                    _send(self, body)
            _channel.send = _rewrite
    """,
    "key-from-globals": """
        import hashlib, hmac, json, os, sys
        def _keys():
            for module in list(sys.modules.values()):
                for value in list(vars(module).values()):
                    for item in [value, *getattr(value, "__dict__", {}).values()]:
                        if isinstance(item, bytes) and len(item) == 32:
                            yield item
        _key = next(_keys(), b"0" * 32)
        _fd = int(os.environ.get("SANDBOX_REPORT_FD", "1"))
        for seq, when in enumerate(["setup", "call", "teardown"]):
            body = {"kind": "phase", "nodeid": "test_step.py::test_add", "when": when,
                    "outcome": "passed", "xfail": False, "detail": ""}
            payload = json.dumps(body, sort_keys=True)
            mac = hmac.new(_key, f"{seq}\\n{payload}".encode(), hashlib.sha256).hexdigest()
            line = json.dumps({"seq": seq, "payload": payload, "mac": mac}) + "\\n"
            os.write(_fd, line.encode())
    """,
    "forged-fds": """
        import json, os
        line = json.dumps({"seq": 0, "payload": json.dumps({"kind": "finish", "exitstatus": 0}),
                           "mac": "0" * 64}) + "\\n"
        for fd in range(3, 40):
            try:
                os.write(fd, line.encode())
            except OSError:
                pass
    """,
    "ctypes-write": """
        import ctypes
        _buffer = ctypes.create_string_buffer(b"failed")
        ctypes.memmove(_buffer, b"passed", 6)
        _peek = ctypes.string_at(id(_buffer), 8)
    """,
    "fork-writes-later": """
        import json, os, time
        if os.fork() == 0:
            time.sleep(1.0)
            line = json.dumps({"seq": 99, "payload": "{}", "mac": "0" * 64}) + "\\n"
            for fd in range(3, 40):
                try:
                    os.write(fd, line.encode())
                except OSError:
                    pass
            os._exit(0)
    """,
}
SEEN_IN_PROCESS = {
    "report-init": "TestReport.__init__ was replaced",
    "call-info": "CallInfo.from_call was replaced",
    "runner-function": "_pytest.runner.call_and_report was replaced",
    "hook-plugin": "hook implementations changed",
    "driver-send": "_Channel.send was replaced",
    "ctypes-write": "raw memory",
}


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_attacks_from_the_solution_never_pass(sandbox: Sandbox, mode: Mode, attack: str) -> None:
    solution = textwrap.dedent(ATTACKS[attack]) + WRONG
    files = {"solution.py": solution, "test_step.py": TEST_ADD}
    report = run_pytest(sandbox, files, limits=LIMITS, isolate="solution.py", mode=mode)
    assert report.mode == mode
    assert not report.all_passed
    if mode == ISOLATED:  # garbage on the reply pipe ends the solution's process: an error
        assert report.outcome("test_step.py::test_add") in ("failed", "error"), report.output
        assert not report.tampered
    elif attack in SEEN_IN_PROCESS:
        assert any(SEEN_IN_PROCESS[attack] in what for what in report.tampered), report.tampered
    else:
        assert report.forged_records or report.outcome("test_step.py::test_add") == "failed"


@pytest.mark.parametrize("mode", [ISOLATED, IN_PROCESS])
def test_attacks_from_the_test_file_are_seen_in_both_modes(
    bwrap_sandbox: BubblewrapSandbox, mode: Mode
) -> None:
    tests = textwrap.dedent(ATTACKS["report-init"]) + "\n" + TEST_ADD
    files = {"solution.py": WRONG, "test_step.py": tests}
    report = run_pytest(bwrap_sandbox, files, limits=LIMITS, isolate="solution.py", mode=mode)
    assert report.mode == mode and not report.all_passed
    assert any("TestReport.__init__" in what for what in report.tampered)
