"""Finding every post URL of a blog: sitemaps, feeds, listing pages and, last, links inside the blog.

All sources are read and their URLs united, de-duplicated by url_key, each remembering which sources
listed it. A sitemap that cannot be read becomes a warning on the Discovery, so an inventory is never
silently incomplete.
"""
from __future__ import annotations

import logging
import re
import zlib
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Callable, Iterator
from urllib.parse import urljoin, urlsplit
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as SafeET
from bs4 import BeautifulSoup
from defusedxml import DefusedXmlException

from . import profiles
from .errors import DiscoveryError, FetchError
from .fetch import Fetcher, request_url
from .scope import Scope
from .urls import same_site, site_root, url_key

logger = logging.getLogger(__name__)

# Child sitemaps that hold posts: Wix's blog-posts-sitemap.xml, WordPress/Yoast's post-sitemap.xml ...
POST_SITEMAP = re.compile(r"post", re.I)
NOT_POST_SITEMAP = re.compile(r"page|categor|tag|author|product|event|forum|program", re.I)
LISTING_SITEMAP = re.compile(r"categor|tag", re.I)
# What the platforms serve (their profiles say): post paths, listing paths, feeds, listing cards, the pager.
POST_PATH = re.compile("|".join(profiles.hints("POST_PATHS")))
TAXONOMY_PATH = re.compile(r"/(" + "|".join(profiles.hints("TAXONOMY_PATHS")) + r")/[^/]+")
FEED_PATHS = profiles.hints("FEED_PATHS")
LISTING_CARDS = profiles.hint("LISTING_CARDS")
NEXT_PAGE = profiles.hint("NEXT_PAGE")
DEFAULT_BASE = "/blog"
MAX_LISTING_PAGES = 1000
MAX_LINK_PAGES = 300
MAX_SITEMAP_BYTES = 50 * 1024 * 1024  # a gzip sitemap may not inflate past the sitemap protocol's limit
MAX_SITEMAPS = 500  # sitemaps read per site: an index whose children keep naming new children must end
# Told after each sitemap, feed or page read while discovering: its source ("sitemap", "feed", "listing",
# "links") and how many post URLs are known so far.
DiscoveryProgress = Callable[[str, int], None]


@dataclass
class DiscoveredURL:
    url: str  # as the source listed it, in the form it is requested in (request_url): escapes kept as written
    sources: list[str] = field(default_factory=list)  # "sitemap", "feed", "listing", "links", "command line"
    lastmod: str | None = None

    @property
    def source(self) -> str:
        return "+".join(self.sources)


@dataclass
class Discovery:
    """A site's post URLs, and what could not be read while finding them."""

    site: str
    urls: list[DiscoveredURL]
    warnings: list[str] = field(default_factory=list)
    partial: bool = False  # a hand-picked list of URLs (one post's URL on the command line), not an inventory

    @property
    def complete(self) -> bool:
        """True when every source that exists was read: only then can a missing post be called gone."""
        return not self.warnings and not self.partial

    def counts(self) -> Counter:
        return Counter(source for item in self.urls for source in item.sources)


class _Found:
    """URLs united across sources, keyed by url_key, in first-seen order."""

    def __init__(self, root: str, progress: DiscoveryProgress | None = None):
        self.root = root
        self.items: dict[str, DiscoveredURL] = {}
        self.progress = progress

    def add(self, url: str, source: str, lastmod: str | None = None) -> None:
        if not url.startswith(("http://", "https://")) or not same_site(url, self.root):
            return
        key = url_key(url)
        item = self.items.setdefault(key, DiscoveredURL(request_url(url)))
        if source not in item.sources:
            item.sources.append(source)
        item.lastmod = item.lastmod or lastmod

    def read(self, source: str) -> None:
        """One more sitemap, feed or page of this source was read."""
        if self.progress:
            self.progress(source, len(self.items))

    def keys_from(self, source: str) -> set[str]:
        return {key for key, item in self.items.items() if source in item.sources}


@dataclass
class _SitemapBudget:
    """How many more sitemaps this site may cost, and the ones named after it ran out."""

    left: int
    unread: set[str] = field(default_factory=set)

    def take(self, url: str) -> bool:
        if self.left <= 0:
            self.unread.add(url)
            return False
        self.left -= 1
        return True


