"""Framing for the pipes between the solution's process and the test process.

A message is two lengths, a JSON header (which lists its blobs' sizes) and the blobs. Sizes
are capped, a read can wait only so long, and a peer that sends anything else is reported
as gone. Trusted, standard library only.
"""

from __future__ import annotations

import json
import os
import select
import struct
import time
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from coauthor.sandbox._probe.sandbox_wire import Json

MAX_BYTES = 64 * 1024 * 1024
_HEAD = struct.Struct("!IQ")


class CannotCrossError(Exception):
    """A value that the codec refuses to carry (code, a cycle, too deep, too large)."""


class PeerGoneError(Exception):
    """The other process closed the pipe, sent garbage, or did not answer in time."""


class Blobs(Protocol):
    blobs: list[bytes]


def pack(message: dict[str, Json], encoder: Blobs) -> bytes:
    """Frame: lengths, the JSON header (with the blob sizes), then the blobs."""
    header = json.dumps({**message, "blobs": [len(b) for b in encoder.blobs]}).encode()
    body = b"".join(encoder.blobs)
    if len(header) + len(body) > MAX_BYTES:
        raise CannotCrossError(f"the value is larger than {MAX_BYTES // 2**20} MiB")
    return _HEAD.pack(len(header), len(body)) + header + body


def send(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        try:
            view = view[os.write(fd, view) :]
        except BrokenPipeError as exc:
            raise PeerGoneError("the other process is gone") from exc


def receive(fd: int, timeout: float | None) -> tuple[dict[str, Json], list[bytes]] | None:
    """One message, or None at a clean end of stream; PeerGoneError on garbage or timeout."""
    deadline = None if timeout is None else time.monotonic() + timeout
    head = _read_exactly(fd, _HEAD.size, deadline, allow_eof=True)
    if head is None:
        return None
    header_len, body_len = _HEAD.unpack(head)
    if header_len + body_len > MAX_BYTES:
        raise PeerGoneError("message too large")
    try:
        header = json.loads(_read_exactly(fd, header_len, deadline) or b"")
    except (ValueError, RecursionError) as exc:
        raise PeerGoneError("malformed message") from exc
    body = _read_exactly(fd, body_len, deadline) or b""
    sizes = header.pop("blobs", []) if isinstance(header, dict) else None
    if not isinstance(header, dict) or not isinstance(sizes, list) or sum(sizes) != body_len:
        raise PeerGoneError("malformed message")
    blobs, offset = [], 0
    for size in sizes:
        blobs.append(body[offset : offset + int(size)])
        offset += int(size)
    return header, blobs


def _read_exactly(
    fd: int, size: int, deadline: float | None, *, allow_eof: bool = False
) -> bytes | None:
    chunks, got = [], 0
    while got < size:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise PeerGoneError("the solution did not answer in time")
        chunk = os.read(fd, min(size - got, 1 << 20))
        if not chunk:
            if allow_eof and got == 0:
                return None
            raise PeerGoneError("the other process is gone")
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)
