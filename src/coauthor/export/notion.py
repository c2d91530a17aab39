"""Notion: one page per task under a parent page the author chose, updated in place.

The page holds the brief, the lessons and one toggle per step (story, theory, links,
requirements, verdict, starter, reference solution, tests). A step's figures are sent
first through Notion's File Upload API (create a file upload, send its bytes as
multipart form data, single part: figures are far under its 20 MB) and shown by image
blocks that name the upload's id, where their anchors stand (see
:mod:`coauthor.export.figures`); a figure with no image is a note on the page.

The page id is remembered per task through callables the caller injects (the CLI passes
the store's), so a second export erases the page's content and writes it again instead
of making a duplicate. The token comes only from the ``NOTION_TOKEN`` environment
variable and goes only into the ``Authorization`` header. Requests are spaced to ~3 per
second (Notion's average limit) and a 429 is retried after its ``Retry-After``.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from functools import partial
from typing import Any

import httpx
from notion_client import Client
from notion_client.errors import HTTPResponseError, RequestTimeoutError

from coauthor.export import figures
from coauthor.export import notion_blocks as nb
from coauthor.export.base import (
    Exporter,
    ExportError,
    ExportFormat,
    ExportOptions,
    Published,
    Publisher,
    render,
)
from coauthor.schemas import Step, Task

TOKEN_VARIABLE = "NOTION_TOKEN"
NOTION_VERSION = "2025-09-03"
DEFAULT_URL = "https://api.notion.com"
TARGET = "notion"
RATE = 3.0
ATTEMPTS = 5
MAX_UPLOAD_BYTES = 20 * 1024 * 1024  # a single-part file upload; larger ones become a note

# Notion's answers (pages, lists of created blocks) are free-form JSON to this exporter: it
# reads a few keys of them (id, url, results, in_trash, archived) and nothing more.
Response = dict[str, Any]
Uploads = dict[tuple[int, str], str]
"""File upload ids of the figures sent, by step number and figure name."""


_QUIET = logging.getLogger("coauthor.export.notion.client")
_QUIET.addHandler(logging.NullHandler())
_QUIET.propagate = False


class RateLimiter:
    """Spaces calls evenly: Notion allows an average of three requests per second."""

    def __init__(
        self,
        rate: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.interval = 1.0 / rate
        self.clock = clock
        self.sleep = sleep
        self.next_at = 0.0

    def wait(self) -> None:
        now = self.clock()
        if now < self.next_at:
            self.sleep(self.next_at - now)
            now = self.next_at
        self.next_at = now + self.interval


class NotionExporter(Publisher):
    format = ExportFormat.notion

    def __init__(
        self,
        parent_id: str,
        known_page: Callable[[int, str], str | None],
        *,
        remember_page: Callable[[int, str, str], None],
        base_url: str = DEFAULT_URL,
        rate: float = RATE,
    ) -> None:
        self.parent_id = parent_id
        self.known_page = known_page
        self.remember_page = remember_page
        self.base_url = base_url.rstrip("/")
        self.limiter = RateLimiter(rate)

    @classmethod
    def from_options(cls, options: ExportOptions) -> NotionExporter:
        if not options.notion_parent:
            raise ExportError(
                "the notion format needs a parent page: pass --notion-parent PAGE_ID "
                "or set COAUTHOR_NOTION_PARENT"
            )
        if options.known_page is None or options.remember_page is None:
            raise ExportError("the notion format needs a place to remember page ids")
        return cls(
            options.notion_parent,
            options.known_page,
            remember_page=options.remember_page,
            base_url=options.notion_url or DEFAULT_URL,
        )

    def publish(self, task: Task, *, task_id: int, revision: int) -> Published:
        token = os.environ.get(TOKEN_VARIABLE, "").strip()
        if not token:
            raise ExportError(f"{TOKEN_VARIABLE} is not set; create a Notion integration token")
        client = Client(
            auth=token,
            base_url=self.base_url,
            notion_version=NOTION_VERSION,
            retry=False,  # the limiter retries, honouring Retry-After
            logger=_QUIET,  # failures become one ExportError, not log lines on stderr
        )
        try:
            uploads = self._upload(client, task)
            content = page_blocks(task, task_id=task_id, revision=revision, uploads=uploads)
            page, created = self._page(client, task, task_id=task_id)
            self.remember_page(task_id, TARGET, page["id"])  # a failure below still updates it
            self._append(client, page["id"], content)
        finally:
            client.close()
        return Published(page_id=page["id"], url=str(page.get("url", "")), created=created)

    def _page(self, client: Client, task: Task, *, task_id: int) -> tuple[Response, bool]:
        """The task's page, emptied, or a new one when there is none or it was deleted."""
        title = {"title": {"title": nb.plain(task.title[: nb.MAX_TEXT])}}
        page_id = self.known_page(task_id, TARGET)
        if page_id and self._alive(client, page_id):
            page = self._call(
                lambda: client.pages.update(page_id, properties=title, erase_content=True)
            )
            return page, False
        parent = {"type": "page_id", "page_id": self.parent_id}
        return self._call(lambda: client.pages.create(parent=parent, properties=title)), True

    def _upload(self, client: Client, task: Task) -> Uploads:
        """Send every figure's main image; the file upload id of each, by step and name."""
        uploads: Uploads = {}
        for number, step in enumerate(task.steps, 1):
            for item in figures.pictures(step):
                image = item.main
                if image is None or len(image.data) > MAX_UPLOAD_BYTES:
                    continue
                name = figures.file_name(number, item.figure.name, image)
                created = self._call(
                    partial(
                        client.file_uploads.create,
                        mode="single_part",
                        filename=name,
                        content_type=image.media_type,
                    )
                )
                sent = self._call(
                    partial(
                        client.file_uploads.send,
                        created["id"],
                        file=(name, image.data, image.media_type),
                    )
                )
                if sent.get("status") != "uploaded":
                    raise ExportError(
                        f"Notion did not take the image {name}: its upload is "
                        f"{sent.get('status')!r}, not 'uploaded'"
                    )
                uploads[(number, item.figure.name)] = str(created["id"])
        return uploads

    def _alive(self, client: Client, page_id: str) -> bool:
        try:
            page = self._call(lambda: client.pages.retrieve(page_id))
        except ExportError as exc:
            if isinstance(exc.__cause__, HTTPResponseError) and exc.__cause__.status == 404:
                return False
            raise
        return not (page.get("in_trash") or page.get("archived"))

    def _append(self, client: Client, parent_id: str, blocks: list[nb.Block]) -> None:
        for batch, later in nb.batches(blocks):
            response = self._call(partial(client.blocks.children.append, parent_id, children=batch))
            for created, rest in zip(response.get("results", []), later, strict=False):
                if rest:
                    self._append(client, created["id"], rest)

    def _call(self, request: Callable[[], Any]) -> Response:
        """One request, spaced by the limiter, retried on 429; failures become ExportError."""
        for attempt in range(ATTEMPTS):
            self.limiter.wait()
            try:
                result: Response = request()
                return result
            except HTTPResponseError as exc:
                if exc.status != 429 or attempt == ATTEMPTS - 1:
                    code = getattr(exc.code, "value", exc.code)
                    raise ExportError(f"Notion refused the export: {code}: {exc}") from exc
                self.limiter.sleep(_retry_after(exc.headers.get("retry-after"), attempt))
            except (httpx.HTTPError, RequestTimeoutError) as exc:
                raise ExportError(f"cannot reach Notion at {self.base_url}: {exc}") from exc
        raise AssertionError("unreachable")  # pragma: no cover


