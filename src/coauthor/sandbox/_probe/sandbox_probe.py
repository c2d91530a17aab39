"""Trusted pytest driver, run inside the sandbox as ``python -m sandbox_probe PYTEST_ARGS...``.

It lives outside the work folder (read-only under bubblewrap) and is imported before any
generated code. It reads a one-line handshake (HMAC key, coverage target) from stdin, then
points stdin at /dev/null so the key cannot be read again. Every test phase goes to the host
as an HMAC-signed, sequence-numbered JSON line on the pipe named by ``$SANDBOX_REPORT_FD``,
so a test that writes to that fd, fakes a junit file, calls ``os._exit(0)`` or exits with 0
cannot add a "passed" the host will believe. Code in the same process could still dig the key
out of memory; the host-side checks (expected ids parsed on the host, missing = error) bound
what that buys.
"""

from __future__ import annotations

import hashlib
import hmac
import importlib
import io
import json
import os
import sys
from typing import Any

import pytest

_DETAIL_CHARS = 2000


class _Channel:
    """Signs and writes records; the key never leaves this object."""

    def __init__(self, fd: int, key: bytes) -> None:
        self._fd = fd
        self._key = key
        self._seq = 0

    def send(self, body: dict[str, Any]) -> None:
        payload = json.dumps(body, sort_keys=True)
        mac = hmac.new(self._key, f"{self._seq}\n{payload}".encode(), hashlib.sha256)
        line = json.dumps({"seq": self._seq, "payload": payload, "mac": mac.hexdigest()})
        self._seq += 1
        data = (line + "\n").encode()
        while data:
            data = data[os.write(self._fd, data) :]


def _short(text: str) -> str:
    return text if len(text) <= _DETAIL_CHARS else text[:_DETAIL_CHARS] + "\n[...]"


class _Reporter:
    """pytest plugin registered by object, so no conftest or entry point is involved."""

    def __init__(self, channel: _Channel) -> None:
        self._channel = channel

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            detail = _short(report.longreprtext)
            body = {"kind": "collect", "nodeid": report.nodeid, "detail": detail}
            self._channel.send(body)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        body = {
            "kind": "phase",
            "nodeid": report.nodeid,
            "when": report.when,
            "outcome": report.outcome,
            "xfail": hasattr(report, "wasxfail"),
            "detail": _short(report.longreprtext) if report.failed else "",
        }
        self._channel.send(body)

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        self._channel.send({"kind": "finish", "exitstatus": int(exitstatus)})


def _read_handshake() -> dict[str, Any]:
    line = sys.stdin.buffer.readline(65536)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    handshake: dict[str, Any] = json.loads(line)
    return handshake


def _run_with_coverage(channel: _Channel, target: str, args: list[str]) -> int:
    try:
        import coverage
    except ImportError:
        channel.send({"kind": "coverage", "error": "coverage is not installed"})
        return int(pytest.main(args, plugins=[_Reporter(channel)]))
    include = [os.path.abspath(target)]
    cov = coverage.Coverage(data_file=None, include=include, config_file=False)
    cov.start()
    try:
        code = int(pytest.main(args, plugins=[_Reporter(channel)]))
    finally:
        cov.stop()
    try:
        percent = float(cov.report(file=io.StringIO(), include=include))
    except coverage.exceptions.NoDataError:
        percent = 0.0
    channel.send({"kind": "coverage", "percent": percent})
    return code


def _fallback_notices(channel: _Channel) -> None:
    """Let the solution's stand-in say why a value could not cross (a downgrade only)."""

    def fallback_notice(reason: str) -> None:
        channel.send({"kind": "fallback", "reason": str(reason)[:500]})

    globals()["fallback_notice"] = fallback_notice


def main(args: list[str]) -> int:
    handshake = _read_handshake()
    fd = int(os.environ["SANDBOX_REPORT_FD"])
    channel = _Channel(fd, bytes.fromhex(handshake["key"]))
    if "SANDBOX_CALLS_IN" in os.environ:  # before the work folder is on sys.path
        importlib.import_module("sandbox_proxy")
        _fallback_notices(channel)
    target = handshake.get("coverage_of")
    if target:
        return _run_with_coverage(channel, str(target), args)
    return int(pytest.main(args, plugins=[_Reporter(channel)]))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
