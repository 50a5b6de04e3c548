"""Wix blog posts: article[data-hook="post"], data-hook selectors (class names are hashed per build)."""
from __future__ import annotations

import re
from datetime import datetime

from bs4 import BeautifulSoup, Tag

from ..dates import to_iso
from ..errors import NotAPostError
from .base import Visible, generator, link_texts, text

name = "wix"
# Everything inside a Wix post article that is not the post itself, matched in one pass (no CSS engine).
CHROME_HOOKS = frozenset({
    "post-footer", "recent-posts", "post-stats", "like-button", "time-to-read", "user-name", "badge",
    "post-title", "tag-cloud-root", "post-main-actions", "more-button", "post-header", "avatar-image",
    "time-ago", "post-categories-list", "related-posts", "comments", "post-metadata",
})
CHROME_LABELS = frozenset({"top of page", "bottom of page", "Post categories"})
UPDATED_LABEL = re.compile(r"^\s*(Updated|Aktualisiert|Actualizado|Mis à jour|Aggiornato|Atualizado)\s*:?\s*",
                           re.I)
AVATAR_LABEL = re.compile(r"^(Writer|Author)(&#x27;|'|’)?s? ?(picture)?:?\s*", re.I)


def detect(soup: BeautifulSoup) -> bool:
    return "wix" in generator(soup) or _hook(soup, "post", "article") is not None


def _hook(node: Tag, hook: str, name: str | None = None) -> Tag | None:
    """The first element with data-hook=hook (a find, far cheaper than a CSS select on big pages)."""
    return node.find(name, attrs={"data-hook": hook})


def _article(soup: BeautifulSoup) -> Tag:
    article = _hook(soup, "post", "article")
    if article is None:
        raise NotAPostError("not a blog post: the page has no post article")
    return article


def visible(soup: BeautifulSoup, *, now: datetime | None = None) -> Visible:
    article = _article(soup)
    found = Visible()
    found.title = text(_hook(article, "post-title")) or None
    found.author = text(_hook(article, "user-name")) or _avatar_name(article)
    profile = article.find("a", href=lambda href: bool(href) and "/profile/" in href)
    found.author_url = profile["href"] if profile is not None else None
    updated_line = _updated_line(article)
    if updated_line is not None:
        stamp = _hook(updated_line, "time-ago")
        found.updated = _time_ago(stamp, now) if stamp else to_iso(UPDATED_LABEL.sub("", text(updated_line)), now=now)
    for stamp in article.find_all(attrs={"data-hook": "time-ago"}):
        if updated_line is None or stamp not in updated_line.descendants:
            found.published = _time_ago(stamp, now)
            break
    found.tags = link_texts(article, "/tags/") or link_texts(article, "/hashtags/")
    found.categories = link_texts(article, "/categories/")
    # Some templates render the tag cloud and category list beside the article rather than inside it;
    # only these two named blocks are read there (the blog's own nav links every category).
    cloud = soup.find(attrs={"data-hook": "tag-cloud-root"})
    if not found.tags and isinstance(cloud, Tag):
        found.tags = link_texts(cloud, "")
    categories = soup.find("ul", attrs={"aria-label": "Post categories"})
    if not found.categories and isinstance(categories, Tag):
        found.categories = link_texts(categories, "")
    return found


def body(soup: BeautifulSoup, html: str, url: str | None, meta) -> Tag:
    """The post body (data-hook="post-description"), with any chrome left inside it removed."""
    article = _article(soup)
    content = _hook(article, "post-description") or article
    updated_line = _updated_line(content)
    if updated_line is not None:
        updated_line.decompose()
    for node in content.find_all(_is_chrome):
        if not node.decomposed:
            node.decompose()
    return content


def _is_chrome(tag: Tag) -> bool:
    hook = tag.get("data-hook") or ""
    classes = tag.get("class") or []
    return (hook in CHROME_HOOKS or hook.startswith("share-button") or tag.get("aria-label") in CHROME_LABELS
            or any("share-button" in c for c in classes))


def _updated_line(node: Tag) -> Tag | None:
    """The outermost short element reading 'Updated: <date>', found from its label text rather than by scanning."""
    for label in node.find_all(string=UPDATED_LABEL):
        line = None
        for parent in label.parents:
            if parent is node or parent.name not in {"p", "div", "span"} or len(parent.get_text()) >= 80:
                break
            line = parent
        if line is not None:
            return line
    return None


def _time_ago(stamp: Tag, now: datetime | None) -> str | None:
    return (to_iso(stamp.get("title"), now=now) or to_iso(stamp.get("datetime"), now=now)
            or to_iso(text(stamp), now=now))


def _avatar_name(article: Tag) -> str | None:
    """'Writer: Laura Mann' in an avatar's aria-label or alt (2025–26 builds)."""
    for node in article.find_all(attrs={"aria-label": True}) + article.find_all("img", alt=True):
        for key in ("aria-label", "alt"):
            label = node.get(key) or ""
            if re.match(r"^(Writer|Author):\s*\S", label):
                return AVATAR_LABEL.sub("", label).strip() or None
    return None
