"""HTML page -> Post: metadata from the head, on-screen facts and the body from the platform's profile."""
from __future__ import annotations

import copy
import logging
from datetime import datetime

import trafilatura

from . import profiles
from .byline import find_byline
from .dates import to_iso
from .errors import ExtractionError, NotAPostError
from .metadata import PageMeta, absolute_url, first_text, read_metadata, strip_site_suffix, unique_names
from .models import Post, Section
from .page import Page, body_soup, parse_page
from .profiles import generic, wix
from .profiles.base import Visible, text_of
from .sections import split_sections
from .text import cut_at_word

logger = logging.getLogger(__name__)

EXCERPT_CHARS = 200


def extract_post(html: str, url: str | None = None, *, now: datetime | None = None) -> Post:
    """Extract one blog post; raise NotAPostError for pages without article content."""
    page = parse_page(html, url)
    try:
        return _extract(page, now)
    except RecursionError as exc:  # a safety net: the depth check should keep every walk shallow enough
        raise ExtractionError("page nested too deeply") from exc


def _extract(page: Page, now: datetime | None) -> Post:
    meta = read_metadata(page.tree, page.url)
    profile = profiles.choose(page)
    visible = profile.visible(page, now=now)
    body = profile.body(page, meta)
    base = page.url or meta.canonical_url
    sections, images = split_sections(body_soup(body), base) if body is not None else ([], [])
    title = _title(meta, visible, page, profile)
    sections = _drop_title_heading(sections, title)
    # A Wix post article with its title is a post even when its body is media the served HTML cannot show.
    if not any(s.text or s.heading or s.html for s in sections) and not images and not (profile is wix and title):
        raise NotAPostError("not a blog post: no article text found")
    declared = first_text(visible.author, meta.author) if profile is wix else first_text(meta.author, visible.author)
    published = to_iso(meta.published, now=now) or visible.published
    if profile is not wix:
        published = _same_day_or(published, _trafilatura_date(page))
    author, account = _author(declared, find_byline(sections))
    if not author or not (published or meta.updated or visible.updated):
        author, published = _trafilatura_fallback(page, author, published)
    return Post(
        url=page.url,
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
        author_url=absolute_url(meta.author_url or visible.author_url, base),
        author_account=account,
        translations=meta.translations,
    )


def _author(declared: str | None, byline: str | None) -> tuple[str | None, str | None]:
    """The writer a body's opening byline names is the author; the account that posted it is kept beside it."""
    if not byline:
        return declared, None
    if declared and declared.casefold() != byline.casefold():
        return byline, declared
    return byline, None


def _trafilatura_date(page: Page) -> str | None:
    """htmldate's reading of the page (through trafilatura), which generic pages are already run through."""
    document = generic.main_document(page)
    return to_iso(document.date) if document is not None and document.date else None


def _same_day_or(ours: str | None, theirs: str | None) -> str | None:
    """Our date where it falls on the day trafilatura found (it keeps the time), else trafilatura's.

    On real article pages trafilatura's date finding was right more often than the JSON-LD and meta dates,
    which are often the moment of indexing in UTC rather than the day the page shows.
    """
    if ours and theirs and ours[:10] != theirs[:10]:
        return theirs
    return ours or theirs


def _trafilatura_fallback(page: Page, author: str | None,
                          published: str | None) -> tuple[str | None, str | None]:
    """trafilatura's own author and date finding (bylines, URL dates, htmldate) for what the page did not say."""
    found = generic.main_document(page) if "trafilatura" in page.cache else None
    if found is None:
        try:
            found = trafilatura.extract_metadata(copy.deepcopy(page.tree), default_url=page.url)
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


def _title(meta: PageMeta, visible: Visible, page: Page, profile) -> str | None:
    """The title the reader sees on a platform page; else the head's, without the site name; never a placeholder."""
    head = strip_site_suffix(meta.title, meta.site_name)
    candidates = [visible.title, head] if profile is wix else [head, visible.title]
    candidates.append(strip_site_suffix(text_of(page.tree, "head > title"), meta.site_name))
    site = (meta.site_name or "").casefold()
    for title in candidates:
        if title and title.strip().casefold() != site and not wix.is_placeholder_title(title):
            return title.strip()
    return None


def _drop_title_heading(sections: list[Section], title: str | None) -> list[Section]:
    """Generic pages often repeat the title as the body's first heading: fold it into the intro."""
    if title and sections and sections[0].heading and sections[0].heading.strip() == title.strip():
        first = sections[0]
        sections = [Section(None, 1, first.text, first.html)] + sections[1:]
        if not first.text and not first.html:
            sections = sections[1:]
    return sections


def _excerpt(sections: list[Section]) -> str | None:
    first = next((p for s in sections for p in s.text.split("\n\n") if p.strip()), "")
    return cut_at_word(first, EXCERPT_CHARS) or None
