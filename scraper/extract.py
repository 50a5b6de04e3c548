"""HTML page -> Post. Wix blog markup first (data-hook selectors), any other page through a generic path."""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import datetime

import trafilatura
from bs4 import BeautifulSoup, Tag

from .dates import to_iso
from .errors import ExtractionError, NotAPostError
from .metadata import PageMeta, read_metadata, strip_site_suffix, unique_names
from .models import Post, Section
from .sections import split_sections

logger = logging.getLogger(__name__)

# Everything inside a Wix post article that is not the post itself.
WIX_CHROME = ", ".join(f'[data-hook="{hook}"]' for hook in (
    "post-footer", "recent-posts", "post-stats", "like-button", "time-to-read", "user-name", "badge",
    "post-title", "tag-cloud-root", "post-main-actions", "more-button", "post-header", "avatar-image",
    "time-ago", "post-categories-list", "related-posts", "comments", "post-metadata",
)) + ', [data-hook^="share-button"], [class*="share-button"], [aria-label="top of page"], ' \
    '[aria-label="bottom of page"], [aria-label="Post categories"]'
GENERIC_BODY = ('[itemprop="articleBody"]', ".entry-content", ".post-content", ".article-content",
                ".blog-item-content", ".post-body", ".article-body")
GENERIC_CHROME = ("header", "footer", "aside", "nav", "form", ".sharedaddy", ".share", ".social-share",
                  ".related-posts", ".author-box", ".comments", "#comments", ".post-meta", ".entry-meta")
MIN_GENERIC_TEXT = 300
UPDATED_LABEL = re.compile(r"^\s*(Updated|Aktualisiert|Actualizado|Mis à jour|Aggiornato|Atualizado)\s*:?\s*",
                           re.I)
AVATAR_LABEL = re.compile(r"^(Writer|Author)(&#x27;|'|’)?s? ?(picture)?:?\s*", re.I)
EXCERPT_CHARS = 200
MAX_DEPTH = 256  # real pages nest ~30 elements deep; the section walk recurses at every level


@dataclass
class _Visible:
    """What the post shows on screen, used when the head metadata is missing."""

    title: str | None = None
    author: str | None = None
    published: str | None = None
    updated: str | None = None
    tags: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)


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
    article = soup.select_one('article[data-hook="post"]')
    if article is not None:
        visible = wix_visible(article, now=now)
        body = wix_body(article)
    elif is_wix(soup):
        raise NotAPostError("not a blog post: the page has no post article")
    else:
        visible = generic_visible(soup, now=now)
        body = generic_body(soup, html, url, meta)
    sections, images = split_sections(body, url or meta.canonical_url) if body is not None else ([], [])
    title = _title(meta, visible, soup)
    sections = _drop_title_heading(sections, title)
    if not any(s.text or s.heading for s in sections) and not images:
        raise NotAPostError("not a blog post: no article text found")
    return Post(
        url=url,
        title=title,
        author=meta.author or visible.author,
        published=to_iso(meta.published, now=now) or visible.published,
        updated=to_iso(meta.updated, now=now) or visible.updated,
        sections=sections,
        images=images,
        tags=unique_names(meta.tags + visible.tags),
        categories=unique_names(meta.categories + visible.categories),
        excerpt=meta.excerpt or _excerpt(sections),
        canonical_url=meta.canonical_url,
        language=meta.language,
    )


def is_wix(soup: BeautifulSoup) -> bool:
    generator = soup.find("meta", attrs={"name": "generator"})
    content = generator.get("content", "") if isinstance(generator, Tag) else ""
    return "wix" in str(content).lower()


def wix_visible(article: Tag, *, now: datetime | None = None) -> _Visible:
    visible = _Visible()
    title = article.select_one('[data-hook="post-title"]')
    visible.title = _text(title) or None
    visible.author = _text(article.select_one('[data-hook="user-name"]')) or _avatar_name(article)
    updated_line = _updated_line(article)
    if updated_line is not None:
        stamp = updated_line.select_one('[data-hook="time-ago"]')
        visible.updated = _time_ago(stamp, now) if stamp else to_iso(UPDATED_LABEL.sub("", _text(updated_line)),
                                                                        now=now)
    for stamp in article.select('[data-hook="time-ago"]'):
        if updated_line is None or stamp not in updated_line.descendants:
            visible.published = _time_ago(stamp, now)
            break
    visible.tags = _link_texts(article, "/tags/") or _link_texts(article, "/hashtags/")
    visible.categories = _link_texts(article, "/categories/")
    return visible