def _retry_after(header: str | None, attempt: int) -> float:
    try:
        return min(max(float(header or ""), 0.0), 60.0)
    except ValueError:
        return min(2.0**attempt, 30.0)


def page_blocks(
    task: Task, *, task_id: int, revision: int, uploads: Uploads | None = None
) -> list[nb.Block]:
    intro = render("notion_task.md.j2", task=task, task_id=task_id, revision=revision)
    steps = [
        nb.toggle(f"Step {number}. {step.title}", step_blocks(step, number, uploads or {}))
        for number, step in enumerate(task.steps, 1)
    ]
    return nb.blocks(intro, shift=1) + steps


def step_blocks(step: Step, number: int = 1, uploads: Uploads | None = None) -> list[nb.Block]:
    """A step's blocks; its figures are image blocks of the file uploads in ``uploads``
    (by step number and figure name), a note for a figure that has none."""
    known = uploads or {}

    def uploaded(item: figures.Picture) -> str | None:
        upload_id = known.get((number, item.figure.name))
        return f"{nb.UPLOAD_SCHEME}{upload_id}" if upload_id else None

    shown = figures.placed_step(step, uploaded, caption_line=False)  # image blocks have one
    body = render("step_body.md.j2", step=shown, h="#")
    verdict = render("notebook_verdict.md.j2", step=step, h="#")
    found = nb.blocks(body, shift=2) + nb.blocks(verdict, shift=2)
    for title, source in (
        ("Starter", step.starter),
        ("Reference solution", step.solution),
        ("Tests", step.tests),
    ):
        if source.strip():
            found += nb.heading(title, 3) + nb.code(source)
    return found


def factory(options: ExportOptions) -> Exporter:
    return NotionExporter.from_options(options)
