"""Squarespace blog items: .blog-item-content holding sqs-blocks; newsletter and pagination blocks are chrome."""
from __future__ import annotations

from datetime import datetime

from bs4 import BeautifulSoup, Tag

from ..dates import to_iso
from . import generic
from .base import Visible, generator, link_texts, text

name = "squarespace"
CONTAINERS = ('[data-content-field="main-content"]', ".blog-item-content", ".entry-content", ".sqs-layout")
CHROME = generic.CHROME + (
    ".sqs-block-newsletter", ".newsletter-block", ".item-pagination", ".blog-item-author-profile-wrapper",
    ".blog-item-comments", ".squarespace-comments", ".sqs-block-socialaccountlinks-v2", ".sqs-block-form",
)


def detect(soup: BeautifulSoup) -> bool:
    if "squarespace" in generator(soup):
        return True
    return any("SQUARESPACE_CONTEXT" in (s.string or "") for s in soup.find_all("script", src=False))


def visible(soup: BeautifulSoup, *, now: datetime | None = None) -> Visible:
    found = generic.visible(soup, now=now)
    found.title = text(soup.select_one('[data-content-field="title"], .blog-item-title h1')) or found.title
    found.author = text(soup.select_one(".blog-author-name, .blog-item-author-profile-wrapper .author-name")) \
        or found.author
    stamp = soup.select_one("time.dt-published[datetime]")
    if isinstance(stamp, Tag):
        found.published = to_iso(stamp["datetime"], now=now)
    article = soup.select_one("article.hentry") or soup
    found.tags = link_texts(article, "?tag=") or found.tags
    found.categories = link_texts(article, "?category=") or found.categories
    return found


def body(soup: BeautifulSoup, html: str, url: str | None, meta) -> Tag | None:
    return generic.body(soup, html, url, meta, containers=CONTAINERS, chrome=CHROME)
