"""One executor per run: a process claims a run before it writes any of its stages.

A claim is the run row's ``owner`` (``pid@host``), taken in one UPDATE that succeeds only
while the owner is still who the claimer saw; a second ``coauthor resume`` of a run
that another live process executes is refused and changes nothing. A run whose owner
process is gone (killed, crashed) is stalled: it is shown as failed and can be resumed.
"""

from __future__ import annotations

import os
import socket

from coauthor.pipeline.watch import pid_alive
from coauthor.store import RunInfo, Store


class RunBusyError(Exception):
    """Another live process is executing the run."""


def me() -> str:
    return f"{os.getpid()}@{socket.gethostname()}"


def owner_alive(owner: str | None) -> bool:
    """Whether the process named by ``owner`` still runs; one on another machine is
    taken to be alive (this machine cannot look)."""
    if owner is None:
        return False
    pid, _, host = owner.partition("@")
    if host != socket.gethostname():
        return True
    return pid.isdigit() and pid_alive(int(pid))


def stalled(run: RunInfo) -> bool:
    """Marked running, but the process that owned it is gone."""
    return run.status == "running" and run.owner is not None and not owner_alive(run.owner)


def claim(store: Store, run: RunInfo) -> None:
    """Make this process the run's executor, or raise RunBusyError."""
    owner = run.owner
    if run.status == "running" and owner not in (None, me()) and owner_alive(owner):
        raise RunBusyError(
            f"run {run.id} is already running (process {owner}); wait for it to finish or cancel it"
        )
    if not store.claim_run(run.id, me(), replacing=owner):
        latest = store.run(run.id)
        state = "finished" if latest.status == "done" else f"taken by {latest.owner}"
        raise RunBusyError(f"run {run.id} was just {state}; nothing was changed")
