"""WordPress posts (classic and block themes, Yoast/RankMath JSON-LD): the theme's title, byline and terms."""
from __future__ import annotations

from datetime import datetime

from lxml.html import HtmlElement

from ..page import Page, node_text
from . import generic
from .base import Visible, first, generator, select, select_one, text_of

name = "wordpress"
MEDIA_HOSTS = ("i0.wp.com", "i1.wp.com", "i2.wp.com")  # WordPress.com's image CDN (Photon)
FEED_PATHS = ("/feed",)
POST_PATHS = (r"/\d{4}/\d{2}/",)  # date permalinks: /2021/05/04/slug/
TAXONOMY_PATHS = ("category", "tag")
AUTHOR = ".entry-meta .author a, .byline .author a, .wp-block-post-author-name, a[rel~='author']"
# Plugins' and themes' blocks inside the post content that are not the post.
CHROME = (".sharedaddy", ".jp-relatedposts", ".yarpp-related", ".addtoany_share_save_container", ".post-navigation",
          ".nav-links", ".author-bio", ".saboxplugin-wrap", ".ez-toc-container", "#toc_container",
          ".rank-math-breadcrumb", ".wp-block-post-comments", ".wp-block-comments", ".entry-footer", ".tags-links",
          ".cat-links", ".wpcnt", ".code-block", ".heateor_sss_sharing_container", ".wpforms-container", ".mc4wp-form")


def detect(page: Page) -> bool:
    if "wordpress" in generator(page):
        return True
    if select_one(page.tree, 'link[href*="/wp-content/"], link[href*="/wp-json/"], script[src*="/wp-includes/"]'):
        return True
    body_tag = select_one(page.tree, "body")
    classes = (body_tag.get("class") or "").split() if body_tag is not None else []
    return "single-post" in classes or "wp-singular" in classes


def visible(page: Page, *, now: datetime | None = None) -> Visible:
    found = generic.visible(page, now=now)
    found.title = text_of(page.tree, "h1.entry-title, h1.wp-block-post-title") or found.title
    author = select_one(page.tree, AUTHOR)
    found.author = node_text(author) or found.author
    if author is not None and author.get("href"):
        found.author_url = author.get("href")
    article = first(select_one(page.tree, "article"), page.tree)
    terms = select(article, 'a[rel~="tag"]')
    found.tags = _names(a for a in terms if "category" not in (a.get("rel") or "").split()) or found.tags
    found.categories = _names(select(article, 'a[rel~="category"]')) or found.categories
    return found


def _names(links) -> list[str]:
    return list(dict.fromkeys(name for name in map(node_text, links) if name))


def body(page: Page, meta) -> HtmlElement | None:
    return generic.body(page, meta, chrome=CHROME)
