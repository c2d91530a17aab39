"""The Notion export against a local server that checks requests the way Notion's API does."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from export_samples import make_task
from notion_server import NotionServer, units
from typer.testing import CliRunner

from coauthor.cli import app
from coauthor.export import ExportError, exporter
from coauthor.export.base import ExportOptions, Publisher
from coauthor.export.notion import NotionExporter
from coauthor.schemas import Task
from coauthor.store import Store

TOKEN = "ntn_local_test_token_0123456789abcdef"


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[NotionServer]:
    monkeypatch.setenv("NOTION_TOKEN", TOKEN)
    with NotionServer(TOKEN) as running:
        yield running


class Pages:
    """Page ids remembered per task, as the store does."""

    def __init__(self) -> None:
        self.ids: dict[tuple[int, str], str] = {}

    def known(self, task_id: int, target: str) -> str | None:
        return self.ids.get((task_id, target))

    def remember(self, task_id: int, target: str, external_id: str) -> None:
        self.ids[(task_id, target)] = external_id


def notion(server: NotionServer, pages: Pages) -> NotionExporter:
    options = ExportOptions(
        notion_parent=server.state.parent_id,
        notion_url=server.url,
        known_page=pages.known,
        remember_page=pages.remember,
    )
    target = exporter("notion", options)
    assert isinstance(target, NotionExporter)
    return target


def flatten(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [x for b in blocks for x in [b, *flatten(b[b["type"]].get("children", []))]]


def texts(blocks: list[dict[str, Any]]) -> list[str]:
    return [
        "".join(i["text"]["content"] for i in b[b["type"]].get("rich_text", [])) for b in blocks
    ]


def test_one_page_with_headings_lists_links_code_and_a_toggle_per_step(
    server: NotionServer, task: Task
) -> None:
    pages = Pages()
    published = notion(server, pages).publish(task, task_id=4, revision=2)
    assert published.created and published.url.startswith("https://www.notion.so/")
    [page] = server.state.pages_under(server.state.parent_id)
    assert page["title"] == task.title and pages.known(4, "notion") == published.page_id

    tree = server.state.tree(published.page_id)
    assert texts(tree)[0].startswith("Task 4, revision 2")
    assert [b["type"] for b in tree].count("heading_2") == 3  # Idea, Lessons, Steps
    assert "Estimate an effect — Uplift is what the business decides on." in texts(tree)
    toggles = [b for b in tree if b["type"] == "toggle"]
    assert texts(toggles) == [f"Step {n}. {s.title}" for n, s in enumerate(task.steps, 1)]
    step = toggles[0]["children"]
    headings = [t for b, t in zip(step, texts(step), strict=True) if b["type"] == "heading_3"]
    assert headings[:4] == ["Story", "Theory", "Requirements", "Verification"]
    assert headings[4:] == ["Starter", "Reference solution", "Tests"]
    items = [i for b in step for i in b[b["type"]]["rich_text"]]
    assert {"type": "text", "text": {"content": "difference"}, "annotations": {"bold": True}} in (
        items
    )
    links = [i["text"]["link"]["url"] for i in items if i["text"].get("link")]
    assert links == ["https://en.wikipedia.org/wiki/A/B_testing"]
    codes = [b for b in step if b["type"] == "code"]
    assert [c["code"]["language"] for c in codes] == ["python"] * 3
    assert texts(codes)[1] == task.steps[0].solution
    verdicts = texts(step)[headings.index("Verification") :]
    assert any(t.startswith("Verified: the reference solution passes all 3") for t in verdicts)
    assert any("Not verified yet" in t for t in texts(toggles[1]["children"]))

    assert server.state.refusals == []
    headers = [r["headers"] for r in server.state.requests]
    assert all(h["Authorization"] == f"Bearer {TOKEN}" for h in headers)
    assert all(h["Notion-Version"] == "2025-09-03" for h in headers)


def test_a_429_is_retried_after_retry_after_and_requests_stay_under_the_rate(
    server: NotionServer, task: Task
) -> None:
    notion(server, Pages()).publish(task, task_id=1, revision=1)
    requests = server.state.requests
    appends = [i for i, r in enumerate(requests) if r["path"].endswith("/children")]
    first, retry = appends[0], appends[1]
    assert requests[first]["body"] == requests[retry]["body"]  # the same request, again
    assert requests[retry]["at"] - requests[first]["at"] >= 0.95  # Retry-After: 1
    assert server.state.too_fast() == 0 and server.state.refusals == []


def test_exporting_again_updates_the_page_instead_of_making_another(
    server: NotionServer, task: Task
) -> None:
    pages = Pages()
    first = notion(server, pages).publish(task, task_id=1, revision=1)
    task.steps[0].theory = "A new theory."
    second = notion(server, pages).publish(task, task_id=1, revision=2)
    assert first.created and not second.created and second.page_id == first.page_id
    assert len(server.state.pages_under(server.state.parent_id)) == 1
    tree = server.state.tree(first.page_id)
    assert [b["type"] for b in tree].count("toggle") == 2  # not appended twice
    assert texts(tree)[0].startswith("Task 1, revision 2")
    assert "A new theory." in texts(tree[-2]["children"])
    assert not any("Uplift is the" in t for t in texts(tree[-2]["children"]))


def test_a_page_deleted_in_notion_is_made_again(server: NotionServer, task: Task) -> None:
    pages = Pages()
    first = notion(server, pages).publish(task, task_id=1, revision=1)
    server.state.pages[first.page_id]["in_trash"] = True
    second = notion(server, pages).publish(task, task_id=1, revision=1)
    assert second.created and second.page_id != first.page_id
    assert pages.known(1, "notion") == second.page_id
    assert len(server.state.pages_under(server.state.parent_id)) == 1


def test_a_10000_character_theory_is_cut_to_notions_limits_without_loss(
    server: NotionServer,
) -> None:
    task = make_task()
    long_paragraph = ("Variance 🎲 shrinks with n. " * 300)[:6_500].strip()
    short = [f"Note {n}: a short remark." for n in range(150)]
    theory = "\n\n".join([long_paragraph, *short])
    assert 10_000 <= len(theory) <= 20_000
    task.steps[0].theory = theory
    published = notion(server, Pages()).publish(task, task_id=1, revision=1)

    assert server.state.refusals == []  # every limit was respected
    toggle = server.state.tree(published.page_id)[-2]
    step = toggle["children"]
    assert len(step) > 100  # so the toggle got the rest in a request of its own
    assert any(r["path"] == f"/v1/blocks/{toggle['id']}/children" for r in server.state.requests)
    bodies = [json.loads(r["body"]) for r in server.state.requests if r["body"]]
    sent = flatten([b for body in bodies for b in body.get("children", [])])
    assert max(len(b[b["type"]].get("children", [])) for b in sent) == 100
    items = [i for b in sent for i in b[b["type"]]["rich_text"]]
    assert max(units(i["text"]["content"]) for i in items) == 2000
    paragraphs = [t for b, t in zip(step, texts(step), strict=True) if b["type"] == "paragraph"]
    start = paragraphs.index(long_paragraph)
    assert "\n\n".join(paragraphs[start : start + 151]) == theory


def test_tables_and_nested_lists_reach_notion_nested_within_its_limits(
    server: NotionServer, task: Task
) -> None:
    task.brief.idea = "Pick a sample size:\n\n1. power\n   - alpha\n     - two-sided\n2. effect"
    task.steps[0].theory = (
        "Compare the groups.\n\n"
        "| Group | Mean |\n|---|---:|\n| control | **1.0** |\n| treatment | `2.0` |\n\n"
        "- means\n  1. control\n  2. treatment\n- difference\n"
    )
    published = notion(server, Pages()).publish(task, task_id=1, revision=1)
    assert server.state.refusals == []  # depth, rows, widths and kinds all as Notion wants

    tree = server.state.tree(published.page_id)
    lists = [b for b in tree if b["type"] == "numbered_list_item"]
    assert texts(lists) == ["power", "effect"]
    assert [b["type"] for b in lists[0]["children"]] == ["bulleted_list_item"] * 2
    assert texts(lists[0]["children"]) == ["alpha", "two-sided"]  # the third level, flattened

    step = tree[-2]["children"]
    [table] = [b for b in step if b["type"] == "table"]
    assert table["table"] == {"table_width": 2, "has_column_header": True, "has_row_header": False}
    cells = [row["table_row"]["cells"] for row in table["children"]]
    assert [[c[0]["text"]["content"] for c in row] for row in cells] == [
        ["Group", "Mean"],
        ["control", "1.0"],
        ["treatment", "2.0"],
    ]
    assert cells[1][1][0]["annotations"] == {"bold": True}
    assert cells[2][1][0]["annotations"] == {"code": True}
    theory = [b for b in step if b["type"] == "bulleted_list_item"][:2]
    assert texts(theory) == ["means", "difference"]
    assert texts(theory[0]["children"]) == ["control", "treatment"]
    assert [b["type"] for b in theory[0]["children"]] == ["numbered_list_item"] * 2
    kinds = [b["type"] for b in step]
    assert kinds.index("table") < kinds.index("bulleted_list_item")  # in the markdown's order
    assert texts(step)[kinds.index("heading_3", kinds.index("table"))] == "Requirements"

    bodies = [json.loads(r["body"]) for r in server.state.requests if r["body"]]
    appended = [b for body in bodies for b in body.get("children", [])]
    tables = [b for b in flatten(appended) if b["type"] == "table"]
    assert [len(t["table"]["children"]) for t in tables] == [3]  # sent with its rows at once
    assert server.state.too_fast() == 0


def test_the_token_comes_from_the_environment_only(
    server: NotionServer, task: Task, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NOTION_TOKEN")
    with pytest.raises(ExportError, match="NOTION_TOKEN is not set"):
        notion(server, Pages()).publish(task, task_id=1, revision=1)
    monkeypatch.setenv("NOTION_TOKEN", "wrong-token")
    with pytest.raises(ExportError, match="unauthorized"):
        notion(server, Pages()).publish(task, task_id=1, revision=1)
    assert server.state.pages == {}


def test_the_cli_publishes_remembers_the_page_and_reports_a_missing_token(
    server: NotionServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'library.db'}"
    monkeypatch.setenv("COAUTHOR_DATABASE_URL", url)
    monkeypatch.setenv("COAUTHOR_NOTION_URL", server.url)
    task_id = Store(url).create_task(make_task()).id
    args = ["export", str(task_id), "--format", "notion"]
    parent = ["--notion-parent", server.state.parent_id]

    for _ in range(2):
        result = CliRunner().invoke(app, [*args, *parent])
        assert result.exit_code == 0, result.stderr
        assert result.stdout.strip().startswith("https://www.notion.so/")
    [page] = server.state.pages_under(server.state.parent_id)
    page_id = Store(url).external_page(task_id, "notion")
    assert page_id is not None and page is server.state.pages[page_id]

    monkeypatch.delenv("NOTION_TOKEN")
    result = CliRunner().invoke(app, [*args, *parent])
    assert result.exit_code == 2 and "NOTION_TOKEN is not set" in result.stderr
    assert result.stderr.count("\n") == 1
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2 and "--notion-parent" in result.stderr
    assert isinstance(notion(server, Pages()), Publisher)
