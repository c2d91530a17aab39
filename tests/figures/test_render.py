"""Charts and diagrams: deterministic, in the house style whatever the code says, and
failing code contained (exception, endless loop, 10 GB, writes outside, network)."""

from __future__ import annotations

import contextlib
import hashlib
import io
import socket
import threading
from pathlib import Path

import pytest
from PIL import Image

from coauthor.figures import (
    DiagramRefusedError,
    HouseStyle,
    check_dot,
    default_style,
    draw_chart,
    draw_diagram,
    figure_states,
    render_step,
)
from coauthor.sandbox import Limits, Sandbox
from coauthor.schemas import Step
from coauthor.schemas.figures import Figure, FigureKind, FigureStatus

SOLUTION = "def retention(day):\n    return 100 * 0.8 ** day\n"
CHART = """
import matplotlib.pyplot as plt
from solution import retention
days = list(range(15))
fig, ax = plt.subplots(figsize=(9, 2))
ax.plot(days, [retention(d) for d in days], color="#ff0000", linewidth=7, label="cohort A")
ax.plot(days, [retention(d) * 0.7 for d in days], color="#00ff00", label="cohort B")
ax.bar([1, 2, 3], [10, 20, 30], color="#0000ff")
ax.set_facecolor("#ffff00")
ax.set_title("Retention", fontsize=30, color="#ff00ff")
ax.legend()
"""
DOT = """digraph pipeline {
  rankdir=LR;
  node [shape=ellipse, color="#ff0000", fillcolor="#ffff00", style=filled, fontname="Courier"];
  events -> features [color="#00ff00"];
  features -> model -> report;
}"""
SHORT = Limits(cpu_seconds=10, wall_seconds=15.0, memory_mb=1024)


def sha(data: bytes | str) -> str:
    return hashlib.sha256(data if isinstance(data, bytes) else data.encode()).hexdigest()


def pixels(png: bytes) -> set[tuple[int, int, int]]:
    with Image.open(io.BytesIO(png)) as image:
        colours = image.convert("RGB").getcolors(maxcolors=1 << 24) or []
        return {(c[0], c[1], c[2]) for _, c in colours}  # type: ignore[index]


def test_a_chart_renders_deterministically(sandbox: Sandbox) -> None:
    first = draw_chart(CHART, solution=SOLUTION, style=default_style(), sandbox=sandbox)
    second = draw_chart(CHART, solution=SOLUTION, style=default_style(), sandbox=sandbox)
    assert first.ok and second.ok, (first.error, second.error)
    assert sha(first.png) == sha(second.png)
    assert sha(first.svg) == sha(second.svg)
    assert first.svg.startswith("<svg") and "Retention" not in first.svg  # text as paths


def test_the_house_style_wins_over_the_codes_own_colours(sandbox: Sandbox) -> None:
    style = default_style()
    drawn = draw_chart(CHART, solution=SOLUTION, style=style, sandbox=sandbox)
    assert drawn.ok, drawn.error
    svg = drawn.svg.lower()
    for colour in ("#ff0000", "#00ff00", "#0000ff", "#ffff00", "#ff00ff"):
        assert colour not in svg
    for colour in (*style.palette[:3], style.panel):
        assert colour.lower() in svg
    seen = pixels(drawn.png)
    assert not {(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0)} & seen
    assert (27, 94, 122) in seen  # the accent #1b5e7a
    with Image.open(io.BytesIO(drawn.png)) as image:  # the house size, not figsize=(9, 2)
        assert image.size == (round(style.width_in * style.dpi), round(style.height_in * style.dpi))


def test_another_style_gives_another_picture(sandbox: Sandbox) -> None:
    plain = draw_chart(CHART, solution=SOLUTION, style=default_style(), sandbox=sandbox)
    other = HouseStyle(palette=["#123456", "#654321"], background="#ffffff", panel="#ffffff")
    changed = draw_chart(CHART, solution=SOLUTION, style=other, sandbox=sandbox)
    assert plain.ok and changed.ok
    assert sha(plain.png) != sha(changed.png)
    assert "#123456" in changed.svg and "#1b5e7a" not in changed.svg


def test_a_diagram_is_drawn_in_the_house_style_deterministically(sandbox: Sandbox) -> None:
    style = default_style()
    first = draw_diagram(DOT, style=style, sandbox=sandbox)
    second = draw_diagram(DOT, style=style, sandbox=sandbox)
    assert first.ok, first.error
    assert sha(first.png) == sha(second.png) and first.svg == second.svg
    svg = first.svg.lower()
    assert "#ff0000" not in svg and "#ffff00" not in svg and "#00ff00" not in svg
    assert style.dot_node["fillcolor"] in svg and style.dot_edge["color"] in svg
    assert "courier" not in svg and "dejavu sans" in svg


def test_dot_with_100000_nodes_is_refused_before_drawing(sandbox: Sandbox) -> None:
    dot = "digraph { " + " ".join(f"n{i};" for i in range(100_000)) + " }"
    with pytest.raises(DiagramRefusedError, match="100,000 nodes"):
        check_dot(dot)
    drawn = draw_diagram(dot, style=default_style(), sandbox=sandbox)
    assert not drawn.ok and "100,000 nodes" in (drawn.error or "")
    assert check_dot(DOT) == (4, 3)


