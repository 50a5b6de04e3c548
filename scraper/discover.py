"""Finding a blog's post URLs: sitemaps first, then the RSS feed, then the blog listing pages."""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Iterator
from urllib.parse import urljoin, urlsplit
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as SafeET
from bs4 import BeautifulSoup
from defusedxml import DefusedXmlException

from .errors import DiscoveryError, FetchError
from .fetch import Fetcher
from .urls import normalize_url, same_site, site_root

logger = logging.getLogger(__name__)

# Child sitemaps that hold posts: Wix's blog-posts-sitemap.xml, WordPress/Yoast's post-sitemap.xml ...
POST_SITEMAP = re.compile(r"post", re.I)
NOT_POST_SITEMAP = re.compile(r"page|categor|tag|author|product|event|forum|program", re.I)
POST_PATH = re.compile(r"/(post|single-post)/[^/]+|/\d{4}/\d{2}/")
FEED_PATHS = ("/blog-feed.xml", "/feed", "/rss.xml", "/feed.xml")
LISTING_PATHS = ("/blog",)
MAX_LISTING_PAGES = 50


@dataclass
class DiscoveredURL:
    url: str
    source: str  # "sitemap", "feed" or "listing"
    lastmod: str | None = None


def discover_posts(fetcher: Fetcher, site_url: str) -> list[DiscoveredURL]:
    """Every post URL of a site, from the first source that lists any; raise DiscoveryError if none does."""
    root = site_root(site_url)
    sources = (
        ("sitemap", lambda: from_sitemaps(fetcher, root)),
        ("feed", lambda: from_feeds(fetcher, root)),
        ("listing", lambda: from_listings(fetcher, root)),
    )
    errors: list[str] = []
    for name, finder in sources:
        try:
            found = _unique(u for u in finder() if same_site(u.url, root))
        except FetchError as exc:
            errors.append(f"{name}: {exc}")
            continue
        if found:
            logger.info("found %d post URLs in the %s", len(found), name)
            return found
    detail = "; ".join(errors[-1:]) if errors else "no sitemap, feed or blog listing lists any post"
    raise DiscoveryError(f"no posts found on {root} ({detail})")


def from_sitemaps(fetcher: Fetcher, root: str) -> Iterator[DiscoveredURL]:
    """Post URLs from the sitemaps named in robots.txt, or /sitemap.xml."""
    sitemaps = fetcher.sitemaps_for(root) or [urljoin(root, "/sitemap.xml")]
    for sitemap_url in sitemaps:
        yield from _walk_sitemap(fetcher, sitemap_url, depth=0)


def _walk_sitemap(fetcher: Fetcher, url: str, *, depth: int) -> Iterator[DiscoveredURL]:
    try:
        tree = _parse_xml(fetcher.fetch(url).body)
    except FetchError as exc:
        if depth == 0:
            raise
        logger.warning("child sitemap %s failed: %s", url, exc)
        return
    if tree is None:
        logger.warning("sitemap %s is not valid XML", url)
        return
    if _local(tree.tag) == "sitemapindex":
        children = [_text(node, "loc") for node in tree if _local(node.tag) == "sitemap"]
        children = [c for c in children if c]
        post_children = [c for c in children if _is_post_sitemap(c)]
        for child in post_children or children:
            if depth < 2:
                yield from _walk_sitemap(fetcher, child, depth=depth + 1)
        return
    for node in tree:
        if _local(node.tag) == "url":
            loc = _text(node, "loc")
            if loc:
                yield DiscoveredURL(loc, "sitemap", _text(node, "lastmod"))


def _is_post_sitemap(url: str) -> bool:
    name = urlsplit(url).path.rsplit("/", 1)[-1]
    return bool(POST_SITEMAP.search(name)) and not NOT_POST_SITEMAP.search(name.replace("posts", ""))


def from_feeds(fetcher: Fetcher, root: str) -> Iterator[DiscoveredURL]:
    """Post links from the site's RSS or Atom feed (Wix: /blog-feed.xml, the newest ~20 posts)."""
    for path in FEED_PATHS:
        try:
            tree = _parse_xml(fetcher.fetch(urljoin(root, path)).body)
        except FetchError:
            continue
        if tree is None:
            continue
        links = list(_feed_links(tree))
        if links:
            yield from (DiscoveredURL(link, "feed") for link in links)
            return


def _feed_links(tree: Element) -> Iterator[str]:
    for node in tree.iter():
        tag = _local(node.tag)
        if tag == "item":  # RSS
            link = _text(node, "link")
            if link:
                yield link
        elif tag == "entry":  # Atom
            for child in node:
                if _local(child.tag) == "link" and child.get("rel", "alternate") == "alternate" and child.get("href"):
                    yield child.get("href")
                    break


def from_listings(fetcher: Fetcher, root: str) -> Iterator[DiscoveredURL]:
    """Post links from the blog listing pages, following rel="next" pagination."""
    for path in LISTING_PATHS:
        url: str | None = urljoin(root, path)
        seen: set[str] = set()
        while url and url not in seen and len(seen) < MAX_LISTING_PAGES:
            seen.add(url)
            try:
                result = fetcher.fetch(url)
            except FetchError:
                break
            soup = BeautifulSoup(result.text, "lxml")
            yield from (DiscoveredURL(link, "listing") for link in _listing_links(soup, result.final_url))
            url = _next_page(soup, result.final_url)


def _listing_links(soup: BeautifulSoup, base: str) -> Iterator[str]:
    cards = soup.select('[data-hook="post-list-item"]')
    anchors = [a for card in cards for a in card.find_all("a", href=True)] if cards else soup.find_all("a", href=True)
    for anchor in anchors:
        link = urljoin(base, anchor["href"])
        if POST_PATH.search(urlsplit(link).path):
            yield link


def _next_page(soup: BeautifulSoup, base: str) -> str | None:
    link = soup.find("link", rel="next", href=True) or soup.find("a", rel="next", href=True)
    return urljoin(base, link["href"]) if link else None


def _unique(found: Iterator[DiscoveredURL]) -> list[DiscoveredURL]:
    """De-duplicate by normalised URL, keeping the first spelling seen."""
    out: dict[str, DiscoveredURL] = {}
    for item in found:
        key = normalize_url(item.url)
        if key not in out:
            out[key] = DiscoveredURL(key, item.source, item.lastmod)
    return list(out.values())


def _parse_xml(body: bytes) -> Element | None:
    try:
        return SafeET.fromstring(body)
    except (ParseError, DefusedXmlException, ValueError):
        return None


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _text(node: Element, name: str) -> str | None:
    for child in node:
        if _local(child.tag) == name and child.text and child.text.strip():
            return child.text.strip()
    return None


def looks_like_post_url(url: str) -> bool:
    """True for one page's URL ('/post/<slug>', 'page.html') rather than a site or blog address."""
    path = urlsplit(site_root(url)).path
    return bool(POST_PATH.search(path) or re.search(r"\.[A-Za-z0-9]{2,5}$", path))
