"""A local HTTP server that checks requests the way Notion's API does.

It speaks the endpoints the exporter uses (create, retrieve and update a page, append block
children), keeps the pages and blocks it was sent, and refuses what Notion refuses: a wrong
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
    blocks: Any, depth: int, counter: list[int], where: str, parent: str = "page"
) -> None:
    if not isinstance(blocks, list) or len(blocks) > 100:
        raise RefusedError(400, "validation_error", f"{where}.length should be ≤ 100")
    if depth > 2:
        raise RefusedError(400, "validation_error", f"{where}: more than two levels of nesting")
    for index, block in enumerate(blocks):
        counter[0] += 1
        kind = block.get("type")
        here = f"{where}[{index}]"
        known = kind in TEXT_BLOCKS or kind in {"table", "table_row", "divider"}
        if not known or set(block) - {"object", "type", kind}:
            raise RefusedError(400, "validation_error", f"{here}: unsupported block {kind!r}")
        if (kind == "table_row") != (parent == "table"):
            raise RefusedError(400, "validation_error", f"{here}: a table holds table rows only")
        body = block[kind]
        if "children" in body and kind not in PARENTS:
            raise RefusedError(400, "validation_error", f"{here}.{kind}: takes no children")
        check_body(kind, body, here)
        if "children" in body:
            check_blocks(body["children"], depth + 1, counter, f"{here}.{kind}.children", kind)
    if depth == 1 and counter[0] > 1000:
        raise RefusedError(400, "validation_error", "more than 1000 blocks in one request")


def check_body(kind: str, body: Any, here: str) -> None:
    if kind == "divider":
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
                    "body": raw.decode(),
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
        check_blocks(body["children"], 1, [0], "body.children", parent["type"])
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
