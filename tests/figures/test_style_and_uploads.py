"""The house style as a store document, and uploads checked by content and sanitised."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import pytest
from PIL import Image

from coauthor.figures import (
    HouseStyle,
    StyleError,
    UploadError,
    default_style,
    house_style,
    installed_fonts,
    parse_style,
    read_upload,
    save_style,
    style_text,
)
from coauthor.store import Store

MALICIOUS = b"""<?xml version="1.0"?>
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"
     width="40" height="40" onload="alert('svg')">
  <script>alert(document.cookie)</script>
  <style>@import url(https://evil.example/x.css); rect { fill: #123456 }</style>
  <rect width="40" height="40" onclick="steal()" style="fill: url(https://evil.example/a)"/>
  <circle cx="20" cy="20" r="5" fill="url(#grad)"/>
  <a xlink:href="javascript:alert(1)"><text x="1" y="10">click</text></a>
  <image xlink:href="https://evil.example/track.png" width="1" height="1"/>
  <image href="file:///etc/passwd" width="1" height="1"/>
  <use href="https://evil.example/sprite.svg#icon"/>
  <foreignObject width="10" height="10"><iframe xmlns="http://www.w3.org/1999/xhtml"
      src="https://evil.example"/></foreignObject>
  <path d="M0 0 L10 10" stroke="#000000"/>
</svg>"""


def test_a_malicious_svg_is_sanitised() -> None:
    upload = read_upload(MALICIOUS)
    assert upload.media_type == "image/svg+xml" and not upload.png
    svg = upload.svg.lower()
    for bad in (
        "script",
        "onload",
        "onclick",
        "alert",
        "evil.example",
        "javascript",
        "foreignobject",
        "iframe",
        "file:",
        "@import",
        "<a ",
    ):
        assert bad not in svg, bad
    assert 'd="m0 0 l10 10"' in svg and 'fill="url(#grad)"' in svg


def test_svg_with_entities_is_refused() -> None:
    bomb = b"""<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa">
    <!ENTITY b "&a;&a;&a;&a;&a;&a;">]><svg xmlns="http://www.w3.org/2000/svg">&b;</svg>"""
    with pytest.raises(UploadError, match="entities"):
        read_upload(bomb)
    with pytest.raises(UploadError, match="not an SVG"):
        read_upload(b'<?xml version="1.0"?><html><svg/></html>')


def png_bytes(fmt: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 3), (10, 20, 30)).save(buffer, format=fmt)
    return buffer.getvalue()


def test_raster_uploads_are_judged_by_their_content() -> None:
    png = read_upload(png_bytes())
    assert png.media_type == "image/png" and base64.b64decode(png.png) == png_bytes()
    assert read_upload(png_bytes("JPEG")).media_type == "image/jpeg"
    for data in (png_bytes("GIF"), b"<html><script>alert(1)</script></html>", b"MZ\x90\x00"):
        with pytest.raises(UploadError, match="not a PNG, JPEG or SVG"):
            read_upload(data)
    with pytest.raises(UploadError, match="damaged"):
        read_upload(png_bytes()[:40])
    with pytest.raises(UploadError, match="limit"):
        read_upload(b"\x89PNG\r\n\x1a\n" + b"0" * 6_000_000)


def test_the_style_is_a_versioned_document(tmp_path: Path) -> None:
    with Store(f"sqlite:///{tmp_path / 'db.sqlite'}") as store:
        assert house_style(store) == default_style()
        changed = default_style().model_copy(update={"palette": ["#111111", "#222222"]})
        assert save_style(store, changed, note="darker") == 1
        assert house_style(store) == changed
    assert parse_style(style_text(changed)) == changed
    assert changed.digest() != default_style().digest()


def test_only_installed_fonts_are_accepted() -> None:
    assert default_style().font in installed_fonts()
    text = style_text(HouseStyle()).replace('"DejaVu Sans"', '"Comic Sans MS"', 1)
    with pytest.raises(StyleError, match="not installed"):
        parse_style(text)
    with pytest.raises(StyleError, match="not valid"):
        parse_style('{"palette": ["red"]}')
