"""SVG from outside (uploads, and whatever sandboxed figure code wrote) kept to a strict
allow-list: SVG elements and presentation attributes only; no scripts, event handlers,
foreignObject, external references (links, images, fonts or CSS from anywhere but this
document), and no DTD entities."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
XML_NS = "http://www.w3.org/XML/1998/namespace"
ET.register_namespace("", SVG_NS)
ET.register_namespace("xlink", XLINK_NS)

MAX_SVG_BYTES = 2_000_000

_ELEMENT_NAMES = """svg g defs symbol use title desc path rect circle ellipse line polyline
polygon text tspan textPath clipPath mask linearGradient radialGradient stop pattern marker
image style switch"""
ELEMENTS = frozenset(_ELEMENT_NAMES.split())
_ATTRIBUTE_NAMES = """id class style transform x y x1 y1 x2 y2 cx cy r rx ry fx fy width
height viewBox preserveAspectRatio version d points pathLength fill fill-opacity fill-rule
stroke stroke-width stroke-opacity stroke-linecap stroke-linejoin stroke-miterlimit
stroke-dasharray stroke-dashoffset opacity color clip-path clip-rule clipPathUnits mask
maskUnits maskContentUnits offset stop-color stop-opacity gradientUnits gradientTransform
spreadMethod patternUnits patternContentUnits patternTransform markerWidth markerHeight
markerUnits refX refY orient marker-start marker-mid marker-end font-family font-size
font-weight font-style font-variant text-anchor dominant-baseline alignment-baseline
baseline-shift letter-spacing word-spacing text-decoration writing-mode dx dy rotate
textLength lengthAdjust visibility display overflow href space type media startOffset
method spacing vector-effect shape-rendering text-rendering image-rendering
color-interpolation color-interpolation-filters"""
ATTRIBUTES = frozenset(_ATTRIBUTE_NAMES.split())
_DATA_IMAGE = re.compile(r"^data:image/(png|jpeg);base64,[A-Za-z0-9+/=\s]*$")
_URL = re.compile(r"url\s*\(\s*(['\"]?)([^)'\"]*)\1\s*\)", re.I)
_BAD_CSS = re.compile(r"@import|expression\s*\(|javascript:|behavior\s*:|-moz-binding|<", re.I)


class SvgError(ValueError):
    """Not an SVG document we can accept."""


def sanitise(data: str | bytes) -> str:
    """The SVG with everything outside the allow-list removed; raises SvgError when it is
    not SVG at all (or declares entities)."""
    raw = data.encode() if isinstance(data, str) else data
    if len(raw) > MAX_SVG_BYTES:
        raise SvgError(f"the SVG is {len(raw):,} bytes; the limit is {MAX_SVG_BYTES:,}")
    try:
        root = fromstring(raw, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise SvgError(f"the SVG declares entities or external references: {exc}") from exc
    except ET.ParseError as exc:
        raise SvgError(f"not well-formed XML: {exc}") from exc
    if root.tag != f"{{{SVG_NS}}}svg":
        raise SvgError(f"the root element is {_local(root.tag)!r}, not an SVG <svg>")
    _clean(root)
    return ET.tostring(root, encoding="unicode")


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _clean(element: ET.Element) -> None:
    for child in list(element):
        tag = child.tag if isinstance(child.tag, str) else ""
        keep = tag.startswith(f"{{{SVG_NS}}}") and _local(tag) in ELEMENTS
        if keep and _local(tag) == "style" and not _safe_css(child.text or ""):
            keep = False
        if not keep:
            element.remove(child)
            continue
        _clean(child)
    if isinstance(element.tag, str):
        _clean_attributes(element)


def _clean_attributes(element: ET.Element) -> None:
    tag = _local(element.tag)
    for name in list(element.attrib):
        value = element.attrib[name]
        namespace, _, local = name[1:].partition("}") if name.startswith("{") else ("", "", name)
        allowed = (namespace == "" and local in ATTRIBUTES) or (
            (namespace, local) in ((XLINK_NS, "href"), (XML_NS, "space"))
        )
        if local == "href" and allowed:
            allowed = value.startswith("#") or (tag == "image" and bool(_DATA_IMAGE.match(value)))
        if allowed and local in ("space", "type", "media") and tag not in ("style", "text"):
            allowed = local == "space"
        if allowed and not _safe_css(value):
            allowed = False
        if not allowed:
            del element.attrib[name]


def _safe_css(text: str) -> bool:
    """No imports, scripts or references outside the document (``url(#id)`` only)."""
    if _BAD_CSS.search(text):
        return False
    return all(target.strip().startswith("#") for _, target in _URL.findall(text))
