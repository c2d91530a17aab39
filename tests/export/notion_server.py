"""A local HTTP server that checks requests the way Notion's API does.

It speaks the endpoints the exporter uses (create, retrieve and update a page, append block
children, and the File Upload API: create a file upload, send its bytes as multipart form
data, retrieve it), keeps the pages, blocks and files it was sent, and refuses what Notion
refuses: an image block naming a file upload that is unknown or not uploaded, a send to an
upload that is not pending, without a ``file`` part or over 20 MB, a wrong
token, a missing or unknown ``Notion-Version``, unknown keys, bad blocks, a rich-text item
over 2,000 characters (UTF-16 units), over 100 items or children in one array, more than two
levels of nesting or 1,000 blocks in one request. It answers 429 with ``Retry-After`` once,
and records requests that came faster than Notion's average of three per second allows.
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from email.message import Message
from email.parser import BytesParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

VERSIONS = {"2022-06-28", "2025-09-03"}
TEXT_BLOCKS = {
    "paragraph",
    "heading_1",
    "heading_2",
    "heading_3",
    "bulleted_list_item",
    "numbered_list_item",
    "quote",
    "toggle",
    "code",
}
PARENTS = {"paragraph", "bulleted_list_item", "numbered_list_item", "quote", "toggle", "table"}
# fmt: off
LANGUAGES = {  # the code languages Notion accepts
    "abap", "arduino", "bash", "basic", "c", "clojure", "coffeescript", "c++", "c#", "css", "dart",
    "diff", "docker", "elixir", "elm", "erlang", "flow", "fortran", "f#", "gherkin", "glsl", "go",
    "graphql", "groovy", "haskell", "html", "java", "javascript", "json", "julia", "kotlin",
    "latex", "less", "lisp", "livescript", "lua", "makefile", "markdown", "markup", "matlab",
    "mermaid", "nix", "objective-c", "ocaml", "pascal", "perl", "php", "plain text",
    "powershell", "prolog", "protobuf", "python", "r", "reason", "ruby", "rust", "sass", "scala",
    "scheme", "scss", "shell", "sql", "swift", "typescript", "vb.net", "verilog", "vhdl",
    "visual basic", "xml", "yaml", "java/c/c++/c#",
}
# fmt: on
ANNOTATIONS = {"bold", "italic", "strikethrough", "underline", "code", "color"}
MAX_BYTES = 500_000
MAX_UPLOAD = 20 * 1024 * 1024  # a single-part file upload
UPLOAD_MODES = {"single_part", "multi_part", "external_url"}


class RefusedError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code = status, code


def units(text: str) -> int:
    """Length the way JavaScript (and so Notion) counts it."""
    return len(text.encode("utf-16-le")) // 2


@dataclass
class NotionState:
    token: str
    parent_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    pages: dict[str, dict[str, Any]] = field(default_factory=dict)
    blocks: dict[str, dict[str, Any]] = field(default_factory=dict)
    uploads: dict[str, dict[str, Any]] = field(default_factory=dict)
    children: dict[str, list[str]] = field(default_factory=dict)
    requests: list[dict[str, Any]] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)
    throttle_once: bool = True
    lock: threading.Lock = field(default_factory=threading.Lock)

    def tree(self, block_id: str) -> list[dict[str, Any]]:
        """The blocks under ``block_id`` as sent, children nested under ``children``."""
        found = []
        for child in self.children.get(block_id, []):
            block = dict(self.blocks[child])
            block["children"] = self.tree(child)
            found.append(block)
        return found

    def pages_under(self, parent: str) -> list[dict[str, Any]]:
        return [p for p in self.pages.values() if p["parent"] == parent and not p["in_trash"]]

    def too_fast(self) -> int:
        """Requests that were the fifth or more within one second (Notion averages three)."""
        times = [r["at"] for r in self.requests]
        return sum(1 for i in range(4, len(times)) if times[i] - times[i - 4] < 1.0)


def check_rich_text(items: Any, where: str) -> None:
    if not isinstance(items, list) or len(items) > 100:
        raise RefusedError(400, "validation_error", f"{where}.rich_text should be ≤ 100 items")
    for item in items:
        text = item.get("text") if isinstance(item, dict) else None
        if item.get("type") != "text" or not isinstance(text, dict):
            raise RefusedError(400, "validation_error", f"{where}: rich text must be of type text")
        if set(item) - {"type", "text", "annotations"} or set(text) - {"content", "link"}:
            raise RefusedError(400, "validation_error", f"{where}: unknown rich text keys")
        if not isinstance(text.get("content"), str) or units(text["content"]) > 2000:
            raise RefusedError(
                400, "validation_error", f"{where}.text.content.length should be ≤ 2000"
            )
        link = text.get("link")
        if link is not None and not re.match(r"https?://", str(link.get("url", ""))):
            raise RefusedError(400, "validation_error", f"{where}: invalid URL for link")
        if set(item.get("annotations", {})) - ANNOTATIONS:
            raise RefusedError(400, "validation_error", f"{where}: unknown annotation")


def check_blocks(
    blocks: Any,
    depth: int,
    counter: list[int],
    where: str,
    parent: str = "page",
    uploads: dict[str, dict[str, Any]] | None = None,
) -> None:
    if not isinstance(blocks, list) or len(blocks) > 100:
        raise RefusedError(400, "validation_error", f"{where}.length should be ≤ 100")
    if depth > 2:
        raise RefusedError(400, "validation_error", f"{where}: more than two levels of nesting")
    for index, block in enumerate(blocks):
        counter[0] += 1
        kind = block.get("type")
        here = f"{where}[{index}]"
        known = kind in TEXT_BLOCKS or kind in {"table", "table_row", "divider", "image"}
        if not known or set(block) - {"object", "type", kind}:
            raise RefusedError(400, "validation_error", f"{here}: unsupported block {kind!r}")
        if (kind == "table_row") != (parent == "table"):
            raise RefusedError(400, "validation_error", f"{here}: a table holds table rows only")
        body = block[kind]
        if "children" in body and kind not in PARENTS:
            raise RefusedError(400, "validation_error", f"{here}.{kind}: takes no children")
        check_body(kind, body, here, uploads or {})
        if "children" in body:
            check_blocks(
                body["children"], depth + 1, counter, f"{here}.{kind}.children", kind, uploads
            )
    if depth == 1 and counter[0] > 1000:
        raise RefusedError(400, "validation_error", "more than 1000 blocks in one request")


def check_body(
    kind: str, body: Any, here: str, uploads: dict[str, dict[str, Any]] | None = None
) -> None:
    if kind == "image":
        check_image(body, here, uploads or {})
    elif kind == "divider":
        if body != {}:
            raise RefusedError(400, "validation_error", f"{here}.divider should be empty")
    elif kind == "table":
        keys = {"table_width", "has_column_header", "has_row_header", "children"}
        width = body.get("table_width")
        if set(body) - keys or not isinstance(width, int) or width < 1:
            raise RefusedError(400, "validation_error", f"{here}.table: bad table_width or keys")
        if not body.get("children"):
            raise RefusedError(400, "validation_error", f"{here}.table: a table needs a row")
        if any(len(row.get("table_row", {}).get("cells", [])) != width for row in body["children"]):
            raise RefusedError(400, "validation_error", f"{here}: rows must have table_width cells")
    elif kind == "table_row":
        cells = body.get("cells")
        if set(body) != {"cells"} or not isinstance(cells, list):
            raise RefusedError(400, "validation_error", f"{here}.table_row: cells are required")
        for column, cell in enumerate(cells):
            check_rich_text(cell, f"{here}.table_row.cells[{column}]")
    else:
        allowed = {"rich_text", "children", "color"} | ({"language"} if kind == "code" else set())
        if set(body) - allowed:
            raise RefusedError(400, "validation_error", f"{here}.{kind}: unknown keys")
        check_rich_text(body.get("rich_text"), f"{here}.{kind}")
        if kind == "code" and body.get("language") not in LANGUAGES:
            raise RefusedError(400, "validation_error", f"{here}.code.language is invalid")


def check_image(body: Any, here: str, uploads: dict[str, dict[str, Any]]) -> None:
    """An image block attaching a file upload: ``{"type": "file_upload", "file_upload":
    {"id": ...}, "caption": [...]}``; the upload must exist and have been sent."""
    if not isinstance(body, dict) or set(body) - {"type", "file_upload", "caption"}:
        raise RefusedError(400, "validation_error", f"{here}.image: unknown keys")
    reference = body.get("file_upload")
    if body.get("type") != "file_upload" or not isinstance(reference, dict):
        raise RefusedError(400, "validation_error", f"{here}.image: expected a file_upload")
    if set(reference) != {"id"}:
        raise RefusedError(400, "validation_error", f"{here}.image.file_upload: id only")
    upload = uploads.get(str(reference["id"]))
    if upload is None:
        raise RefusedError(
            404, "object_not_found", f"Could not find file_upload with ID: {reference['id']}."
        )
    if upload["status"] != "uploaded":
        raise RefusedError(
            400,
            "validation_error",
            f"File upload {reference['id']} has status {upload['status']}, not uploaded.",
        )
    check_rich_text(body.get("caption", []), f"{here}.image.caption")


def form_parts(content_type: str, raw: bytes) -> dict[str, Message]:
    """The parts of a multipart/form-data body, by field name."""
    if not content_type.startswith("multipart/form-data") or "boundary=" not in content_type:
        raise RefusedError(
            400, "validation_error", "Content-Type must be multipart/form-data with a boundary"
        )
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = BytesParser().parsebytes(head + raw)
    parts: dict[str, Message] = {}
    for part in message.get_payload() if message.is_multipart() else []:
        name = part.get_param("name", header="content-disposition")
        if isinstance(name, str):
            parts[name] = part
    return parts


class Handler(BaseHTTPRequestHandler):
    state: NotionState

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_PATCH(self) -> None:
        self._serve("PATCH")

    def _serve(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        state = self.state
        with state.lock:
            state.requests.append(
                {
                    "method": method,
                    "path": self.path,
                    "at": time.monotonic(),
                    "headers": dict(self.headers),
                    "body": raw.decode(errors="replace"),
                }
            )
            try:
                status, payload = self._answer(method, raw)
            except RefusedError as refusal:
                state.refusals.append(f"{refusal.code}: {refusal}")
                status = refusal.status
                payload = {"object": "error", "status": status, "code": refusal.code}
                payload["message"] = str(refusal)
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if status == 429:
            self.send_header("Retry-After", "1")
        self.end_headers()
        self.wfile.write(data)

    def _answer(self, method: str, raw: bytes) -> tuple[int, dict[str, Any]]:
        state = self.state
        if self.headers.get("Authorization") != f"Bearer {state.token}":
            raise RefusedError(401, "unauthorized", "API token is invalid.")
        if self.headers.get("Notion-Version") not in VERSIONS:
            raise RefusedError(
                400, "missing_version", "Notion-Version header is missing or invalid"
            )
        upload = re.fullmatch(r"/v1/file_uploads(?:/([\w-]+))?(/send)?", self.path)
        if upload is not None:
            return self._file_upload(method, raw, upload.group(1), bool(upload.group(2)))
        if len(raw) > MAX_BYTES:
            raise RefusedError(413, "validation_error", "request body too large")
        body = json.loads(raw) if raw else {}
        if method == "PATCH" and "/children" in self.path and state.throttle_once:
            state.throttle_once = False
            return 429, {"object": "error", "status": 429, "code": "rate_limited",
                         "message": "You have been rate limited."}  # fmt: skip
        match = re.fullmatch(r"/v1/(pages|blocks)(?:/([\w-]+))?(/children)?", self.path)
        if match is None:
            raise RefusedError(400, "invalid_request_url", f"no endpoint {self.path}")
        kind, target, children = match.groups()
        if kind == "pages" and method == "POST" and target is None:
            return 200, self._create(body)
        if kind == "pages" and target and method == "GET":
            return 200, self._page(target)
        if kind == "pages" and target and method == "PATCH":
            return 200, self._update(target, body)
        if kind == "blocks" and target and children and method == "PATCH":
            return 200, self._append(target, body)
        raise RefusedError(400, "invalid_request", f"{method} {self.path} is not supported here")

    def _file_upload(
        self, method: str, raw: bytes, upload_id: str | None, send: bool
    ) -> tuple[int, dict[str, Any]]:
        uploads = self.state.uploads
        if upload_id is None and method == "POST":
            if len(raw) > MAX_BYTES:
                raise RefusedError(413, "validation_error", "request body too large")
            return 200, self._create_upload(json.loads(raw) if raw else {})
        if upload_id is None or upload_id not in uploads:
            raise RefusedError(
                404, "object_not_found", f"Could not find file_upload with ID: {upload_id}."
            )
        if not send and method == "GET":
            return 200, self._upload_object(upload_id)
        if send and method == "POST":
            return 200, self._send(upload_id, raw)
        raise RefusedError(400, "invalid_request", f"{method} {self.path} is not supported here")

    def _create_upload(self, body: dict[str, Any]) -> dict[str, Any]:
        keys = {"mode", "filename", "content_type", "number_of_parts", "external_url"}
        if set(body) - keys:
            raise RefusedError(400, "validation_error", "body has unknown keys")
        mode = body.get("mode", "single_part")
        if mode not in UPLOAD_MODES:
            raise RefusedError(
                400, "validation_error", f"body.mode should be one of {UPLOAD_MODES}"
            )
        if mode != "single_part":
            raise RefusedError(400, "invalid_request", f"mode {mode} is not supported here")
        upload_id = str(uuid.uuid4())
        self.state.uploads[upload_id] = {
            "filename": body.get("filename"),
            "content_type": body.get("content_type"),
            "status": "pending",
            "data": b"",
        }
        return self._upload_object(upload_id)

    def _send(self, upload_id: str, raw: bytes) -> dict[str, Any]:
        upload = self.state.uploads[upload_id]
        if upload["status"] != "pending":
            raise RefusedError(
                400, "validation_error", f"File upload {upload_id} is {upload['status']}."
            )
        if len(raw) > MAX_UPLOAD + 64_000:
            raise RefusedError(413, "validation_error", "file is larger than 20 MB")
        parts = form_parts(self.headers.get("Content-Type", ""), raw)
        if "file" not in parts:
            raise RefusedError(400, "validation_error", "body.file should be defined")
        part = parts["file"]
        data = part.get_payload(decode=True)
        if not isinstance(data, bytes) or len(data) > MAX_UPLOAD:
            raise RefusedError(400, "validation_error", "body.file is empty or over 20 MB")
        declared = upload["content_type"]
        if declared and part.get_content_type() not in (declared, "application/octet-stream"):
            raise RefusedError(
                400,
                "validation_error",
                f"content type {part.get_content_type()} does not match {declared}",
            )
        upload["filename"] = upload["filename"] or part.get_filename()
        upload["content_type"] = declared or part.get_content_type()
        upload["data"] = data
        upload["status"] = "uploaded"
        return self._upload_object(upload_id)

    def _upload_object(self, upload_id: str) -> dict[str, Any]:
        upload = self.state.uploads[upload_id]
        return {
            "object": "file_upload",
            "id": upload_id,
            "status": upload["status"],
            "filename": upload["filename"],
            "content_type": upload["content_type"],
            "content_length": len(upload["data"]) if upload["status"] == "uploaded" else None,
            "upload_url": f"/v1/file_uploads/{upload_id}/send",
        }

    def _page(self, page_id: str) -> dict[str, Any]:
        page = self.state.pages.get(page_id)
        if page is None:
            raise RefusedError(404, "object_not_found", f"Could not find page with ID: {page_id}.")
        return {
            "object": "page",
            "id": page_id,
            "url": f"https://www.notion.so/{page_id.replace('-', '')}",
            "in_trash": page["in_trash"],
            "archived": page["in_trash"],
        }

    def _title(self, properties: Any) -> str:
        title = (properties or {}).get("title", {}).get("title")
        check_rich_text(title, "properties.title")
        return "".join(item["text"]["content"] for item in title)

    def _create(self, body: dict[str, Any]) -> dict[str, Any]:
        if set(body) - {"parent", "properties", "children"}:
            raise RefusedError(400, "validation_error", "body has unknown keys")
        parent = body.get("parent", {}).get("page_id")
        if parent != self.state.parent_id and parent not in self.state.pages:
            raise RefusedError(404, "object_not_found", f"Could not find page with ID: {parent}.")
        title = self._title(body.get("properties"))
        page_id = str(uuid.uuid4())
        self.state.pages[page_id] = {"parent": parent, "title": title, "in_trash": False}
        if body.get("children"):
            self._append(page_id, {"children": body["children"]})
        return self._page(page_id)

    def _update(self, page_id: str, body: dict[str, Any]) -> dict[str, Any]:
        self._page(page_id)
        if set(body) - {"properties", "erase_content", "in_trash"}:
            raise RefusedError(400, "validation_error", "body has unknown keys")
        page = self.state.pages[page_id]
        if page["in_trash"]:
            raise RefusedError(400, "validation_error", "Can't edit block that is archived.")
        if "properties" in body:
            page["title"] = self._title(body["properties"])
        if body.get("erase_content"):
            self.state.children[page_id] = []
        if "in_trash" in body:
            page["in_trash"] = bool(body["in_trash"])
        return self._page(page_id)

    def _append(self, parent_id: str, body: dict[str, Any]) -> dict[str, Any]:
        if parent_id not in self.state.pages and parent_id not in self.state.blocks:
            raise RefusedError(
                404, "object_not_found", f"Could not find block with ID: {parent_id}."
            )
        if set(body) != {"children"}:
            raise RefusedError(400, "validation_error", "body.children is required")
        parent = self.state.blocks.get(parent_id, {"type": "page"})
        if parent["type"] == "table":  # rows appended to a table: of the table's width
            check_body("table", {**parent["table"], "children": body["children"]}, "body")
        check_blocks(body["children"], 1, [0], "body.children", parent["type"], self.state.uploads)
        return {"object": "list", "results": [self._store(parent_id, b) for b in body["children"]]}

    def _store(self, parent_id: str, block: dict[str, Any]) -> dict[str, Any]:
        block_id = str(uuid.uuid4())
        kind = block["type"]
        content = {k: v for k, v in block[kind].items() if k != "children"}
        self.state.blocks[block_id] = {"id": block_id, "type": kind, kind: content}
        self.state.children.setdefault(parent_id, []).append(block_id)
        for child in block[kind].get("children", []):
            self._store(block_id, child)
        return {"object": "block", "id": block_id, "type": kind, "has_children": False}


class NotionServer:
    """The server on 127.0.0.1 in a thread; ``url`` is its ``base_url``."""

    def __init__(self, token: str) -> None:
        self.state = NotionState(token=token)
        handler = type("BoundHandler", (Handler,), {"state": self.state})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        serve = lambda: self.httpd.serve_forever(poll_interval=0.05)  # noqa: E731
        self.thread = threading.Thread(target=serve, daemon=True)

    def __enter__(self) -> NotionServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
