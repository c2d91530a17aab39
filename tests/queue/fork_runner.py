"""Imports Co-Author once, then forks a ``coauthor`` command or a ``coauthor worker`` on
request (run as a script by the process-fault test): each is a real process that can be
killed with SIGKILL, without paying seconds of imports per start on a busy machine.

Requests are JSON lines on stdin; each gets one JSON line on stdout:
``{"spawn": "cli", "argv": [...], "env": {...}, "log": PATH}`` → ``{"pid": N}``;
``{"spawn": "worker", "name": ..., "env": {...}, "log": PATH}`` → ``{"pid": N}``;
``{"wait": N}`` → ``{"code": EXIT_CODE}`` (negative: killed by that signal).

The CLI's model ``slowscripted:STEPS`` answers a whole run of STEPS steps from scripted
replies, each after ``SCRIPTED_DELAY`` seconds; ``coauthor resume`` gets the replies of
the stages its run has not finished (as the queue tests' scripted worker does).
"""

from __future__ import annotations

import json
import os
import sys
import traceback

from scripted_worker import SlowModel, first_unfinished_call, replay

from coauthor.cli import main
from coauthor.llm.base import Model
from coauthor.llm.registry import register_backend
from coauthor.queue import jobs
from coauthor.queue.worker import serve, warm_up
from coauthor.settings import Settings
from coauthor.store import Store
from coauthor.testing import run_replies

resuming: int | None = None
"""The run a forked ``coauthor resume`` continues (None: a new run)."""


def slow_scripted(argument: str, settings: Settings) -> Model:
    steps = int(argument or "1")
    start = 0
    if resuming is not None:
        with Store(settings.database_url) as store:
            start = first_unfinished_call(steps, set(store.checkpoints(resuming)))
    delay = float(os.environ.get("SCRIPTED_DELAY", "0"))
    return SlowModel(run_replies(steps)[start:], delay)


def child(request: dict[str, object]) -> int:
    global resuming
    os.environ.update({str(k): str(v) for k, v in dict(request["env"]).items()})  # type: ignore[call-overload]
    log = os.open(str(request["log"]), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(log, 1)
    os.dup2(log, 2)
    try:
        if request["spawn"] == "cli":
            argv = [str(a) for a in request["argv"]]  # type: ignore[attr-defined]
            resuming = int(argv[1]) if argv[0] == "resume" else None
            main(argv)
            return 0
        jobs.model_factory = replay
        serve(Settings(), concurrency=int(str(request.get("concurrency", 1))), name=None)
        return 0
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 1
    except BaseException:
        traceback.print_exc()
        return 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()


def answer(payload: dict[str, int]) -> None:
    sys.stdout.write(json.dumps(payload) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    register_backend("slowscripted", slow_scripted, forms=["slowscripted:STEPS"])
    warm_up()
    answer({"ready": 1})
    for line in sys.stdin:
        request = json.loads(line)
        if "wait" in request:
            _, status = os.waitpid(int(request["wait"]), 0)
            answer({"code": os.waitstatus_to_exitcode(status)})
            continue
        pid = os.fork()
        if pid == 0:
            os._exit(child(request))
        answer({"pid": pid})
