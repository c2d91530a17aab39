"""A scripted, fault-injecting server that speaks OpenAI's ``/v1/chat/completions``.

Each request takes the next scripted ``Step``: a reply, an HTTP error, a stream, or
a fault (a reset connection, a stream cut or stalled half-way, a body that is not
JSON, an empty body). A request asking to stream gets a plain reply as a stream.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import socket
import struct
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

Fault = Literal["reset", "cut", "reset-mid-stream", "stall", "html", "empty"]


@dataclass
class Step:
    """One scripted answer: a status, a reply text, a stream of pieces, or a fault."""

    status: int = 200
    content: str = "ok"
    usage: tuple[int, int] | None = (10, 5)
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)
    stream: list[str] | None = None
    message: str = "scripted failure"
    fault: Fault | None = None
    stall: float = 0.0
    """With ``fault="stall"``: seconds of silence after the pieces, before closing."""


@dataclass
class Seen:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


class FakeOpenAI:
    def __init__(self) -> None:
        self.steps: deque[Step] = deque()
        self.requests: list[Seen] = []
        self.plain = False
        """Answer every request with a whole reply, as a server that cannot stream."""
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                headers = {k.lower(): v for k, v in self.headers.items()}
                fake.requests.append(Seen(self.path, headers, json.loads(raw)))
                step = fake.steps.popleft() if fake.steps else Step(400, message="no step left")
                time.sleep(step.delay)
                streamed = fake.requests[-1].body.get("stream") and not fake.plain
                if streamed and step.stream is None:
                    step = dataclasses.replace(step, stream=[step.content])
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    fake.answer(self, step)  # may fail when the client gave up waiting

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def add(self, *steps: Step) -> None:
        self.steps.extend(steps)

    def answer(self, handler: BaseHTTPRequestHandler, step: Step) -> None:
        if step.fault == "reset":
            reset(handler)
        elif step.fault in ("html", "empty"):
            body = b"<html><body>502 Bad Gateway</body></html>" if step.fault == "html" else b""
            kind = "text/html" if step.fault == "html" else "application/json"
            send(handler, 200, body, kind, step.headers)
        elif step.status != 200:
            body = json.dumps({"error": {"message": step.message, "type": "fake"}}).encode()
            send(handler, step.status, body, "application/json", step.headers)
        elif step.stream is not None:
            stream(handler, step, step.stream)
        else:
            send(handler, 200, completion(step), "application/json", step.headers)


def send(
    handler: BaseHTTPRequestHandler, status: int, body: bytes, kind: str, headers: dict[str, str]
) -> None:
    handler.send_response(status)
    handler.send_header("Content-Type", kind)
    handler.send_header("Content-Length", str(len(body)))
    for name, value in headers.items():
        handler.send_header(name, value)
    handler.end_headers()
    handler.wfile.write(body)


def stream(handler: BaseHTTPRequestHandler, step: Step, pieces: list[str]) -> None:
    """Server-sent events; a fault stops it after the pieces, without a finish."""
    handler.send_response(200)
    handler.send_header("Content-Type", "text/event-stream")
    handler.end_headers()
    for number, piece in enumerate(pieces, 1):
        finish = "stop" if number == len(pieces) and step.fault is None else None
        handler.wfile.write(sse_chunk(piece, finish))
        handler.wfile.flush()
    if step.fault == "stall":
        time.sleep(step.stall)
    if step.fault == "reset-mid-stream":
        reset(handler)
    if step.fault is not None:
        return
    if step.usage is not None:
        handler.wfile.write(sse_usage(*step.usage))
    handler.wfile.write(b"data: [DONE]\n\n")


def reset(handler: BaseHTTPRequestHandler) -> None:
    """Close with a TCP reset (RST) instead of an orderly close."""
    handler.wfile.flush()
    handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    handler.connection.close()


def completion(step: Step) -> bytes:
    body: dict[str, Any] = {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 0,
        "model": "fake",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": step.content},
                "finish_reason": "stop",
            }
        ],
    }
    if step.usage is not None:
        body["usage"] = usage(*step.usage)
    return json.dumps(body).encode()


def usage(prompt: int, completion: int) -> dict[str, int]:
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


def sse_chunk(piece: str, finish: str | None) -> bytes:
    choice = {"index": 0, "delta": {"content": piece}, "finish_reason": finish}
    return sse({"choices": [choice]})


def sse_usage(prompt: int, completion: int) -> bytes:
    return sse({"choices": [], "usage": usage(prompt, completion)})


def sse(fields: dict[str, Any]) -> bytes:
    chunk = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 0, "model": "fake"}
    return f"data: {json.dumps({**chunk, **fields})}\n\n".encode()
