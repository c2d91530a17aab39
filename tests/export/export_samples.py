"""Sample tasks with a real solution/tests pair, and a sealed environment for the grading tools.

A plain module (not conftest) so that the tests of this folder can import it by name."""

from __future__ import annotations

import base64
import os
import struct
import sys
import zlib
from pathlib import Path

import pytest

from coauthor.pipeline.starter import stub
from coauthor.schemas import Link, Step, Task, TaskBrief, TestOutcome, Verdict
from coauthor.schemas.figures import Figure, FigureKind, FigureStatus
from coauthor.testing import SOLUTION, TESTS, lessons_reply, plan_reply

# Step 2's tests use what generated tests use beyond plain functions: an aliased import, a
# module docstring, constants, fixtures (one yielding, one using another), parametrize,
# tmp_path, a print, a hidden test, and tests only pytest itself can run (capsys, a class).
RICH_TESTS = '''"""Tests of step 2."""
import pytest

from solution import mean_uplift as uplift

GROUPS = [([1.0], [2.0], 1.0), ([2.0, 4.0], [3.0, 3.0], 0.0)]


@pytest.fixture
def control():
    return [1.0, 3.0]


@pytest.fixture
def shifted(control):
    yield [x + 1 for x in control]


@pytest.mark.parametrize("control_values, treatment, expected", GROUPS)
def test_table(control_values, treatment, expected):
    print("checking", control_values)
    assert uplift(control_values, treatment) == pytest.approx(expected)


@pytest.mark.parametrize("shift", [1.0, 2.5])
def test_shift(control, shift, tmp_path):
    assert tmp_path.is_dir()
    assert uplift(control, [x + shift for x in control]) == pytest.approx(shift)


def test_hidden_fixture_chain(control, shifted):
    assert uplift(control, shifted) == pytest.approx(1.0)


def test_prints_are_captured(capsys):
    print("hello")
    assert capsys.readouterr().out == "hello\\n"
    assert uplift([0.0], [1.0]) == 1.0


class TestSymmetry:
    def test_sign_flips(self):
        assert uplift([0.0], [2.0]) == -uplift([2.0], [0.0]) == 2.0
'''
STEP_TESTS = [TESTS, RICH_TESTS]
TEST_COUNTS = [3, 5]  # tests pytest collects per step (a class counts once here)


def make_step(number: int, tests: str, *, verdict: Verdict | None) -> Step:
    return Step(
        title=f"Measure the uplift, part {number}",
        goal="Compute the difference of the group means",
        lessons=["Estimate an effect"],
        story=f"Story of step {number}: the shop runs an experiment.",
        theory="Uplift is the **difference** of the means; see `numpy.mean`.",
        links=[Link(title="A/B testing", url="https://en.wikipedia.org/wiki/A/B_testing")],
        requirements=["mean_uplift(control, treatment) returns a float", "empty input raises"],
        starter=stub(SOLUTION) or "",
        solution=SOLUTION,
        tests=tests,
        verdict=verdict,
    )


def make_task() -> Task:
    """Two steps with working solutions: step 1 verified, step 2 not verified yet."""
    verified = Verdict(
        verified=True,
        tests=3,
        solution_outcomes={"test_positive_uplift": TestOutcome.passed},
        coverage=100.0,
    )
    steps = [make_step(1, TESTS, verdict=verified), make_step(2, RICH_TESTS, verdict=None)]
    brief = TaskBrief(idea="Pick a sample size", steps=2, lessons=lessons_reply().lessons)
    return Task(brief=brief, plan=plan_reply(2), steps=steps)


def tool_env(tmp_path: Path) -> dict[str, str]:
    """Environment for otter and nbgrader: the venv's tools first, every config dir in tmp."""
    home = tmp_path / "home"
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("JUPYTER", "IPYTHON", "NBGRADER", "OTTER"))
    }
    env.update(
        HOME=str(home),
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        JUPYTER_CONFIG_DIR=str(home / "jupyter-config"),
        JUPYTER_DATA_DIR=str(home / "jupyter-data"),
        JUPYTER_RUNTIME_DIR=str(home / "jupyter-runtime"),
        IPYTHONDIR=str(home / "ipython"),
        MPLCONFIGDIR=str(home / "matplotlib"),
    )
    for key in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR"):
        Path(env[key]).mkdir(parents=True, exist_ok=True)
    return env


def tool(name: str) -> str:
    """A console script of the venv that runs these tests."""
    path = Path(sys.executable).parent / name
    if not path.exists():
        pytest.fail(f"{name} is not installed in {path.parent}; run make setup")
    return str(path)


