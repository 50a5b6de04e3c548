"""HTML page -> Post: metadata from the head, on-screen facts and the body from the platform's profile."""
from __future__ import annotations

import logging
import re
from datetime import datetime
from urllib.parse import urljoin

import trafilatura
from bs4 import BeautifulSoup, Tag

from . import profiles
from .dates import to_iso
from .errors import ExtractionError, NotAPostError
from .metadata import PageMeta, read_metadata, strip_site_suffix, unique_names
from .models import Post, Section
from .profiles.base import Visible, text
from .sections import split_sections
from .text import cut_at_word

logger = logging.getLogger(__name__)

EXCERPT_CHARS = 200
BYLINE = re.compile(r"^(?:by|written by|posted by)\s+(?P<name>[^\n,|·]{2,60}?)\s*$", re.I)
MAX_DEPTH = 256  # real pages nest ~30 elements deep; the section walk recurses at every level


def extract_post(html: str, url: str | None = None, *, now: datetime | None = None) -> Post:
    """Extract one blog post; raise NotAPostError for pages without article content."""
    if not isinstance(html, str) or not html.strip():
        raise ExtractionError("empty page")
    try:
        soup = BeautifulSoup(html, "lxml")
    except Exception as exc:  # lxml rejects some byte soup outright
        raise ExtractionError(f"unparsable HTML: {exc}") from exc
    if soup.find("html") is None and soup.find("body") is None:
        raise ExtractionError("not an HTML page")
    if _too_deep(soup, MAX_DEPTH):
        raise ExtractionError("page nested too deeply")
    try:
        return _extract(soup, html, url, now)
    except RecursionError as exc:  # a safety net: the depth check above should keep every walk shallow enough
        raise ExtractionError("page nested too deeply") from exc


def _too_deep(soup: BeautifulSoup, limit: int) -> bool:
    """True when some element is nested more than `limit` elements deep (checked without recursion)."""
    depths = {id(soup): 0}
    for node in soup.descendants:
        if isinstance(node, Tag):
            depth = depths[id(node.parent)] + 1
            if depth > limit:
                return True
            depths[id(node)] = depth
    return False


def _extract(soup: BeautifulSoup, html: str, url: str | None, now: datetime | None) -> Post:
    meta = read_metadata(soup, url)
    profile = profiles.choose(soup)
    visible = profile.visible(soup, now=now)
    body = profile.body(soup, html, url, meta)
    sections, images = split_sections(body, url or meta.canonical_url) if body is not None else ([], [])
    title = _title(meta, visible, soup)
    sections = _drop_title_heading(sections, title)
    sections, byline = _drop_byline(sections)
    if not any(s.text or s.heading or s.html for s in sections) and not images:
        raise NotAPostError("not a blog post: no article text found")
    author = meta.author or visible.author or byline
    published = to_iso(meta.published, now=now) or visible.published
    if not author or not (published or meta.updated or visible.updated):
        author, published = _trafilatura_fallback(html, url, author, published)
    return Post(
        url=url,
        title=title,
        author=author,
        published=published,
        updated=to_iso(meta.updated, now=now) or visible.updated,
        sections=sections,
        images=images,
        tags=unique_names(meta.tags + visible.tags),
        categories=unique_names(meta.categories + visible.categories),
        excerpt=meta.excerpt or _excerpt(sections),
        canonical_url=meta.canonical_url,
        language=meta.language,
        author_url=_absolute(meta.author_url or visible.author_url, url or meta.canonical_url),
    )


def _trafilatura_fallback(html: str, url: str | None, author: str | None,
                          published: str | None) -> tuple[str | None, str | None]:
    """trafilatura's own author and date finding (bylines, URL dates, htmldate) for what the page did not say."""
    try:
        found = trafilatura.extract_metadata(html, default_url=url)
    except Exception:  # noqa: BLE001 (a fallback must never cost us the post)
        logger.debug("trafilatura metadata failed", exc_info=True)
        return author, published
    if found is None:
        return author, published
    if not author and found.author:  # trafilatura joins several authors with "; "
        author = ", ".join(unique_names([a.strip() for a in found.author.split(";") if a.strip()])) or None
    if not published and found.date:
        published = to_iso(found.date)
    return author, published


def _absolute(link: str | None, base: str | None) -> str | None:
    if not link:
        return None
    absolute = urljoin(base or "", link.strip())
    return absolute if absolute.startswith(("http://", "https://")) else None


def _title(meta: PageMeta, visible: Visible, soup: BeautifulSoup) -> str | None:
    title = strip_site_suffix(meta.title, meta.site_name) or visible.title
    if not title and soup.title:
        title = strip_site_suffix(text(soup.title), meta.site_name)
    return title or None


def _drop_title_heading(sections: list[Section], title: str | None) -> list[Section]:
    """Generic pages often repeat the title as the body's first heading: fold it into the intro."""
    if title and sections and sections[0].heading and sections[0].heading.strip() == title.strip():
        first = sections[0]
        sections = [Section(None, 1, first.text, first.html)] + sections[1:]
        if not first.text and not first.html:
            sections = sections[1:]
    return sections


def _drop_byline(sections: list[Section]) -> tuple[list[Section], str | None]:
    """A 'By Jane Doe' paragraph opening the body is the byline, not text: take the name, drop the line."""
    if not sections or sections[0].heading:
        return sections, None
    first = sections[0]
    head, _, rest = first.text.partition("\n\n")
    match = BYLINE.match(head)
    if not match:
        return sections, None
    html = re.sub(r"^\s*<p>.*?</p>\s*", "", first.html, count=1, flags=re.S)
    return [Section(None, 1, rest, html)] + sections[1:], match["name"]


def _excerpt(sections: list[Section]) -> str | None:
    first = next((p for s in sections for p in s.text.split("\n\n") if p.strip()), "")
    return cut_at_word(first, EXCERPT_CHARS) or None

