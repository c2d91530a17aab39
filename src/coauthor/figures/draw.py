"""Draw a chart (matplotlib code) or a diagram (Graphviz DOT) in the sandbox, with the
same isolation as a step's tests: no network, rlimits, a size-capped work folder, a wall
clock. Output is deterministic for the same code, data and style (fixed metadata, a fixed
SVG hash salt), and checked on the way out: a PNG must be a PNG, an SVG is sanitised."""

from __future__ import annotations

import base64
import functools
import json
import re
import subprocess
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from coauthor.figures.style import HouseStyle
from coauthor.figures.svg import SvgError, sanitise
from coauthor.figures.upload import PNG_MAGIC
from coauthor.sandbox import Limits, Result, Sandbox
from coauthor.sandbox.base import CPU, FILE_SIZE, MEMORY, OUTPUT, WALL_TIMEOUT

MAX_DOT_BYTES = 2_000_000
"""DOT longer than this is refused before it is even parsed."""
MAX_DOT_NODES = 400
MAX_DOT_EDGES = 1200
MAX_IMAGE_BYTES = 4_000_000
FIGURE_LIMITS = Limits(cpu_seconds=30, wall_seconds=45.0, output_bytes=MAX_IMAGE_BYTES)
OUTPUTS = ("figure.png", "figure.svg")


class DiagramRefusedError(ValueError):
    """DOT that is not drawn at all: too big, or not DOT."""


@dataclass(frozen=True)
class Drawn:
    """One rendering: both images, or the error that stopped it."""

    png: bytes = b""
    svg: str = ""
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def png_base64(self) -> str:
        return base64.b64encode(self.png).decode("ascii")


def limits_for(base: Limits | None) -> Limits:
    """The step's sandbox limits, with room for the images to come back."""
    if base is None:
        return FIGURE_LIMITS
    return Limits(
        cpu_seconds=base.cpu_seconds,
        memory_mb=base.memory_mb,
        wall_seconds=base.wall_seconds,
        output_bytes=MAX_IMAGE_BYTES,
    )


def draw_chart(
    code: str, *, solution: str, style: HouseStyle, sandbox: Sandbox, limits: Limits | None = None
) -> Drawn:
    """Run the plotting ``code`` (with ``solution.py`` importable) in the house style."""
    style_json = json.dumps({**style.model_dump(mode="json"), "rc": style.rc()}, sort_keys=True)
    files: dict[str, str | bytes] = {
        "draw_chart.py": _driver("draw_chart.py"),
        "figure_code.py": code,
        "solution.py": solution,
        "style.json": style_json,
    }
    cache = _font_cache()
    if cache is not None:
        files[f"mplconfig/{cache[0]}"] = cache[1]
    result = sandbox.run(
        files,
        [sandbox.python, "draw_chart.py"],
        limits=limits_for(limits),
        collect=OUTPUTS,
    )
    return _collected(result, "figure code")


def draw_diagram(
    dot: str, *, style: HouseStyle, sandbox: Sandbox, limits: Limits | None = None
) -> Drawn:
    """Validate ``dot`` (size, syntax, node and edge counts), then draw it in the sandbox
    with the house style's attributes forced on every graph, node and edge."""
    try:
        check_dot(dot)
    except DiagramRefusedError as exc:
        return Drawn(error=str(exc))
    files: dict[str, str | bytes] = {
        "figure.dot": dot,
        "style.gvpr": gvpr_program(style),
        "fonts.conf": _FONTS_CONF,
        "draw.sh": _DRAW_SH.format(dpi=style.dpi),
    }
    result = sandbox.run(files, ["/bin/sh", "draw.sh"], limits=limits_for(limits), collect=OUTPUTS)
    return _collected(result, "DOT")


def check_dot(dot: str) -> tuple[int, int]:
    """(nodes, edges) of a DOT text that may be drawn; raises DiagramRefusedError."""
    size = len(dot.encode())
    if not dot.strip():
        raise DiagramRefusedError("the DOT is empty")
    if size > MAX_DOT_BYTES:
        raise DiagramRefusedError(f"the DOT is {size:,} bytes; the limit is {MAX_DOT_BYTES:,}")
    try:
        done = subprocess.run(
            ["gc", "-n", "-e"],
            input=dot,
            capture_output=True,
            text=True,
            timeout=15,
            env={"PATH": "/usr/bin:/bin", "LC_ALL": "C.UTF-8"},
        )
    except FileNotFoundError as exc:
        raise DiagramRefusedError(
            "Graphviz is not installed (Debian: apt-get install graphviz)"
        ) from exc
    except subprocess.TimeoutExpired as exc:
        raise DiagramRefusedError("the DOT took too long to parse") from exc
    problem = done.stderr.strip()
    counts = [line.split() for line in done.stdout.splitlines() if line.strip()]
    if problem or done.returncode != 0 or not counts:
        detail = problem.splitlines()[0] if problem else "no graph found"
        raise DiagramRefusedError(f"the DOT does not parse: {detail}")
    if len(counts) > 1:
        raise DiagramRefusedError(f"the DOT holds {len(counts)} graphs; a diagram is one graph")
    nodes, edges = int(counts[0][0]), int(counts[0][1])
    if nodes > MAX_DOT_NODES:
        raise DiagramRefusedError(
            f"the diagram has {nodes:,} nodes; the limit is {MAX_DOT_NODES} (a figure a "
            "student can read)"
        )
    if edges > MAX_DOT_EDGES:
        raise DiagramRefusedError(f"the diagram has {edges:,} edges; the limit is {MAX_DOT_EDGES}")
    return nodes, edges


