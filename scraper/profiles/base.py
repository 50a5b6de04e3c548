"""What every platform profile shares: the on-screen facts record and small helpers over the lxml tree."""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from lxml.cssselect import CSSSelector
from lxml.html import HtmlElement

from ..page import Page, node_text
from ..urls import same_site


@dataclass
class Visible:
    """What the post shows on screen, used where the head metadata is missing."""

    title: str | None = None
    author: str | None = None
    author_url: str | None = None
    published: str | None = None
    updated: str | None = None
    tags: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)


_local = threading.local()


def _compiled(selector: str) -> CSSSelector:
    """The selector compiled once per thread: lxml's compiled XPath objects must not be shared between threads
    (a crawl extracts pages in several)."""
    cache = getattr(_local, "selectors", None)
    if cache is None:
        cache = _local.selectors = {}
    if selector not in cache:
        cache[selector] = CSSSelector(selector)
    return cache[selector]


def xpath(selector: str) -> str:
    """A CSS selector as the XPath expression lxml runs for it."""
    return _compiled(selector).path


def select(node: HtmlElement, selector: str) -> list[HtmlElement]:
    """Elements matching a CSS selector (compiled to XPath once per selector)."""
    return _compiled(selector)(node)


def select_one(node: HtmlElement | None, selector: str) -> HtmlElement | None:
    if node is None:
        return None
    found = select(node, selector)
    return found[0] if found else None


def first(*nodes: HtmlElement | None) -> HtmlElement | None:
    """The first node that exists (lxml elements without children are falsy, so `a or b` is wrong for them)."""
    return next((node for node in nodes if node is not None), None)


def text_of(node: HtmlElement | None, selector: str | None = None) -> str:
    """The folded text of the node, or of the first element under it matching `selector` ('' if none)."""
    return node_text(select_one(node, selector) if selector else node)


def link_texts(node: HtmlElement | None, marker: str, *, site: str | None = None) -> list[str]:
    """Texts of the links whose href contains `marker` ('/tags/', '?category=' …), in order, once each.

    With `site` (the page's URL), only links to its host (or relative ones) count: a link to another site's tag page is a link.
    A name is never a bare number (a pager) and loses a leading '#'.
    """
    names: list[str] = []
    if node is None:
        return names
    for link in node.iter("a"):
        href = link.get("href") or ""
        if marker not in href or (site and not _same_host(href, site)):
            continue
        name = node_text(link).lstrip("#").strip()
        if name and not name.isdigit() and name not in names:
            names.append(name)
    return names


def _same_host(href: str, site: str) -> bool:
    return not urlsplit(href).netloc or same_site(href, site)  # a relative link stays on the site


def generator(page: Page) -> str:
    tag = select_one(page.tree, 'meta[name="generator"]')
    return (tag.get("content") or "").lower() if tag is not None else ""


def without(node: HtmlElement, selectors: tuple[str, ...]) -> HtmlElement:
    """The node with every element matching one of the selectors removed (their tails kept)."""
    for selector in selectors:
        for found in select(node, selector):
            if found is not node:
                found.drop_tree()
    return node