def test_dot_that_does_not_parse_is_refused() -> None:
    with pytest.raises(DiagramRefusedError, match="does not parse"):
        check_dot("digraph { a -> ")
    with pytest.raises(DiagramRefusedError, match="empty"):
        check_dot("  ")


def failed(code: str, sandbox: Sandbox, limits: Limits = SHORT) -> str:
    drawn = draw_chart(
        code, solution=SOLUTION, style=default_style(), sandbox=sandbox, limits=limits
    )
    assert not drawn.ok and not drawn.png and not drawn.svg
    return drawn.error or ""


def test_an_exception_in_the_figure_code_is_reported_with_its_line(sandbox: Sandbox) -> None:
    error = failed("import matplotlib.pyplot as plt\nx = 1\nplt.plot([1], [1 / 0])\n", sandbox)
    assert "ZeroDivisionError" in error and "line 3" in error


def test_an_endless_loop_is_stopped(sandbox: Sandbox) -> None:
    limits = Limits(cpu_seconds=3, wall_seconds=6.0)
    error = failed("while True:\n    pass\n", sandbox, limits)
    assert "time" in error and "endless loop" in error


def test_a_10_gb_allocation_fails_inside(sandbox: Sandbox) -> None:
    error = failed("block = bytearray(10 * 1024 ** 3)\n", sandbox)
    assert "memory" in error.lower()


def test_writing_outside_the_work_folder_is_contained(sandbox: Sandbox, tmp_path: Path) -> None:
    error = failed("open('/usr/escaped-figure.txt', 'w').write('x')\n", sandbox)
    assert "Read-only file system" in error or "Permission denied" in error
    assert not Path("/usr/escaped-figure.txt").exists()
    target = tmp_path / "escaped.txt"
    code = (
        "import os, matplotlib.pyplot as plt\n"
        f"os.makedirs({str(tmp_path)!r}, exist_ok=True)\n"
        f"open({str(target)!r}, 'w').write('x')\n"
        "plt.plot([1, 2], [1, 2])\n"
    )
    drawn = draw_chart(
        code, solution=SOLUTION, style=default_style(), sandbox=sandbox, limits=SHORT
    )
    assert drawn.ok  # it wrote into the sandbox's private /tmp, never the host's
    assert not target.exists()


def test_the_network_is_out_of_reach(sandbox: Sandbox) -> None:
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    accepted: list[object] = []
    server.settimeout(8)

    def accept() -> None:
        with contextlib.suppress(OSError):
            accepted.append(server.accept())

    waiter = threading.Thread(target=accept)
    waiter.start()
    try:
        code = f"import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=3)\n"
        error = failed(code, sandbox)
    finally:
        waiter.join()
        server.close()
    assert "ConnectionRefusedError" in error or "OSError" in error or "timed out" in error
    assert not accepted


def test_code_that_draws_nothing_fails(sandbox: Sandbox) -> None:
    assert "drew nothing" in failed("x = 1\n", sandbox)


def step_with_figures() -> Step:
    return Step(
        title="Retention",
        story="s",
        theory="t ![Retention](figure:retention)",
        solution=SOLUTION,
        figures=[
            Figure(name="retention", kind=FigureKind.chart, source=CHART, caption="Retention"),
            Figure(name="pipeline", kind=FigureKind.diagram, source=DOT, caption="Pipeline"),
            Figure(name="broken", kind=FigureKind.chart, source="raise ValueError('no data')\n"),
        ],
    )


def test_states_say_rendered_failed_and_stale(sandbox: Sandbox) -> None:
    style = default_style()
    step = render_step(step_with_figures(), style, sandbox=sandbox)
    states = {s.name: s for s in figure_states(step, style)}
    assert states["retention"].state == "rendered"
    assert states["pipeline"].state == "rendered"
    assert states["broken"].state == "failed" and "no data" in states["broken"].detail
    assert step.figures[0].status == FigureStatus.rendered and step.figures[0].png
    changed = step.model_copy(update={"solution": SOLUTION.replace("0.8", "0.7")})
    after = {s.name: s for s in figure_states(changed, style)}
    assert after["retention"].state == "stale" and "solution" in after["retention"].detail
    assert after["pipeline"].state == "rendered"  # a diagram does not import the solution
    restyled = HouseStyle(palette=["#123456", "#654321"])
    assert {s.state for s in figure_states(step, restyled)} == {"stale", "failed"}
    assert figure_states(step)[0].state == "rendered"  # without a style: the code alone


def test_a_dark_style_in_the_code_still_comes_out_in_the_house_style(sandbox: Sandbox) -> None:
    code = (
        "import matplotlib.pyplot as plt\n"
        "plt.style.use('dark_background')\n"
        "fig, ax = plt.subplots(facecolor='black')\n"
        "ax.plot([1, 2, 3], [2, 1, 3])\n"
        "ax.set_title('Dark')\n"
        "ax.set_xlabel('x')\n"
    )
    drawn = draw_chart(code, solution="", style=default_style(), sandbox=sandbox)
    assert drawn.ok, drawn.error
    seen = pixels(drawn.png)
    assert (0, 0, 0) not in seen and (255, 255, 255) not in seen
    assert (251, 250, 247) in seen  # the house background #fbfaf7
    assert (31, 41, 55) in seen  # the house text colour #1f2937 (title, labels)
