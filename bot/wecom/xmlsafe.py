"""Parse the small XML documents WeCom posts, as untrusted input.

defusedxml is used where installed; otherwise xml.etree with every DTD refused before parsing
(no DOCTYPE means no entity declarations, so no entity expansion and no external entities).
WeCom's callbacks never carry a DTD.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree

try:  # pragma: no cover - depends on the environment
    from defusedxml.ElementTree import fromstring as _fromstring
except ImportError:  # pragma: no cover
    _fromstring = ElementTree.fromstring

MAX_BYTES = 1 << 20  # a callback is a few KB; refuse anything near a megabyte
_DTD = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


class XMLRefused(ValueError):
    """The XML is too large, declares a DTD or entities, or is not well formed."""


def parse_xml(data: str | bytes) -> ElementTree.Element:
    raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    if len(raw) > MAX_BYTES:
        raise XMLRefused("the XML is too large")
    if _DTD.search(raw):
        raise XMLRefused("the XML declares a DTD or entities")
    try:
        return _fromstring(raw)
    except Exception as exc:  # ParseError, defusedxml's refusals
        raise XMLRefused(f"the XML is not well formed: {type(exc).__name__}") from None


def element_text(root: ElementTree.Element, tag: str) -> str:
    """The text of root's direct child `tag`, or "" when it is missing."""
    child = root.find(tag)
    return (child.text or "") if child is not None else ""


def cdata(text: str) -> str:
    """Wrap text in CDATA, splitting any "]]>" inside so the section cannot be closed early."""
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"
