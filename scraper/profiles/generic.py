"""Any page: known content containers, else the page's <article>, else trafilatura's main-content guess."""
from __future__ import annotations

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
MIN_TEXT = 300  # a page with no article markup needs this much main text to count as a post


def detect(soup: BeautifulSoup) -> bool:
    return True


def visible(soup: BeautifulSoup, *, now: datetime | None = None) -> Visible:
    found = Visible(title=text(soup.find("h1")) or None, author=text(soup.select_one(AUTHOR)) or None)
    profile = soup.select_one('a[rel~="author"][href]')
    found.author_url = profile["href"] if profile is not None else None
    stamp = soup.find("time", attrs={"datetime": True})
    if isinstance(stamp, Tag):
        found.published = to_iso(stamp["datetime"], now=now)
    article = soup.find("article")  # tag clouds in sidebars are not this post's tags
    if isinstance(article, Tag):
        found.tags = link_texts(article, "/tag/") or link_texts(article, "/tags/")
        found.categories = link_texts(article, "/category/") or link_texts(article, "/categories/")
    return found


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
