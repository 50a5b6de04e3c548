"""WordPress posts (classic and block themes, Yoast/RankMath JSON-LD): .entry-content and its plugins' chrome."""
from __future__ import annotations

from datetime import datetime

from bs4 import BeautifulSoup, Tag

from . import generic
from .base import Visible, generator, text

name = "wordpress"
CONTAINERS = (".entry-content", ".wp-block-post-content", ".post-content", '[itemprop="articleBody"]',
              ".elementor-widget-theme-post-content", ".td-post-content", ".single-post-content")
CHROME = generic.CHROME + (
    ".sharedaddy", ".jp-relatedposts", ".yarpp-related", ".addtoany_share_save_container", ".post-navigation",
    ".nav-links", ".author-bio", ".saboxplugin-wrap", ".ez-toc-container", "#toc_container", ".rank-math-breadcrumb",
    ".wp-block-post-comments", ".wp-block-comments", ".entry-footer", ".tags-links", ".cat-links", ".wpcnt",
    ".code-block", ".heateor_sss_sharing_container", ".wpforms-container", ".mc4wp-form",
)


def detect(soup: BeautifulSoup) -> bool:
    if "wordpress" in generator(soup):
        return True
    if soup.select_one('link[href*="/wp-content/"], link[href*="/wp-json/"], script[src*="/wp-includes/"]'):
        return True
    body_tag = soup.find("body")
    classes = body_tag.get("class", []) if isinstance(body_tag, Tag) else []
    return "single-post" in classes or "wp-singular" in classes


def visible(soup: BeautifulSoup, *, now: datetime | None = None) -> Visible:
    found = generic.visible(soup, now=now)
    found.title = text(soup.select_one("h1.entry-title, h1.wp-block-post-title")) or found.title
    author = soup.select_one(".entry-meta .author a, .byline .author a, .wp-block-post-author-name, a[rel='author']")
    found.author = text(author) or found.author
    if author is not None and author.get("href"):
        found.author_url = author["href"]
    article = soup.find("article") or soup
    found.tags = [text(a) for a in article.select('a[rel~="tag"]') if "category" not in a.get("rel", [])] \
        or found.tags
    found.categories = [text(a) for a in article.select('a[rel~="category"]')] or found.categories
    return found


def body(soup: BeautifulSoup, html: str, url: str | None, meta) -> Tag | None:
    return generic.body(soup, html, url, meta, containers=CONTAINERS, chrome=CHROME)
