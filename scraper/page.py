"""A page parsed once into an lxml tree, which metadata and every profile read.

lxml parses a page some fifteen times faster than BeautifulSoup; only the post body, a small part of a page,
is walked with BeautifulSoup afterwards (see `body_soup`).
"""
from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from typing import Any

import lxml.etree
import lxml.html
from bs4 import BeautifulSoup, Tag

from .errors import ExtractionError

MAX_DEPTH = 256  # real pages nest ~30 elements deep; the section walk recurses at every level
MAX_ATTRIBUTE_CHARS = 100_000  # real attribute values are far shorter
_HUGE_ATTRIBUTE = re.compile(r'=\s*(?:"[^"]{%d,}"|\'[^\']{%d,}\')' % (MAX_ATTRIBUTE_CHARS, MAX_ATTRIBUTE_CHARS))
_local = threading.local()  # an lxml parser must not be used by two threads at once: one per thread


def _parser() -> lxml.html.HTMLParser:
    if not hasattr(_local, "parser"):
        _local.parser = lxml.html.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True)
    return _local.parser


@dataclass
class Page:
    html: str
    url: str | None
    tree: lxml.html.HtmlElement = field(repr=False)
    cache: dict[str, Any] = field(default_factory=dict, repr=False)  # what profiles derive once per page


def parse_page(html: str, url: str | None = None) -> Page:
    """Parse a page once; ExtractionError for empty input and for what is not HTML at all."""
    if not isinstance(html, str) or not html.strip():
        raise ExtractionError("empty page")
    if len(html) > MAX_ATTRIBUTE_CHARS:  # libxml2 gives up on a 10 MB attribute, and the post after it with it
        html = _HUGE_ATTRIBUTE.sub('=""', html)
    try:
        tree = lxml.html.document_fromstring(html.encode("utf-8", errors="replace"), parser=_parser())
    except (lxml.etree.ParserError, ValueError) as exc:
        raise ExtractionError(f"unparsable HTML: {exc}") from exc
    if tree is None or tree.tag != "html":
        raise ExtractionError("not an HTML page")
    return Page(html=html, url=url, tree=tree)


def body_soup(body: lxml.html.HtmlElement) -> Tag:
    """A post body as BeautifulSoup, for the section walk; ExtractionError if it nests too deeply.

    Attribute values longer than any real one are dropped first: BeautifulSoup and nh3 are slow on megabytes.
    """
    for node in body.iter():
        for key, value in list(node.attrib.items()):
            if len(value) > MAX_ATTRIBUTE_CHARS:
                del node.attrib[key]
    soup = BeautifulSoup(lxml.html.tostring(body, encoding="unicode"), "lxml")
    if too_deep(soup, MAX_DEPTH):
        raise ExtractionError("page nested too deeply")
    return soup.body or soup


def too_deep(soup: BeautifulSoup, limit: int) -> bool:
    """True when some element is nested more than `limit` elements deep (checked without recursion)."""
    depths = {id(soup): 0}
    for node in soup.descendants:
        if isinstance(node, Tag):
            depth = depths[id(node.parent)] + 1
            if depth > limit:
                return True
            depths[id(node)] = depth
    return False


def node_text(node: lxml.html.HtmlElement | None) -> str:
    """An element's text with whitespace folded (script and style contents left out)."""
    if node is None:
        return ""
    parts = node.xpath(".//text()[not(ancestor::script) and not(ancestor::style)]")
    return " ".join(" ".join(parts).split())