def discover_posts(fetcher: Fetcher, site_url: str, *, all_sources: bool = False,
                   max_sitemaps: int = MAX_SITEMAPS, progress: DiscoveryProgress | None = None) -> Discovery:
    """Every post URL of a site; DiscoveryError if no source lists any.

    Sitemaps and the feed are always read. Listing pages (with pagination, categories and tags) are
    walked when the sitemaps are missing or fail, when the feed names a post the sitemaps lack, or
    with all_sources; links inside the blog are followed only when nothing else found a post.
    Nothing outside the site's own hosts is requested, and at most max_sitemaps sitemaps are read.
    `progress` is told of each source read, as it goes.
    """
    root = site_root(site_url)
    found, warnings, budget = _Found(root, progress), [], _SitemapBudget(max_sitemaps)
    sitemaps_read, listing_sitemaps = _from_sitemaps(fetcher, root, found, warnings, budget)
    base = _from_feed(fetcher, root, found) or DEFAULT_BASE
    gap = bool(found.keys_from("feed") - found.keys_from("sitemap"))
    if all_sources or not sitemaps_read or gap or warnings:
        if gap:
            logger.info("the feed lists posts the sitemaps do not: walking the listing pages too")
        _from_listings(fetcher, root, base, listing_sitemaps, found, budget)
    if budget.unread:
        warnings.append(f"read {max_sitemaps} sitemaps, the limit for one site; {len(budget.unread)} more "
                        f"named were not read")
    if not found.items:
        _from_links(fetcher, root, base, found)
    if not found.items:
        detail = "; ".join(warnings) or "no sitemap, feed, listing or link names a post"
        raise DiscoveryError(f"no posts found on {root} ({detail})")
    return Discovery(root, list(found.items.values()), warnings)


# Sitemaps

def _from_sitemaps(fetcher: Fetcher, root: str, found: _Found, warnings: list[str],
                   budget: _SitemapBudget) -> tuple[int, list[str]]:
    """Read the sitemaps named in robots.txt (else /sitemap.xml); return how many were read and listing sitemaps.

    Sitemaps on other hosts (a robots.txt line, an index's child) are not requested.
    """
    named = _on_site(fetcher.sitemaps_for(root), root)
    queue = deque((url, bool(named)) for url in (named or [urljoin(root, "/sitemap.xml")]))
    seen: set[str] = set()
    read, listing_sitemaps = 0, []
    while queue:
        url, must_exist = queue.popleft()
        if url in seen:
            continue
        seen.add(url)
        if not budget.take(url):
            continue
        tree = _read_sitemap(fetcher, url, must_exist, warnings, root)
        if tree is None:
            continue
        read += 1
        if _local(tree.tag) == "sitemapindex":
            children = _on_site([c for c in (_text(n, "loc") for n in tree if _local(n.tag) == "sitemap") if c], root)
            posts = [c for c in children if _is_post_sitemap(c)]
            listing_sitemaps += [c for c in children if LISTING_SITEMAP.search(_name(c))]
            queue.extend((child, True) for child in posts or children)
        else:
            for node in tree:
                if _local(node.tag) == "url" and _text(node, "loc"):
                    found.add(_text(node, "loc"), "sitemap", _text(node, "lastmod"))
        found.read("sitemap")
    return read, listing_sitemaps


def _on_site(urls: list[str], root: str) -> list[str]:
    """The URLs on the site's own hosts; the others are named in the log, never requested."""
    scope = Scope(root)
    for url in urls:
        if not scope.allows(url):
            logger.info("sitemap %s is not on %s: not read", url, root)
    return [url for url in urls if scope.allows(url)]


def _read_sitemap(fetcher: Fetcher, url: str, must_exist: bool, warnings: list[str], root: str) -> Element | None:
    try:
        body = fetcher.fetch(url, scope=root).body
    except FetchError as exc:
        if must_exist or exc.status_code not in (404, 410):
            warnings.append(f"sitemap {url} failed: {exc}")
        return None
    try:
        return _parse_xml(_gunzip(body))
    except ValueError as exc:
        warnings.append(f"sitemap {url}: {exc}")
        return None


def _gunzip(body: bytes) -> bytes:
    """Inflate a gzip sitemap (.xml.gz) with a cap, so a gzip bomb cannot fill memory."""
    if not body.startswith(b"\x1f\x8b"):
        return body
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        data = inflater.decompress(body, MAX_SITEMAP_BYTES)
    except zlib.error as exc:
        raise ValueError(f"broken gzip ({exc})") from exc
    if inflater.unconsumed_tail:
        raise ValueError(f"inflates past {MAX_SITEMAP_BYTES:,} bytes (a gzip bomb?)")
    return data


def _is_post_sitemap(url: str) -> bool:
    name = _name(url)
    return bool(POST_SITEMAP.search(name)) and not NOT_POST_SITEMAP.search(name.replace("posts", ""))


def _name(url: str) -> str:
    return urlsplit(url).path.rsplit("/", 1)[-1]


# Feeds

