"""A step's figures in every export: placed where their anchors stand, bytes intact, and a
visible note (never a broken image) for a figure with no image."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest
from export_samples import (
    CHART_PNG,
    CHART_SVG,
    JPEG,
    SVG,
    b64,
    make_figures,
    make_task,
    make_task_with_figures,
    png,
)
from notion_server import NotionServer

from coauthor.export import exporter, figures
from coauthor.export.base import ExportOptions
from coauthor.export.notion import NotionExporter
from coauthor.schemas import Task
from coauthor.schemas.figures import Figure, FigureKind, FigureStatus, code_digest

TOKEN = "ntn_local_test_token_figures_0123456789"
FIGURE_STATES = [
    "- uplift-chart (chart): rendered",
    "- flow (diagram): rendered",
    "- whiteboard (upload): rendered",
    "- broken (chart): failed: ZeroDivisionError: division by zero",
]


def figure(**values: Any) -> Figure:
    return Figure(**{"name": "chart", "kind": FigureKind.chart, **values})


# -- the shared module ----------------------------------------------------------------


def test_images_are_decoded_and_typed_by_content_not_by_field() -> None:
    chart, flow, photo, broken = (figures.picture(f) for f in make_figures())
    assert [(i.media_type, i.extension, i.data) for i in chart.images] == [
        ("image/png", "png", CHART_PNG),
        ("image/svg+xml", "svg", CHART_SVG.encode()),
    ]
    assert chart.main == chart.images[0] and chart.problem == ""
    assert flow.main is not None and flow.main.data == SVG.encode()
    assert photo.main is not None and (photo.main.media_type, photo.main.data) == (
        "image/jpeg",
        JPEG,
    )
    assert broken.main is None
    assert broken.problem == "it failed to render: ZeroDivisionError: division by zero"

    damaged = figures.picture(figure(status=FigureStatus.rendered, png="not base64!"))
    assert damaged.main is None and "not valid base64" in damaged.problem
    gif = figures.picture(figure(status=FigureStatus.rendered, png=b64(b"GIF89a....")))
    assert gif.main is None and "neither PNG nor JPEG" in gif.problem
    pending = figures.picture(figure())
    assert pending.main is None and pending.problem == "it is not rendered yet"
    assert figures.state(figure()) == "not rendered yet"
    assert figures.state(figure(status=FigureStatus.rendered, png="###")).startswith(
        "rendered, but not usable: its raster image is not valid base64"
    )
    assert figures.file_name(3, "flow", flow.images[0]) == "step-03-flow.svg"
    kept = figure(status=FigureStatus.failed, error="NameError: x", png=b64(CHART_PNG))
    assert figures.picture(kept).main is not None  # the last good image is still shown
    assert figures.state(kept) == "failed: NameError: x; shown is its last good rendering"


def test_anchors_are_placed_in_story_and_theory_and_the_rest_follows_the_theory() -> None:
    step = make_task_with_figures().steps[0]
    step.theory += "\n\n![ghost](figure:ghost)"
    shown = figures.placed_step(step, lambda item: f"img/{item.figure.name}")

    assert "![Two bars: the treatment mean is one higher than the control mean]" in shown.story
    assert '(img/uplift-chart "Mean of each group")\n\n*Mean of each group*' in shown.story
    assert shown.story.index("uplift-chart") < shown.story.index("Then the team met.")
    assert "figure:" not in shown.story + shown.theory
    # alone on its line: an image and its caption; inside a sentence: a note in the text
    assert '(img/flow "From the groups to the uplift")\n\n*From the groups' in shown.theory
    assert (
        "The power curve *[Figure “Power curve” (broken) is not shown: it failed to render: "
        "ZeroDivisionError: division by zero.]* is missing." in shown.theory
    )
    assert "> **Note:** Figure ghost is missing: the step has no figure of that name." in (
        shown.theory
    )
    # the photo has no anchor: it follows the theory, after everything in it
    assert shown.theory.rstrip().endswith(
        '![A photo of the whiteboard](img/whiteboard "The team\'s whiteboard")\n\n'
        "*The team's whiteboard*"
    )
    assert step.story != shown.story and step.figures == shown.figures  # a copy


def test_an_anchor_in_fenced_code_stays_code() -> None:
    step = make_task_with_figures().steps[0]
    step.story = "Write:\n\n```markdown\n![x](figure:flow)\n```\n![x](figure:flow)\nDone."
    shown = figures.placed_step(step, lambda item: f"img/{item.figure.name}")
    assert shown.story.startswith("Write:\n\n```markdown\n![x](figure:flow)\n```\n![")
    assert shown.story.count("img/flow") == 1 and shown.story.endswith("uplift*\n\nDone.")


def test_a_format_that_cannot_carry_an_image_says_so() -> None:
    step = make_task_with_figures().steps[0]
    shown = figures.placed_step(step, lambda item: None)
    assert "![" not in shown.story + shown.theory
    assert (
        "> **Note:** Figure “Mean of each group” (uplift-chart) is not shown: this format "
        "cannot carry its image." in shown.story
    )


# -- markdown -------------------------------------------------------------------------


def test_markdown_writes_image_files_beside_the_statement_and_links_them(
    tmp_path: Path,
) -> None:
    task = make_task_with_figures()
    folder = exporter("markdown").export(task, tmp_path, task_id=1, revision=1)
    [step1, step2] = sorted(p for p in folder.iterdir() if p.is_dir())
    images = step1 / "images"
    assert sorted(p.name for p in images.iterdir()) == [
        "step-01-flow.svg",
        "step-01-uplift-chart.png",
        "step-01-uplift-chart.svg",
        "step-01-whiteboard.jpg",
    ]
    assert (images / "step-01-uplift-chart.png").read_bytes() == CHART_PNG
    assert (images / "step-01-uplift-chart.svg").read_text() == CHART_SVG
    assert (images / "step-01-flow.svg").read_text() == SVG
    assert (images / "step-01-whiteboard.jpg").read_bytes() == JPEG
    assert not (step2 / "images").exists()

    statement = (step1 / "statement.md").read_text()
    links = re.findall(r"!\[[^\]]*\]\(([^ )]+)", statement)
    assert links == [
        "images/step-01-uplift-chart.png",
        "images/step-01-flow.svg",
        "images/step-01-whiteboard.jpg",
    ]
    assert all((step1 / link).is_file() for link in links)  # no broken link
    sections = statement.split("\n## ")
    story, theory = sections[1], sections[2]
    assert "uplift-chart.png" in story and "flow.svg" in theory
    assert "whiteboard.jpg" in theory  # no anchor: after the theory, before the requirements
    assert "*The team's whiteboard*" in theory
    assert "Figure “Power curve” (broken) is not shown: it failed to render" in theory
    verification = statement[statement.index("## Verification") :]
    assert "\n".join(FIGURE_STATES) in verification


def test_exporting_again_leaves_no_image_of_a_deleted_figure(tmp_path: Path) -> None:
    task = make_task_with_figures()
    exporter("markdown").export(task, tmp_path, task_id=1, revision=1)
    images = next(tmp_path.glob("step-01-*")) / "images"
    (images / "notes.txt").write_text("the author's own file")
    task.steps[0].figures = task.steps[0].figures[1:2]  # only the diagram is left
    exporter("markdown").export(task, tmp_path, task_id=1, revision=2)
    assert sorted(p.name for p in images.iterdir()) == ["notes.txt", "step-01-flow.svg"]
    task.steps[0].figures = []
    (images / "notes.txt").unlink()
    exporter("markdown").export(task, tmp_path, task_id=1, revision=3)
    assert not images.exists()


def test_figure_states_are_shown_with_the_verdict_in_every_format(tmp_path: Path) -> None:
    task = make_task_with_figures()
    for name in ("markdown", "otter", "nbgrader"):
        path = exporter(name).export(task, tmp_path / name, task_id=1, revision=1)
        files = [path] if path.is_file() else sorted(path.rglob("*.md"))
        text = "\n".join(p.read_text() for p in files)
        if path.suffix == ".ipynb":
            cells = nbformat.read(path, as_version=4).cells
            text = "\n".join(c.source for c in cells if "Verification" in c.source)
        for line in FIGURE_STATES:
            assert line in text, name
    plain = exporter("markdown").export(make_task(), tmp_path / "plain", task_id=1, revision=1)
    assert "Figures:" not in "\n".join(p.read_text() for p in plain.rglob("*.md"))


def test_a_chart_whose_solution_changed_since_it_was_drawn_is_said_to_be_stale(
    tmp_path: Path,
) -> None:
    task = make_task_with_figures()
    step = task.steps[0]
    chart = next(f for f in step.figures if f.kind == FigureKind.chart)
    drawn = chart.model_copy(update={"drawn_from": code_digest(chart, step.solution)[:32]})
    step.figures = [drawn if f.name == chart.name else f for f in step.figures]
    fresh = exporter("markdown").export(task, tmp_path / "fresh", task_id=1, revision=1)
    assert "stale" not in "\n".join(p.read_text() for p in fresh.rglob("*.md"))
    task.steps[0] = step.model_copy(update={"solution": step.solution + "\n# changed\n"})
    moved = exporter("markdown").export(task, tmp_path / "moved", task_id=1, revision=2)
    text = "\n".join(p.read_text() for p in moved.rglob("*.md"))
    assert f"{chart.name} (chart): stale: its code or the step's solution changed" in text


# -- notebooks ------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["otter", "nbgrader"])
def test_notebooks_carry_their_images_as_cell_attachments(name: str, tmp_path: Path) -> None:
    task = make_task_with_figures()
    path = exporter(name).export(task, tmp_path, task_id=1, revision=1)
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    [statement] = [c for c in notebook.cells if c.get("attachments")]
    assert statement.cell_type == "markdown" and "Step 1." in statement.source
    attachments = statement.attachments
    assert sorted(attachments) == [
        "step-01-flow.svg",
        "step-01-uplift-chart.png",
        "step-01-whiteboard.jpg",
    ]
    decoded = {
        key: base64.b64decode(bundle[media])
        for key, bundle in attachments.items()
        for media in bundle
    }
    assert decoded == {
        "step-01-uplift-chart.png": CHART_PNG,
        "step-01-flow.svg": SVG.encode(),
        "step-01-whiteboard.jpg": JPEG,
    }
    assert {media for bundle in attachments.values() for media in bundle} == {
        "image/png",
        "image/svg+xml",
        "image/jpeg",
    }
    referenced = re.findall(r"\]\(attachment:([^ )]+)", statement.source)
    assert sorted(referenced) == sorted(attachments)  # every image shown, none dangling
    assert "Figure “Power curve” (broken) is not shown" in statement.source
    assert "figure:" not in json.dumps(notebook)


@pytest.mark.slow
def test_jupyter_renders_the_attached_images(tmp_path: Path) -> None:
    """nbconvert (what Jupyter uses to render a notebook to HTML) resolves every
    ``attachment:`` link to the image itself."""
    from nbconvert import HTMLExporter

    path = exporter("otter").export(make_task_with_figures(), tmp_path, task_id=1, revision=1)
    html, _ = HTMLExporter().from_notebook_node(nbformat.read(path, as_version=4))
    sources = re.findall(r'<img alt="[^"]*" src="data:([^;]+);base64,([^"]+)"', html)
    assert [(media, base64.b64decode(data)) for media, data in sources] == [
        ("image/png", CHART_PNG),
        ("image/svg+xml", SVG.encode()),
        ("image/jpeg", JPEG),
    ]
    assert "attachment:" not in html


# -- notion ---------------------------------------------------------------------------


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[NotionServer]:
    monkeypatch.setenv("NOTION_TOKEN", TOKEN)
    with NotionServer(TOKEN) as running:
        yield running


def notion(server: NotionServer) -> NotionExporter:
    pages: dict[tuple[int, str], str] = {}
    options = ExportOptions(
        notion_parent=server.state.parent_id,
        notion_url=server.url,
        known_page=lambda task_id, target: pages.get((task_id, target)),
        remember_page=lambda task_id, target, page: pages.__setitem__((task_id, target), page),
    )
    made = exporter("notion", options)
    assert isinstance(made, NotionExporter)
    return made


def flatten(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [x for b in blocks for x in [b, *flatten(b.get("children", []))]]


def text_of(block: dict[str, Any]) -> str:
    return "".join(i["text"]["content"] for i in block[block["type"]].get("rich_text", []))


def test_notion_uploads_each_image_and_shows_it_by_its_file_upload_id(
    server: NotionServer,
) -> None:
    task = make_task_with_figures()
    published = notion(server).publish(task, task_id=1, revision=1)
    assert server.state.refusals == []

    uploads = server.state.uploads
    assert sorted((u["filename"], u["content_type"], u["data"]) for u in uploads.values()) == [
        ("step-01-flow.svg", "image/svg+xml", SVG.encode()),
        ("step-01-uplift-chart.png", "image/png", CHART_PNG),
        ("step-01-whiteboard.jpg", "image/jpeg", JPEG),
    ]
    assert all(u["status"] == "uploaded" for u in uploads.values())
    sends = [r for r in server.state.requests if r["path"].endswith("/send")]
    assert len(sends) == 3
    assert all(r["headers"]["Content-Type"].startswith("multipart/form-data") for r in sends)

    step = flatten(server.state.tree(published.page_id)[-2]["children"])
    images = [b for b in step if b["type"] == "image"]
    names = [uploads[b["image"]["file_upload"]["id"]]["filename"] for b in images]
    assert names == ["step-01-uplift-chart.png", "step-01-flow.svg", "step-01-whiteboard.jpg"]
    assert [b["image"]["type"] for b in images] == ["file_upload"] * 3
    captions = ["".join(i["text"]["content"] for i in b["image"]["caption"]) for b in images]
    assert captions == [
        "Mean of each group",
        "From the groups to the uplift",
        "The team's whiteboard",
    ]
    kinds = [b["type"] for b in step]
    texts = [text_of(b) for b in step]
    story, theory, requirements = (
        texts.index("Story"),
        texts.index("Theory"),
        texts.index("Requirements"),
    )
    positions = [step.index(b) for b in images]
    assert story < positions[0] < theory < positions[1] < positions[2] < requirements
    assert texts[positions[0] + 1] == "Then the team met."  # the caption is the image's own
    assert not any(t in captions for t in texts)
    broken = [t for t in texts if "(broken) is not shown: it failed to render" in t]
    assert broken and broken[0].startswith("The power curve ")
    assert "file_upload" not in json.dumps([t for t in texts])  # no raw source in any text
    assert kinds.count("image") == 3
    assert any(t == "broken (chart): failed: ZeroDivisionError: division by zero" for t in texts)


def test_the_notion_server_refuses_an_image_of_an_upload_never_sent(
    server: NotionServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from coauthor.export import notion as notion_module

    def unsent(self: NotionExporter, client: Any, task: Task) -> dict[tuple[int, str], str]:
        created = self._call(lambda: client.file_uploads.create(mode="single_part"))
        return {(1, "uplift-chart"): created["id"]}

    monkeypatch.setattr(notion_module.NotionExporter, "_upload", unsent)
    with pytest.raises(notion_module.ExportError, match="status pending, not uploaded"):
        notion(server).publish(make_task_with_figures(), task_id=1, revision=1)


def test_a_large_image_is_sent_whole(server: NotionServer) -> None:
    task = make_task()
    big = png(700, 700, (10, 20, 30)) + bytes(range(256)) * 2_000  # ~0.5 MB: one part
    task.steps[0].figures = [
        figure(name="big", status=FigureStatus.rendered, png=b64(big), caption="Big")
    ]
    notion(server).publish(task, task_id=1, revision=1)
    assert server.state.refusals == []
    [upload] = server.state.uploads.values()
    assert upload["data"] == big
