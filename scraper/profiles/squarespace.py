"""Squarespace blog items: the item's title, author, date and ?tag= / ?category= links."""
from __future__ import annotations

from datetime import datetime

from lxml.html import HtmlElement

from ..dates import to_iso
from ..page import Page
from . import generic
from .base import Visible, first, generator, link_texts, select_one, text_of

name = "squarespace"
MEDIA_HOSTS = ("images.squarespace-cdn.com", "static1.squarespace.com")
FEED_PATHS = ("/blog?format=rss",)
# Blocks inside a blog item that are not the post.
CHROME = (".sqs-block-newsletter", ".newsletter-block", ".item-pagination", ".blog-item-author-profile-wrapper",
          ".blog-item-comments", ".squarespace-comments", ".sqs-block-socialaccountlinks-v2", ".sqs-block-form")


def detect(page: Page) -> bool:
    if "squarespace" in generator(page):
        return True
    return any("SQUARESPACE_CONTEXT" in (script.text or "") for script in page.tree.iter("script")
               if not script.get("src"))


def visible(page: Page, *, now: datetime | None = None) -> Visible:
    found = generic.visible(page, now=now)
    found.title = text_of(page.tree, '[data-content-field="title"], .blog-item-title h1') or found.title
    found.author = text_of(page.tree, ".blog-author-name, .blog-item-author-profile-wrapper .author-name") \
        or found.author
    stamp = select_one(page.tree, "time.dt-published[datetime]")
    if stamp is not None:
        found.published = to_iso(stamp.get("datetime"), now=now)
    article = first(select_one(page.tree, "article.hentry"), page.tree)
    found.tags = link_texts(article, "?tag=") or found.tags
    found.categories = link_texts(article, "?category=") or found.categories
    return found


def body(page: Page, meta) -> HtmlElement | None:
    return generic.body(page, meta, chrome=CHROME)