def wix_body(article: Tag) -> Tag:
    """The post body (data-hook="post-description"), with any chrome left inside it removed."""
    body = article.select_one('[data-hook="post-description"]') or article
    updated_line = _updated_line(body)
    if updated_line is not None:
        updated_line.decompose()
    for node in body.select(WIX_CHROME):
        node.decompose()
    for node in body.find_all(["h1"]):
        if node.get("data-hook") == "post-title":
            node.decompose()
    return body


def generic_visible(soup: BeautifulSoup, *, now: datetime | None = None) -> _Visible:
    visible = _Visible()
    h1 = soup.find("h1")
    visible.title = _text(h1) or None
    stamp = soup.find("time", attrs={"datetime": True})
    if isinstance(stamp, Tag):
        visible.published = to_iso(stamp["datetime"], now=now)
    author = soup.select_one('[rel="author"], [itemprop="author"] [itemprop="name"], [itemprop="author"], .author-name,'
                             ' .byline .author, .author')
    visible.author = _text(author) or None
    article = soup.find("article")  # tag clouds in sidebars are not this post's tags
    if isinstance(article, Tag):
        visible.tags = _link_texts(article, "/tag/") or _link_texts(article, "/tags/")
        visible.categories = _link_texts(article, "/category/") or _link_texts(article, "/categories/")
    return visible


def generic_body(soup: BeautifulSoup, html: str, url: str | None, meta: PageMeta) -> Tag | None:
    """A known content container, else the page's <article>, else trafilatura's main-content guess."""
    for selector in GENERIC_BODY:
        found = soup.select_one(selector)
        if found is not None and len(found.get_text(" ", strip=True)) > 50:
            return _without(found, GENERIC_CHROME)
    articles = [a for a in soup.find_all("article") if len(a.get_text(" ", strip=True)) > 50]
    if articles:
        return _without(max(articles, key=lambda a: len(a.get_text(" ", strip=True))), GENERIC_CHROME)
    extracted = trafilatura.extract(html, url=url, output_format="html", include_images=True, include_links=True,
                                    include_formatting=True, include_tables=True, include_comments=False,
                                    favor_recall=True)
    if not extracted:
        return None
    body = BeautifulSoup(extracted, "lxml").body
    looks_like_post = meta.article is not None or meta.og_type == "article"
    if body is None or (not looks_like_post and len(body.get_text(" ", strip=True)) < MIN_GENERIC_TEXT):
        return None
    return body


def _without(node: Tag, selectors: tuple[str, ...]) -> Tag:
    for selector in selectors:
        for found in node.select(selector):
            found.decompose()
    return node


def _title(meta: PageMeta, visible: _Visible, soup: BeautifulSoup) -> str | None:
    title = strip_site_suffix(meta.title, meta.site_name) or visible.title
    if not title and soup.title:
        title = strip_site_suffix(_text(soup.title), meta.site_name)
    return title or None


def _drop_title_heading(sections: list[Section], title: str | None) -> list[Section]:
    """Generic pages often repeat the title as the body's first heading: fold it into the intro."""
    if title and sections and sections[0].heading and sections[0].heading.strip() == title.strip():
        first = sections[0]
        sections = [Section(None, 1, first.text, first.html)] + sections[1:]
        if not first.text and not first.html:
            sections = sections[1:]
    return sections


def _updated_line(node: Tag) -> Tag | None:
    for candidate in node.find_all(["p", "div", "span"]):
        if UPDATED_LABEL.match(candidate.get_text(" ", strip=True) or "") and len(candidate.get_text()) < 80:
            return candidate
    return None


def _time_ago(stamp: Tag, now: datetime | None) -> str | None:
    return to_iso(stamp.get("title"), now=now) or to_iso(stamp.get("datetime"), now=now) or to_iso(_text(stamp),
                                                                                                    now=now)


def _avatar_name(article: Tag) -> str | None:
    for node in article.find_all(attrs={"aria-label": True}) + article.find_all("img", alt=True):
        for key in ("aria-label", "alt"):
            label = node.get(key) or ""
            if re.match(r"^(Writer|Author):\s*\S", label):
                return AVATAR_LABEL.sub("", label).strip() or None
    return None


def _link_texts(node: Tag, marker: str) -> list[str]:
    names: list[str] = []
    for link in node.find_all("a", href=True):
        if marker in link["href"]:
            text = _text(link).lstrip("#").strip()
            if text and text not in names:
                names.append(text)
    return names


def _excerpt(sections: list[Section]) -> str | None:
    text = next((p for s in sections for p in s.text.split("\n\n") if p.strip()), "")
    if len(text) <= EXCERPT_CHARS:
        return text or None
    return text[:EXCERPT_CHARS].rsplit(" ", 1)[0] + "…"


def _text(node: Tag | None) -> str:
    return " ".join(node.get_text(" ", strip=True).split()) if isinstance(node, Tag) else ""
