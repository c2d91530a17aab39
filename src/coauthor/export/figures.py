"""Figures in exports: what every format shares about a step's pictures.

A figure is placed in the story or theory by an anchor ``![caption](figure:NAME)``.
Each format turns a step into a copy whose anchors point at where that format keeps the
image (a file beside ``statement.md``, a cell attachment, a Notion file upload) with
:func:`placed_step`; a figure that no anchor places follows the theory, and one with no
image (failed, not rendered yet, damaged data, or one the format cannot carry) becomes a
visible note instead of a broken link. The image bytes are decoded, and their type
checked by content, here only (:func:`picture`), and image files are named by
:func:`file_name`.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from dataclasses import dataclass

from coauthor.schemas import Step
from coauthor.schemas.figures import FIGURE_ANCHOR, Figure, FigureStatus, is_stale

ANCHOR = re.compile(
    r"!\[(?P<caption>[^\]\n]*)\]\("
    + re.escape(FIGURE_ANCHOR)
    + r"(?P<name>[a-z0-9][a-z0-9_-]{0,59})\)"
)
_ALONE = re.compile(r"^[ \t]*(?P<anchor>" + ANCHOR.pattern + r")[ \t]*$", re.MULTILINE)
_FENCE = re.compile(
    r"^[ \t]{0,3}(?P<fence>`{3,}|~{3,})[^\n]*\n.*?(?:^[ \t]{0,3}(?P=fence)[ \t]*$|\Z)",
    re.MULTILINE | re.DOTALL,
)
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>#|!])")
_PNG = b"\x89PNG\r\n\x1a\n"
_JPEG = b"\xff\xd8\xff"
ERROR_LIMIT = 300


@dataclass(frozen=True)
class Image:
    """One rendering of a figure: its bytes, checked to be what its media type says."""

    data: bytes
    media_type: str
    extension: str


@dataclass(frozen=True)
class Picture:
    """A figure ready for an export: its images (the raster one first) or why it has none."""

    figure: Figure
    images: tuple[Image, ...]
    problem: str

    @property
    def main(self) -> Image | None:
        """The image an export shows (PNG or JPEG where there is one, else the SVG)."""
        return self.images[0] if self.images else None

    @property
    def caption(self) -> str:
        return self.figure.caption.strip()

    @property
    def alt(self) -> str:
        return self.figure.alt.strip() or self.caption or self.figure.name


def picture(figure: Figure) -> Picture:
    """The figure's images, decoded from the schema's base64 and checked by content."""
    images: list[Image] = []
    problems: list[str] = []
    if figure.png:
        try:
            data = base64.b64decode(figure.png, validate=True)
        except (binascii.Error, ValueError):
            problems.append("its raster image is not valid base64")
        else:
            if data.startswith(_PNG):
                images.append(Image(data, "image/png", "png"))
            elif data.startswith(_JPEG):
                images.append(Image(data, "image/jpeg", "jpg"))
            else:
                problems.append("its raster image is neither PNG nor JPEG")
    if figure.svg.strip():
        if "<svg" in figure.svg:
            images.append(Image(figure.svg.encode("utf-8"), "image/svg+xml", "svg"))
        else:
            problems.append("its SVG has no svg element")
    if images:
        return Picture(figure, tuple(images), "")
    if problems:
        problem = "; ".join(problems)
    elif figure.status is FigureStatus.failed:
        problem = "it failed to render" + (f": {_first_line(figure.error)}" if figure.error else "")
    else:
        problem = "it is not rendered yet"
    return Picture(figure, (), problem)


def pictures(step: Step) -> list[Picture]:
    return [picture(figure) for figure in step.figures]


def file_name(number: int, name: str, image: Image) -> str:
    """The file an image of figure ``name`` of step ``number`` is saved as."""
    return f"step-{number:02d}-{name}.{image.extension}"


def state(figure: Figure, step: Step | None = None) -> str:
    """The figure's state in words, for the verdict: rendered, stale (its code or the
    step's solution changed since it was drawn; known only with ``step``), failed (why),
    not rendered.

    A figure whose last drawing failed but that keeps the images of an earlier one is
    shown with those images, and said to have failed.
    """
    found = picture(figure)
    if figure.status is FigureStatus.failed:
        said = "failed" + (f": {_first_line(figure.error)}" if figure.error else "")
        # a failed re-render keeps the last good images: the export shows those
        return said + ("; shown is its last good rendering" if found.images else "")
    if found.images:
        if step is not None and is_stale(figure, step.solution):
            return "stale: its code or the step's solution changed since it was drawn"
        return "rendered"
    if figure.status is FigureStatus.rendered:
        return f"rendered, but not usable: {found.problem}"
    return "not rendered yet"


Source = Callable[[Picture], str | None]
"""Where a format keeps a picture's main image (the link target), or None when the format
cannot carry it (the figure then gets a note)."""


def placed_step(step: Step, source: Source, *, caption_line: bool = True) -> Step:
    """A copy of ``step`` whose story and theory show its figures.

    An anchor alone on its line becomes the image (alt text, caption as title) followed by
    the caption in italics (unless ``caption_line`` is false: a format whose image has a
    caption of its own); an anchor inside a line becomes the image alone. An anchor
    naming no figure of the step, and a figure with no image, become a visible note.
    Figures no anchor places follow the theory, in their order.
    """
    found = {item.figure.name: item for item in pictures(step)}
    placed: set[str] = set()

    def block(match: re.Match[str]) -> str:
        # a paragraph of its own: a blank line before and after unless there is one already
        before, after = match.string[: match.start()], match.string[match.end() :]
        head = "" if not before.strip() or before.endswith("\n\n") else "\n"
        tail = "" if not after.strip() or after.startswith("\n\n") else "\n"
        shown = _markdown(match, found, placed, source, alone=True, caption_line=caption_line)
        return head + shown + tail

    def inline(match: re.Match[str]) -> str:
        return _markdown(match, found, placed, source, alone=False)

    def place(text: str) -> str:
        return ANCHOR.sub(inline, _ALONE.sub(block, text))

    texts = {}
    for field in ("story", "theory"):
        text: str = getattr(step, field)
        parts, start = [], 0
        for fence in _FENCE.finditer(text):  # fenced code stays as written
            parts += [place(text[start : fence.start()]), fence.group()]
            start = fence.end()
        texts[field] = "".join([*parts, place(text[start:])])
    rest = [
        _figure(item, source, alone=True, caption_line=caption_line)
        for name, item in found.items()
        if name not in placed
    ]
    if rest:
        texts["theory"] = "\n\n".join([texts["theory"].rstrip(), *rest])
    return step.model_copy(update=texts)


def _markdown(
    match: re.Match[str],
    found: dict[str, Picture],
    placed: set[str],
    source: Source,
    *,
    alone: bool,
    caption_line: bool = True,
) -> str:
    name = match.group("name")
    item = found.get(name)
    if item is None:
        return _note(f"Figure {name} is missing: the step has no figure of that name.", alone)
    placed.add(name)
    if not item.caption and match.group("caption").strip():
        figure = item.figure.model_copy(update={"caption": match.group("caption").strip()})
        item = Picture(figure, item.images, item.problem)
    return _figure(item, source, alone=alone, caption_line=caption_line)


def _figure(item: Picture, source: Source, *, alone: bool, caption_line: bool = True) -> str:
    target = source(item) if item.main else None
    label = _label(item)
    if target is None:
        reason = item.problem or "this format cannot carry its image"
        return _note(f"Figure {label} is not shown: {reason}.", alone)
    title = f' "{_escape_title(item.caption)}"' if item.caption else ""
    image = f"![{escape(item.alt)}]({target}{title})"
    if not alone or not caption_line or not item.caption:
        return image
    return f"{image}\n\n*{escape(item.caption)}*"


def _label(item: Picture) -> str:
    name = item.figure.name
    return f"“{escape(item.caption)}” ({name})" if item.caption else name


def _note(text: str, alone: bool) -> str:
    return f"> **Note:** {text}" if alone else f"*[{text}]*"


def escape(text: str) -> str:
    """``text`` with markdown's special characters escaped, on one line."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def _escape_title(text: str) -> str:
    return " ".join(text.split()).replace("\\", "\\\\").replace('"', '\\"')


def _first_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    # a traceback's last line says what went wrong; a one-line message is itself
    line = lines[-1] if lines else ""
    return escape(line[:ERROR_LIMIT] + ("…" if len(line) > ERROR_LIMIT else ""))