def png(width: int = 6, height: int = 4, rgb: tuple[int, int, int] = (40, 90, 200)) -> bytes:
    """A real PNG of one colour, written with the standard library."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + bytes(rgb) * width
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


# a 4x3 JPEG, as an author would upload one (written once with Pillow)
JPEG = base64.b64decode(
    "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAYEBQYFBAYGBQYHBwYIChAKCgkJChQODwwQFxQYGBcUFhYaHSUfGhsj"
    "HBYWICwgIyYnKSopGR8tMC0oMCUoKSj/2wBDAQcHBwoIChMKChMoGhYaKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgo"
    "KCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCj/wAARCAADAAQDASIAAhEBAxEB/8QAHwAAAQUBAQEBAQEAAAAAAAAA"
    "AAECAwQFBgcICQoL/8QAtRAAAgEDAwIEAwUFBAQAAAF9AQIDAAQRBRIhMUEGE1FhByJxFDKBkaEII0KxwRVS0fAk"
    "M2JyggkKFhcYGRolJicoKSo0NTY3ODk6Q0RFRkdISUpTVFVWV1hZWmNkZWZnaGlqc3R1dnd4eXqDhIWGh4iJipKT"
    "lJWWl5iZmqKjpKWmp6ipqrKztLW2t7i5usLDxMXGx8jJytLT1NXW19jZ2uHi4+Tl5ufo6erx8vP09fb3+Pn6/8QA"
    "HwEAAwEBAQEBAQEBAQAAAAAAAAECAwQFBgcICQoL/8QAtREAAgECBAQDBAcFBAQAAQJ3AAECAxEEBSExBhJBUQdh"
    "cRMiMoEIFEKRobHBCSMzUvAVYnLRChYkNOEl8RcYGRomJygpKjU2Nzg5OkNERUZHSElKU1RVVldYWVpjZGVmZ2hp"
    "anN0dXZ3eHl6goOEhYaHiImKkpOUlZaXmJmaoqOkpaanqKmqsrO0tba3uLm6wsPExcbHyMnK0tPU1dbX2Nna4uPk"
    "5ebn6Onq8vP09fb3+Pn6/9oADAMBAAIRAxEAPwDl6KKK+SP1I//Z"
)
SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="120" height="40" viewBox="0 0 120 40">'
    '<rect x="2" y="2" width="50" height="36" fill="#1f4e79"/>'
    '<text x="60" y="25" font-size="12">control → treatment</text></svg>'
)
CHART_PNG = png(6, 4, (40, 90, 200))
CHART_SVG = SVG.replace("#1f4e79", "#c0392b")


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def make_figures() -> list[Figure]:
    """A chart (PNG and SVG), a diagram (SVG only), an uploaded JPEG and a failed chart."""
    return [
        Figure(
            name="uplift-chart",
            kind=FigureKind.chart,
            caption="Mean of each group",
            alt="Two bars: the treatment mean is one higher than the control mean",
            source="import matplotlib.pyplot as plt\nplt.bar([0, 1], [1, 2])",
            status=FigureStatus.rendered,
            png=b64(CHART_PNG),
            svg=CHART_SVG,
        ),
        Figure(
            name="flow",
            kind=FigureKind.diagram,
            caption="From the groups to the uplift",
            alt="control and treatment flow into the difference of means",
            source="digraph { control -> uplift; treatment -> uplift }",
            status=FigureStatus.rendered,
            svg=SVG,
            media_type="image/svg+xml",
        ),
        Figure(
            name="whiteboard",
            kind=FigureKind.upload,
            caption="The team's whiteboard",
            alt="A photo of the whiteboard",
            status=FigureStatus.rendered,
            png=b64(JPEG),
            media_type="image/jpeg",
        ),
        Figure(
            name="broken",
            kind=FigureKind.chart,
            caption="Power curve",
            source="1 / 0",
            status=FigureStatus.failed,
            error="Traceback (most recent call last):\nZeroDivisionError: division by zero",
        ),
    ]


def make_task_with_figures() -> Task:
    """The sample task; step 1 places the chart in its story and the diagram and the failed
    chart in its theory by anchors, and carries the uploaded photo with no anchor."""
    task = make_task()
    step = task.steps[0]
    step.story += "\n\n![The groups' means](figure:uplift-chart)\n\nThen the team met."
    step.theory += "\n\n![Flow](figure:flow)\n\nThe power curve ![](figure:broken) is missing."
    step.figures = make_figures()
    return task
