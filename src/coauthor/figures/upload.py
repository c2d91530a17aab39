"""Images an author uploads: PNG, JPEG or SVG, recognised by their content (never by the
file name), size-capped, and SVGs sanitised."""

from __future__ import annotations

import base64
import io
import warnings
from dataclasses import dataclass

from coauthor.figures.svg import SvgError, sanitise

MAX_UPLOAD_BYTES = 5_000_000
MAX_PIXELS = 25_000_000
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
JPEG_MAGIC = b"\xff\xd8\xff"


class UploadError(ValueError):
    """The file is not an image we accept."""


@dataclass(frozen=True)
class Upload:
    media_type: str
    png: str
    """base64 of the PNG or JPEG; empty for an SVG."""
    svg: str
    """The sanitised SVG text; empty for a raster image."""


def sniff(data: bytes) -> str:
    """The media type the content says, or raises UploadError."""
    if data.startswith(PNG_MAGIC):
        return "image/png"
    if data.startswith(JPEG_MAGIC):
        return "image/jpeg"
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith((b"<?xml", b"<svg", b"<!--", b"<!doctype svg")) and b"<svg" in data[:4096]:
        return "image/svg+xml"
    raise UploadError("not a PNG, JPEG or SVG image (judged by its content, not its name)")


def read_upload(data: bytes) -> Upload:
    """Check and clean one uploaded image."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise UploadError(f"the file is {len(data):,} bytes; the limit is {MAX_UPLOAD_BYTES:,}")
    kind = sniff(data)
    if kind == "image/svg+xml":
        try:
            return Upload(kind, "", sanitise(data))
        except SvgError as exc:
            raise UploadError(str(exc)) from exc
    _check_raster(data, "PNG" if kind == "image/png" else "JPEG")
    return Upload(kind, base64.b64encode(data).decode("ascii"), "")


def _check_raster(data: bytes, expected: str) -> None:
    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                if image.format != expected:
                    raise UploadError(f"the content is {image.format}, not {expected}")
                width, height = image.size
                if width * height > MAX_PIXELS:
                    raise UploadError(f"the image is {width}x{height}; at most 25 megapixels")
                image.verify()
    except UploadError:
        raise
    except Exception as exc:
        raise UploadError(f"the {expected} file is damaged: {exc}") from exc
