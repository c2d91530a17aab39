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
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from coauthor.sandbox._probe.sandbox_watch import Watch
    from coauthor.sandbox._probe.sandbox_wire import Json
else:
    from sandbox_watch import Watch

_DETAIL_CHARS = 2000


class _Channel:
    """Signs and writes records; the key never leaves this object."""

    def __init__(self, fd: int, key: bytes) -> None:
        self._fd = fd
        self._key = key
        self._seq = 0

    def send(self, body: dict[str, Json]) -> None:
        payload = json.dumps(body, sort_keys=True)
        mac = hmac.new(self._key, f"{self._seq}\n{payload}".encode(), hashlib.sha256)
        line = json.dumps({"seq": self._seq, "payload": payload, "mac": mac.hexdigest()})
        self._seq += 1
        data = (line + "\n").encode()
        while data:
            data = data[os.write(self._fd, data) :]


def _short(text: str) -> str:
    return text if len(text) <= _DETAIL_CHARS else text[:_DETAIL_CHARS] + "\n[...]"


FALLBACKS: list[str] = []
"""Why the solution's stand-in could not carry a value; sent signed with the next record."""


def fallback_notice(reason: str) -> None:
    """Called by the stand-in; it can only ask for the weaker in-process run."""
    FALLBACKS.append(str(reason)[:500])


class _Reporter:
    """pytest plugin registered by object, so no conftest or entry point is involved."""

    def __init__(self, channel: _Channel, watch: Watch) -> None:
        # bound now, so replacing a method on the class later changes nothing here
        self._send = channel.send
        self._watch = watch
        self._hooks: object = None
        self._sent = self._fallbacks_sent = 0
        self._flush_now = self._flush

    def _flush(self) -> None:
        """Send what the watch found and the stand-in's fallback notices since last time."""
        self._watch.check(self._hooks)
        for what in self._watch.found[self._sent :]:
            self._send({"kind": "tamper", "what": what})
        self._sent = len(self._watch.found)
        for reason in FALLBACKS[self._fallbacks_sent :]:
            self._send({"kind": "fallback", "reason": reason})
        self._fallbacks_sent = len(FALLBACKS)

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        self._hooks = session.config.pluginmanager.hook
        self._watch.session_started(self._hooks)

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        self._flush_now()
        if report.failed:
            detail = _short(report.longreprtext)
            body: dict[str, Json] = {"kind": "collect", "nodeid": report.nodeid, "detail": detail}
            self._send(body)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self._flush_now()
        body: dict[str, Json] = {
            "kind": "phase",
            "nodeid": report.nodeid,
            "when": report.when,
            "outcome": report.outcome,
            "xfail": hasattr(report, "wasxfail"),
            "detail": _short(report.longreprtext) if report.failed else "",
        }
        self._send(body)

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        self._flush_now()
        self._send({"kind": "finish", "exitstatus": int(exitstatus)})


def _read_handshake() -> dict[str, Json]:
    line = sys.stdin.buffer.readline(65536)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    handshake: dict[str, Json] = json.loads(line)
    return handshake


def _run_with_coverage(channel: _Channel, reporter: _Reporter, target: str, args: list[str]) -> int:
    try:
        import coverage
    except ImportError:
        channel.send({"kind": "coverage", "error": "coverage is not installed"})
        return int(pytest.main(args, plugins=[reporter]))
    include = [os.path.abspath(target)]
    cov = coverage.Coverage(data_file=None, include=include, config_file=False)
    cov.start()
    try:
        code = int(pytest.main(args, plugins=[reporter]))
    finally:
        cov.stop()
    try:
        percent = float(cov.report(file=io.StringIO(), include=include))
    except coverage.exceptions.NoDataError:
        percent = 0.0
    channel.send({"kind": "coverage", "percent": percent})
    return code


def main(args: list[str]) -> int:
    handshake = _read_handshake()
    fd = int(os.environ["SANDBOX_REPORT_FD"])
    channel = _Channel(fd, bytes.fromhex(str(handshake["key"])))
    if "SANDBOX_CALLS_IN" in os.environ:  # before the work folder is on sys.path
        importlib.import_module("sandbox_proxy")
    watch = Watch()
    watch.arm()
    reporter = _Reporter(channel, watch)
    target = handshake.get("coverage_of")
    if target:
        return _run_with_coverage(channel, reporter, str(target), args)
    return int(pytest.main(args, plugins=[reporter]))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
