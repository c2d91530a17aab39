"""Turn the signed record stream from ``sandbox_probe`` into per-test outcomes.

Only records with a valid HMAC and the next sequence number count; anything else on the
channel is tallied as forged. Outcomes are decided per phase, so a process that dies in the
middle of a test (``os._exit``, a kill) leaves that test as an error, never a pass.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable
from dataclasses import dataclass, field

from coauthor.sandbox._probe.sandbox_wire import Json, as_float, as_int
from coauthor.sandbox.testids import base_id

PASSED, FAILED, ERROR, SKIPPED, MISSING = "passed", "failed", "error", "skipped", "missing"
_SEVERITY = {ERROR: 4, FAILED: 3, MISSING: 2, SKIPPED: 1, PASSED: 0}


@dataclass
class Records:
    """Verified records, grouped."""

    phases: dict[str, list[dict[str, Json]]] = field(default_factory=dict)
    collect_errors: list[dict[str, Json]] = field(default_factory=list)
    finished: bool = False
    exit_status: int | None = None
    coverage_percent: float | None = None
    coverage_error: str | None = None
    forged: int = 0
    valid: int = 0
    fallbacks: list[str] = field(default_factory=list)
    """Why the stand-in could not carry a value (the step then runs in-process)."""
    tampered: list[str] = field(default_factory=list)
    """What the driver saw changing in pytest, pluggy or itself during the run."""


def verify(raw: bytes, key: bytes) -> Records:
    """Keep records signed with ``key`` in unbroken sequence; count the rest as forged."""
    records = Records()
    lines = raw.split(b"\n")
    complete = lines[:-1]  # a trailing partial line is a writer cut short, not a forgery
    for line in complete:
        body = _check(line, key, expected_seq=records.valid)
        if body is None:
            records.forged += 1
            continue
        records.valid += 1
        _add(records, body)
    return records


def _check(line: bytes, key: bytes, *, expected_seq: int) -> dict[str, Json] | None:
    try:
        envelope = json.loads(line)
        seq, payload, mac = int(envelope["seq"]), str(envelope["payload"]), str(envelope["mac"])
    except (ValueError, KeyError, TypeError):
        return None
    good = hmac.new(key, f"{seq}\n{payload}".encode(), hashlib.sha256).hexdigest()
    if seq != expected_seq or not hmac.compare_digest(good, mac):
        return None
    body = json.loads(payload)
    return body if isinstance(body, dict) else None


def _add(records: Records, body: dict[str, Json]) -> None:
    kind = body.get("kind")
    if kind == "phase":
        records.phases.setdefault(str(body["nodeid"]), []).append(body)
    elif kind == "collect":
        records.collect_errors.append(body)
    elif kind == "finish":
        records.finished = True
        records.exit_status = as_int(body["exitstatus"])
    elif kind == "fallback":
        records.fallbacks.append(str(body.get("reason", ""))[:500])
    elif kind == "tamper":
        records.tampered.append(str(body.get("what", ""))[:500])
    elif kind == "coverage" and "percent" in body:
        records.coverage_percent = as_float(body["percent"])
    elif kind == "coverage":
        records.coverage_error = str(body.get("error", "unknown coverage error"))


def node_outcome(phases: list[dict[str, Json]]) -> tuple[str, str]:
    """Outcome and detail of one node id from its setup/call/teardown records."""
    by_when = {str(p["when"]): p for p in phases}
    setup, call, teardown = by_when.get("setup"), by_when.get("call"), by_when.get("teardown")
    if setup is None:
        return ERROR, "no setup report"
    if setup["outcome"] == "failed":
        return ERROR, str(setup.get("detail", ""))
    if setup["outcome"] == "skipped":
        return SKIPPED, ""
    if call is None:
        return ERROR, "the test process ended during this test"
    outcome = {"passed": PASSED, "failed": FAILED}.get(str(call["outcome"]), SKIPPED)
    if teardown is None:
        return ERROR, "the test process ended during teardown"
    if teardown["outcome"] == "failed":
        return ERROR, str(teardown.get("detail", ""))
    return outcome, str(call.get("detail", ""))


def worst(outcomes: Iterable[str]) -> str:
    """Combine parametrized cases: any error or failure wins; all skipped is skipped."""
    found = list(outcomes)
    if not found:
        return MISSING
    top = max(found, key=_SEVERITY.__getitem__)
    return top if top != SKIPPED or all(o == SKIPPED for o in found) else PASSED


def outcomes_for(
    expected: tuple[str, ...], records: Records
) -> tuple[dict[str, str], dict[str, str]]:
    """Outcome per expected test (and per unexpected one the run reported), with details."""
    per_node = {nodeid: node_outcome(phases) for nodeid, phases in records.phases.items()}
    groups: dict[str, list[str]] = {test_id: [] for test_id in expected}
    for nodeid in per_node:
        groups.setdefault(base_id(nodeid), []).append(nodeid)
    collect_detail = "\n".join(str(e.get("detail", "")) for e in records.collect_errors)
    outcomes: dict[str, str] = {}
    details: dict[str, str] = {}
    for test_id, nodeids in groups.items():
        outcomes[test_id] = worst(per_node[n][0] for n in nodeids)
        texts = [per_node[n][1] for n in nodeids if per_node[n][1]]
        if outcomes[test_id] == MISSING and collect_detail:
            outcomes[test_id], texts = ERROR, [collect_detail]
        if texts:
            details[test_id] = "\n".join(texts)[:4000]
    return outcomes, details
