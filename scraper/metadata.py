"""Post metadata from the strongest source a page has: JSON-LD, then OpenGraph/article:* meta, then markup."""
from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from typing import Any, Iterator
from urllib.parse import urljoin, urlsplit

from bs4 import BeautifulSoup, Tag

from .urls import host_key, normalize_url

logger = logging.getLogger(__name__)

ARTICLE_TYPES = {"BlogPosting", "Article", "NewsArticle", "TechArticle", "Report", "SocialMediaPosting",
                 "MedicalWebPage", "ScholarlyArticle", "AnalysisNewsArticle", "OpinionNewsArticle"}
SITE_TYPES = {"WebSite", "Organization", "LocalBusiness", "MedicalClinic", "MedicalBusiness",
              "HealthAndBeautyBusiness", "Physician", "MedicalOrganization"}
_TITLE_SEPARATORS = (" | ", " - ", " – ", " — ", " :: ")


@dataclass
class PageMeta:
    """What the page says about itself, outside the post body."""

    title: str | None = None
    author: str | None = None
    author_url: str | None = None
    published: str | None = None
    updated: str | None = None
    excerpt: str | None = None
    canonical_url: str | None = None
    language: str | None = None
    site_name: str | None = None
    og_type: str | None = None
    tags: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    article: dict[str, Any] | None = None  # the JSON-LD item that describes this very page


def read_metadata(soup: BeautifulSoup, url: str | None) -> PageMeta:
    meta = _meta_tags(soup)
    canonical = _canonical(soup, url)
    page_urls = {u for u in (url, canonical, meta.get("og:url")) if u}
    items = list(json_ld_items(soup))
    article = pick_article(items, page_urls)
    site_name = _site_name(meta, items)
    return PageMeta(
        title=_first(_ld_text(article, "headline"), _ld_text(article, "name"), meta.get("og:title"),
                     meta.get("twitter:title")),
        author=_first(ld_author(article, items), _meta_author(meta)),
        author_url=ld_author_url(article, items),
        published=_first(_ld_text(article, "datePublished"), meta.get("article:published_time"),
                         meta.get("og:published_time")),
        updated=_first(_ld_text(article, "dateModified"), meta.get("article:modified_time"),
                       meta.get("og:updated_time")),
        excerpt=_first(_ld_text(article, "description"), meta.get("og:description"), meta.get("description")),
        canonical_url=_first(canonical, meta.get("og:url"), _ld_text(article, "url")),
        language=_language(soup, meta, article),
        site_name=site_name,
        og_type=meta.get("og:type"),
        tags=unique_names(_ld_keywords(article) + meta.get_all("article:tag")),
        categories=unique_names(_ld_list(article, "articleSection") + meta.get_all("article:section")),
        article=article,
    )


def json_ld_items(soup: BeautifulSoup) -> Iterator[dict[str, Any]]:
    """Every JSON-LD object on the page, @graph and lists flattened; broken blocks skipped."""
    for script in soup.find_all("script", type=re.compile(r"application/ld\+json", re.I)):
        raw = script.string or script.get_text()
        try:
            data = json.loads(raw.strip(), strict=False)
            items = list(_flatten(data))
        except (ValueError, AttributeError, RecursionError):  # RecursionError: '[[[[…' or '{"a":{"a":…' soup
            logger.debug("skipping unparsable JSON-LD block")
            continue
        yield from items


def _flatten(data: Any) -> Iterator[dict[str, Any]]:
    if isinstance(data, list):
        for item in data:
            yield from _flatten(item)
    elif isinstance(data, dict):
        if "@graph" in data:
            yield from _flatten(data["@graph"])
        if "@type" in data:
            yield data


def ld_types(item: dict[str, Any] | None) -> set[str]:
    if not item:
        return set()
    value = item.get("@type")
    values = value if isinstance(value, list) else [value]
    return {v.rsplit("/", 1)[-1] for v in values if isinstance(v, str)}


def pick_article(items: list[dict[str, Any]], page_urls: set[str]) -> dict[str, Any] | None:
    """The article item describing this page; never a card for another post, never the site itself."""
    articles = [i for i in items if ld_types(i) & ARTICLE_TYPES and not ld_types(i) & SITE_TYPES]
    wanted = {_url_key(u) for u in page_urls}
    for article in articles:
        if _article_urls(article) & wanted:
            return article
    if len(articles) == 1 and (not _article_urls(articles[0]) or not wanted):
        return articles[0]
    return None


def _article_urls(article: dict[str, Any]) -> set[str]:
    urls = []
    for key in ("url", "@id", "mainEntityOfPage"):
        value = article.get(key)
        if isinstance(value, dict):
            value = value.get("@id") or value.get("url")
        if isinstance(value, str) and value.startswith(("http://", "https://", "//")):
            urls.append(value)
    return {_url_key(u) for u in urls}


def _url_key(url: str) -> str:
    """Compare URLs regardless of scheme, 'www.', trailing slash, fragment and percent-encoding."""
    parts = urlsplit(normalize_url(url))
    return host_key(url) + parts.path


