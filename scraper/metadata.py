"""Post metadata from the strongest source a page has: JSON-LD, then OpenGraph/article:* meta, then markup.

Read from the lxml tree. Attribute values arrive unescaped from the parser; JSON-LD is raw script text, whose
strings Wix and many CMSs write HTML-escaped ('Mental Health &amp; Wellness'), so each is unescaped once here.
"""
from __future__ import annotations

import html
import json
import logging
import re
from dataclasses import dataclass, field
from typing import Any, Iterator
from urllib.parse import urljoin

from lxml.html import HtmlElement

from .urls import url_key

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
    translations: dict[str, str] = field(default_factory=dict)  # hreflang -> URL, this page's own language left out
    article: dict[str, Any] | None = None  # the JSON-LD item that describes this very page


def read_metadata(tree: HtmlElement, url: str | None) -> PageMeta:
    meta = _meta_tags(tree)
    canonical = _canonical(tree, url)
    page_urls = {u for u in (url, canonical, meta.get("og:url")) if u}
    items = list(json_ld_items(tree))
    article = pick_article(items, page_urls)
    site_name = _site_name(meta, items)
    return PageMeta(
        title=first_text(_ld_text(article, "headline"), _ld_text(article, "name"), meta.get("og:title"),
                     meta.get("twitter:title")),
        author=first_text(ld_author(article, items), _meta_author(meta)),
        author_url=ld_author_url(article, items),
        published=first_text(_ld_text(article, "datePublished"), meta.get("article:published_time"),
                         meta.get("og:published_time")),
        updated=first_text(_ld_text(article, "dateModified"), meta.get("article:modified_time"),
                       meta.get("og:updated_time")),
        excerpt=first_text(_ld_text(article, "description"), meta.get("og:description"), meta.get("description")),
        canonical_url=first_text(canonical, absolute_url(meta.get("og:url"), url), absolute_url(_ld_text(article, "url"), url)),
        language=_language(tree, meta, article),
        site_name=site_name,
        og_type=meta.get("og:type"),
        tags=unique_names(_ld_keywords(article) + meta.get_all("article:tag")),
        categories=unique_names(_ld_list(article, "articleSection") + meta.get_all("article:section")),
        translations=_translations(tree, {u for u in (url, canonical) if u}),
        article=article,
    )


def json_ld_items(tree: HtmlElement) -> Iterator[dict[str, Any]]:
    """Every JSON-LD object on the page, @graph and lists flattened; broken blocks skipped."""
    for script in tree.iter("script"):
        if "ld+json" not in (script.get("type") or "").lower():
            continue
        raw = script.text or ""
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
    wanted = {url_key(u) for u in page_urls}
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
    return {url_key(u) for u in urls}


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
        name = ld_string(person.get("name") if isinstance(person, dict) else person)
        if name and not name.startswith("http"):
            names.append(name)
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
    return ld_string(value) or None


def ld_string(value: Any) -> str:
    """A JSON-LD string as a reader sees it: HTML entities decoded once, whitespace folded ('' for non-strings)."""
    return " ".join(html.unescape(value).split()) if isinstance(value, str) else ""


def _ld_list(article: dict[str, Any] | None, key: str) -> list[str]:
    value = (article or {}).get(key)
    values = value if isinstance(value, list) else [value]
    return [text for text in map(ld_string, values) if text]


def _ld_keywords(article: dict[str, Any] | None) -> list[str]:
    value = (article or {}).get("keywords")
    if isinstance(value, str):
        return [k.strip() for k in ld_string(value).split(",") if k.strip()]
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


def _meta_tags(tree: HtmlElement) -> _Meta:
    found = _Meta()
    for tag in tree.iter("meta"):
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


def _links(tree: HtmlElement, rel: str) -> Iterator[HtmlElement]:
    for link in tree.iter("link"):
        if rel in (link.get("rel") or "").lower().split() and (link.get("href") or "").strip():
            yield link


def _canonical(tree: HtmlElement, url: str | None) -> str | None:
    link = next(_links(tree, "canonical"), None)
    return absolute_url(link.get("href"), url) if link is not None else None


def absolute_url(link: str | None, base: str | None) -> str | None:
    """A link made absolute against the page's URL; None when it cannot be (no base for a relative link)."""
    if not link or not link.strip():
        return None
    absolute = urljoin(base or "", link.strip())
    return absolute if absolute.startswith(("http://", "https://")) else None


def _translations(tree: HtmlElement, own_urls: set[str]) -> dict[str, str]:
    """The page's hreflang alternates (Wix Multilingual: ?lang=xx or a /xx/ prefix), the page itself left out."""
    found: dict[str, str] = {}
    own = {url_key(u) for u in own_urls}
    base = next(iter(sorted(own_urls)), None)
    for link in _links(tree, "alternate"):
        lang = (link.get("hreflang") or "").strip()
        href = absolute_url(link.get("href"), base)
        if lang and href and lang.lower() != "x-default" and url_key(href) not in own:
            found.setdefault(lang, href)
    return found


def _site_name(meta: _Meta, items: list[dict[str, Any]]) -> str | None:
    if meta.get("og:site_name"):
        return meta["og:site_name"]
    for item in items:
        if ld_types(item) & SITE_TYPES and ld_string(item.get("name")):
            return ld_string(item["name"])
    return None


def _language(tree: HtmlElement, meta: _Meta, article: dict[str, Any] | None) -> str | None:
    value = first_text(_ld_text(article, "inLanguage"), tree.get("lang"), meta.get("og:locale"))
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


def first_text(*values: str | None) -> str | None:
    """The first value that holds text, stripped."""
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