def _from_feed(fetcher: Fetcher, root: str, found: _Found) -> str | None:
    """Post links from the first feed that answers (Wix: /blog-feed.xml, newest ~20); return the blog's base path."""
    for path in FEED_PATHS:
        try:
            tree = _parse_xml(_gunzip(fetcher.fetch(urljoin(root, path), scope=root).body))
        except (FetchError, ValueError):
            continue
        links = list(_feed_links(tree))
        for link in links:
            found.add(link, "feed")
        found.read("feed")
        if links:
            channel = tree.find("channel")
            base_link = _text(channel, "link") if channel is not None else None
            base = urlsplit(base_link).path.rstrip("/") if base_link else ""
            return base if base and base != "/" else None
    return None


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


# Listing pages

def _from_listings(fetcher: Fetcher, root: str, base: str, listing_sitemaps: list[str], found: _Found,
                   budget: _SitemapBudget) -> None:
    """Walk the blog listing through its pagination, then every category/tag listing it links to."""
    starts = deque([urljoin(root, base)])
    for sitemap in listing_sitemaps:
        if budget.take(sitemap):
            starts.extend(_sitemap_locs(fetcher, sitemap, root))
    seen: set[str] = set()
    while starts and len(seen) < MAX_LISTING_PAGES:
        url: str | None = starts.popleft()
        while url and url_key(url) not in seen and len(seen) < MAX_LISTING_PAGES:
            seen.add(url_key(url))
            try:
                result = fetcher.fetch(url, scope=root)
            except FetchError:
                break
            soup = BeautifulSoup(result.text, "lxml")
            for link in _listing_links(soup, result.final_url):
                found.add(link, "listing")
            found.read("listing")
            starts.extend(link for link in _taxonomy_links(soup, result.final_url, root) if url_key(link) not in seen)
            url = _next_page(soup, result.final_url)


def _sitemap_locs(fetcher: Fetcher, url: str, root: str) -> list[str]:
    """The <loc>s of a category/tag sitemap; one that cannot be read only costs its listing pages."""
    tree = _read_sitemap(fetcher, url, False, [], root)
    return [loc for loc in (_text(n, "loc") for n in tree if _local(n.tag) == "url") if loc] if tree is not None else []


def _listing_links(soup: BeautifulSoup, base: str) -> Iterator[str]:
    cards = soup.select(LISTING_CARDS) if LISTING_CARDS else []
    anchors = [a for card in cards for a in card.find_all("a", href=True)] if cards else soup.find_all("a", href=True)
    for anchor in anchors:
        link = urljoin(base, anchor["href"])
        if POST_PATH.search(urlsplit(link).path):
            yield link


def _taxonomy_links(soup: BeautifulSoup, base: str, root: str) -> Iterator[str]:
    for anchor in soup.find_all("a", href=True):
        link = urljoin(base, anchor["href"])
        if TAXONOMY_PATH.search(urlsplit(link).path) and same_site(link, root):
            yield link.split("#", 1)[0]


def _next_page(soup: BeautifulSoup, base: str) -> str | None:
    link = soup.select_one(NEXT_PAGE)
    return urljoin(base, link["href"]) if link else None


# Links, the last resort

def _from_links(fetcher: Fetcher, root: str, base: str, found: _Found) -> None:
    """Follow links inside the site's blog path (never elsewhere) and keep the ones that look like posts."""
    queue, seen = deque([root, urljoin(root, base)]), set()
    while queue and len(seen) < MAX_LINK_PAGES:
        url = queue.popleft()
        if url_key(url) in seen:
            continue
        seen.add(url_key(url))
        try:
            result = fetcher.fetch(url, scope=root)
        except FetchError:
            continue
        if "html" not in (result.content_type or "html"):
            continue
        for anchor in BeautifulSoup(result.text, "lxml").find_all("a", href=True):
            link = urljoin(result.final_url, anchor["href"]).split("#", 1)[0]
            if not same_site(link, root):
                continue
            path = urlsplit(link).path
            if POST_PATH.search(path):
                found.add(link, "links")
            elif path.startswith(base) and url_key(link) not in seen:
                queue.append(link)
        found.read("links")


def looks_like_post_url(url: str) -> bool:
    """True for one page's URL ('/post/<slug>', 'page.html') rather than a site or blog address."""
    path = urlsplit(site_root(url)).path
    return bool(POST_PATH.search(path) or re.search(r"\.[A-Za-z0-9]{2,5}$", path))


def _parse_xml(body: bytes) -> Element:
    """Parse a sitemap or feed safely; ValueError says why it cannot be read."""
    try:
        return SafeET.fromstring(body)
    except DefusedXmlException as exc:
        raise ValueError(f"refused: it declares XML entities or a DTD ({type(exc).__name__})") from exc
    except ParseError as exc:
        raise ValueError(f"not valid XML ({exc})") from exc


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _text(node: Element, name: str) -> str | None:
    for child in node:
        if _local(child.tag) == name and child.text and child.text.strip():
            return child.text.strip()
    return None