def gvpr_program(style: HouseStyle) -> str:
    """A gvpr program that sets the house attributes on the graph, every node and edge,
    over whatever the DOT set; and drops attributes that reach outside the document."""
    attrs = style.dot_attributes()

    def sets(target: str, values: dict[str, str]) -> str:
        return " ".join(f'aset({target}, "{k}", "{v}");' for k, v in sorted(values.items()))

    unsafe = ("image", "shapefile", "imagepath", "fontpath", "URL", "href", "stylesheet")
    drop_n = " ".join(f'if (hasAttr($, "{a}")) aset($, "{a}", "");' for a in unsafe)
    return (
        f"BEG_G {{ {sets('$G', attrs['graph'])} }}\n"
        f"N {{ {sets('$', attrs['node'])} {drop_n} }}\n"
        f"E {{ {sets('$', attrs['edge'])} }}\n"
    )


_FONTS_CONF = """<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig><dir>/usr/share/fonts</dir><cachedir>/tmp/fontconfig</cachedir></fontconfig>
"""
_DRAW_SH = """set -e
export FONTCONFIG_FILE="$PWD/fonts.conf" HOME=/tmp
gvpr -c -f style.gvpr figure.dot > styled.dot
dot -Tsvg styled.dot -o figure.svg
dot -Tpng -Gdpi={dpi} styled.dot -o figure.png
"""


def _collected(result: Result, what: str) -> Drawn:
    if not result.ok:
        return Drawn(error=failure(result, what))
    png = result.files_out.get("figure.png", b"")
    svg_bytes = result.files_out.get("figure.svg", b"")
    if result.files_truncated:
        return Drawn(error=f"the image is larger than {MAX_IMAGE_BYTES:,} bytes")
    if not png.startswith(PNG_MAGIC):
        return Drawn(error=f"the {what} produced no PNG image")
    try:
        svg = sanitise(svg_bytes)
    except SvgError as exc:
        return Drawn(error=f"the {what} produced no usable SVG: {exc}")
    return Drawn(png=png, svg=svg)


_REASONS = {
    WALL_TIMEOUT: "ran past its time limit (an endless loop?)",
    CPU: "used up its CPU time (an endless loop?)",
    MEMORY: "ran out of memory",
    FILE_SIZE: "wrote a file larger than allowed",
    OUTPUT: "printed too much",
}


def failure(result: Result, what: str) -> str:
    """One line (and a short tail) saying why the drawing failed."""
    reason = result.killed_reason
    if reason in _REASONS:
        return f"the {what} {_REASONS[reason]}"
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    marked = [line.removeprefix("FIGURE-ERROR ") for line in lines if "FIGURE-ERROR" in line]
    if marked:
        return marked[-1][:1000]
    if any(m in result.stderr for m in ("MemoryError", "Cannot allocate memory")):
        return f"the {what} ran out of memory"
    tail = "; ".join(lines[-3:])[-1000:]
    detail = f" ({reason})" if reason else ""
    return f"the {what} failed{detail}: {tail or f'exit status {result.returncode}'}"


@functools.cache
def _driver(name: str) -> str:
    return resources.files("coauthor.figures").joinpath("_driver", name).read_text("utf-8")


@functools.cache
def _font_cache() -> tuple[str, bytes] | None:
    """matplotlib's font list from this machine, so the sandbox does not rebuild it."""
    try:
        import matplotlib
        from matplotlib import font_manager

        name = f"fontlist-v{font_manager.FontManager.__version__}.json"
        path = Path(matplotlib.get_cachedir()) / name
        if not path.is_file():
            font_manager.json_dump(font_manager.fontManager, str(path))
        data = path.read_bytes()
    except (OSError, AttributeError, ValueError):
        return None
    return (name, data) if re.fullmatch(r"fontlist-v[\d.]+\.json", name) else None