def _authors(article: dict[str, Any] | None, items: list[dict[str, Any]]) -> list[Any]:
    """The article's authors, with Yoast-style {"@id": …} references looked up in the page's @graph."""
    if not article:
        return []
    value = article.get("author") or article.get("creator")
    by_id = {item["@id"]: item for item in items if isinstance(item.get("@id"), str)}
    people = []
    for person in value if isinstance(value, list) else [value]:
        if isinstance(person, dict) and not person.get("name") and person.get("@id") in by_id:
            person = by_id[person["@id"]]
        people.append(person)
    return people


def ld_author(article: dict[str, Any] | None, items: list[dict[str, Any]] = ()) -> str | None:
    names = []
    for person in _authors(article, list(items)):
        name = person.get("name") if isinstance(person, dict) else person
        if isinstance(name, str) and name.strip() and not name.strip().startswith("http"):
            names.append(" ".join(name.split()))
    return ", ".join(unique_names(names)) or None


def ld_author_url(article: dict[str, Any] | None, items: list[dict[str, Any]] = ()) -> str | None:
    """The first author's profile URL (Wix: /profile/<name>/profile)."""
    for person in _authors(article, list(items)):
        url = person.get("url") if isinstance(person, dict) else None
        if isinstance(url, str) and url.startswith(("http://", "https://")):
            return url.strip()
    return None


def _ld_text(article: dict[str, Any] | None, key: str) -> str | None:
    if not article:
        return None
    value = article.get(key)
    if isinstance(value, list) and value:
        value = value[0]
    if isinstance(value, dict):
        value = value.get("@id") or value.get("url") or value.get("name")
    return " ".join(value.split()) if isinstance(value, str) and value.strip() else None


def _ld_list(article: dict[str, Any] | None, key: str) -> list[str]:
    value = (article or {}).get(key)
    values = value if isinstance(value, list) else [value]
    return [" ".join(v.split()) for v in values if isinstance(v, str) and v.strip()]


def _ld_keywords(article: dict[str, Any] | None) -> list[str]:
    value = (article or {}).get("keywords")
    if isinstance(value, str):
        return [k.strip() for k in value.split(",") if k.strip()]
    return _ld_list(article, "keywords")


class _Meta(dict):
    """First value of each <meta> by lower-cased name/property, with get_all for repeated ones."""

    def __init__(self) -> None:
        super().__init__()
        self.repeated: dict[str, list[str]] = {}

    def add(self, key: str, value: str) -> None:
        self.setdefault(key, value)
        self.repeated.setdefault(key, []).append(value)

    def get_all(self, key: str) -> list[str]:
        return list(self.repeated.get(key, []))


def _meta_tags(soup: BeautifulSoup) -> _Meta:
    found = _Meta()
    for tag in soup.find_all("meta"):
        key = tag.get("property") or tag.get("name") or tag.get("itemprop")
        value = tag.get("content")
        if isinstance(key, str) and isinstance(value, str) and value.strip():
            found.add(key.strip().lower(), " ".join(value.split()))
    return found


def _meta_author(meta: _Meta) -> str | None:
    for key in ("article:author", "author", "twitter:creator", "dc.creator"):
        value = meta.get(key)
        if value and not value.startswith(("http://", "https://", "@")):
            return value
    return None


def _canonical(soup: BeautifulSoup, url: str | None) -> str | None:
    link = soup.find("link", rel=lambda r: r and "canonical" in r, href=True)
    if not link or not link["href"].strip():
        return None
    return urljoin(url or "", link["href"].strip())


def _site_name(meta: _Meta, items: list[dict[str, Any]]) -> str | None:
    if meta.get("og:site_name"):
        return meta["og:site_name"]
    for item in items:
        if ld_types(item) & SITE_TYPES and isinstance(item.get("name"), str):
            return item["name"].strip()
    return None


def _language(soup: BeautifulSoup, meta: _Meta, article: dict[str, Any] | None) -> str | None:
    html = soup.find("html")
    lang = html.get("lang") if isinstance(html, Tag) else None
    value = _first(_ld_text(article, "inLanguage"), lang if isinstance(lang, str) else None, meta.get("og:locale"))
    return value.replace("_", "-") if value else None


def strip_site_suffix(title: str | None, site_name: str | None) -> str | None:
    """'Post title | Wildflower Acupuncture' -> 'Post title' (Wix site names may carry a trailing ' Main')."""
    if not title:
        return title
    names = set()
    if site_name:
        names = {site_name.lower(), re.sub(r"\s+main$", "", site_name, flags=re.I).lower()}
    for sep in _TITLE_SEPARATORS:
        head, found, tail = title.rpartition(sep)
        if found and head.strip() and (not names or tail.strip().lower() in names):
            if names or (sep == " | " and len(tail) < len(head)):
                return head.strip()
    return title


def _first(*values: str | None) -> str | None:
    for value in values:
        if value and value.strip():
            return value.strip()
    return None


def unique_names(values: list[str]) -> list[str]:
    """In order, without case-insensitive repeats."""
    seen, out = set(), []
    for value in values:
        if value.lower() not in seen:
            seen.add(value.lower())
            out.append(value)
    return out
