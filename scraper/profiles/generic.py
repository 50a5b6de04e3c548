"""Any page: known content containers, else the page's <article>, else trafilatura's main-content guess."""
from __future__ import annotations

import re
from datetime import datetime

import trafilatura
from bs4 import BeautifulSoup, Tag

from ..dates import to_iso
from .base import Visible, first_container, link_texts, text, without

name = "generic"
CONTAINERS = ('[itemprop="articleBody"]', ".entry-content", ".post-content", ".article-content", ".post-body",
              ".article-body")
CHROME = ("header", "footer", "aside", "nav", "form", ".share", ".social-share", ".sharing", ".related-posts",
          ".author-box", ".comments", "#comments", ".post-meta", ".entry-meta", '[class*="newsletter"]',
          '[class*="subscribe"]', '[id*="cookie"]', '[class*="cookie"]')
AUTHOR = ('[rel="author"], [itemprop="author"] [itemprop="name"], [itemprop="author"], .author-name, '
          '.byline .author, .author')
BYLINE_PREFIX = re.compile(r"^(?:(?:written|posted|published)\s+)?by\s+", re.I)
MIN_TEXT = 300  # a page with no article markup needs this much main text to count as a post


def detect(soup: BeautifulSoup) -> bool:
    return True


def visible(soup: BeautifulSoup, *, now: datetime | None = None) -> Visible:
    article = soup.find("article")
    # The post's own byline and date first: a sidebar's "recent posts" list has <time>s and authors too.
    scope = article if isinstance(article, Tag) else soup
    author = scope.select_one(AUTHOR) or soup.select_one(AUTHOR)
    found = Visible(title=text(soup.find("h1")) or None, author=byline_name(text(author)))
    profile = scope.select_one('a[rel~="author"][href]') or soup.select_one('a[rel~="author"][href]')
    found.author_url = profile["href"] if profile is not None else None
    stamp = scope.find("time", attrs={"datetime": True}) or soup.find("time", attrs={"datetime": True})
    if isinstance(stamp, Tag):
        found.published = to_iso(stamp["datetime"], now=now)
    if isinstance(article, Tag):
        found.tags = link_texts(article, "/tag/") or link_texts(article, "/tags/")
        found.categories = link_texts(article, "/category/") or link_texts(article, "/categories/")
    return found


def byline_name(value: str) -> str | None:
    """'By Jane Doe' or 'Posted by Jane Doe' -> 'Jane Doe'; a long text is not a name."""
    name = BYLINE_PREFIX.sub("", value.strip()).strip(" ,|·-")
    return name if name and len(name) <= 80 else None


def body(soup: BeautifulSoup, html: str, url: str | None, meta, *, containers: tuple[str, ...] = CONTAINERS,
         chrome: tuple[str, ...] = CHROME) -> Tag | None:
    container = first_container(soup, containers, chrome)
    if container is not None:
        return container
    articles = [a for a in soup.find_all("article") if len(a.get_text(" ", strip=True)) > 50]
    if articles:
        return without(max(articles, key=lambda a: len(a.get_text(" ", strip=True))), chrome)
    return main_text(html, url, looks_like_post=meta.article is not None or meta.og_type == "article")


def main_text(html: str, url: str | None, *, looks_like_post: bool) -> Tag | None:
    """trafilatura's guess at the main content, as HTML; None when it finds too little for a post."""
    extracted = trafilatura.extract(html, url=url, output_format="html", include_images=True, include_links=True,
                                    include_formatting=True, include_tables=True, include_comments=False,
                                    favor_recall=True)
    if not extracted:
        return None
    content = BeautifulSoup(extracted, "lxml").body
    if content is None or (not looks_like_post and len(content.get_text(" ", strip=True)) < MIN_TEXT):
        return None
    return content
