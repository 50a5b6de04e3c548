"""Ghost's JSON import (Settings > Labs > Import content): one `ghost-import.json` for every exported post,
with `redirects.yaml` beside it (Settings > Labs > Redirects) taking every old address to the new one.

The file is one JSON document, laid out exactly as `json.dumps(doc, sort_keys=True, indent=2)` would lay
it out, but written a post at a time: the posts array is streamed, and only the small things (tags,
users, the links between them and the posts) are kept until the end. Ids are file-local and come from
the archive (posts.id; tags and users numbered in the order they first appear), and
`meta.exported_on` is the newest `last_seen` of the exported posts, so the same archive gives the same
bytes. Ghost has no categories: categories and tags both become Ghost tags (categories first, so a
post's category is its primary tag), merged by slug.

Ghost rolls back the whole import when one value breaks its schema; every limit it enforces is in LIMITS
below, and every value is fitted to it. Links between exported posts point at their Ghost permalink
(`<prefix><slug>/`, Ghost's default being `/<slug>/`); with `--media-url`, downloaded images are copied to
media/ and point at that base. The feature image is not repeated at the top of the body.
"""
from __future__ import annotations

import hashlib
import json
import re
import textwrap
from datetime import datetime
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import quote

import sqlite_utils

from scraper.text import cut_at_word

from .common import (
    Addresses,
    ExportPost,
    MediaCopies,
    OutDir,
    as_utc,
    first_date,
    iter_export_posts,
    new_image,
    parse_iso,
    rewrite_html,
    safe_name,
)
from .redirects import format_redirects, redirects_for
from .summary import ExportSummary

FILE = "ghost-import.json"
REDIRECTS = "redirects.yaml"
GHOST_VERSION = "5.0.0"
# Every limit Ghost's importer enforces on what we write (its schema.js: column sizes and `validations`);
# a value over one rolls back the whole import. Lengths are in characters.
LIMITS: dict[str, dict[str, int]] = {
    "posts": {"id": 24, "title": 255, "slug": 191, "comment_id": 50, "feature_image": 2000, "type": 50,
              "status": 50, "visibility": 50, "custom_excerpt": 300, "canonical_url": 2000, "html": 1_000_000_000},
    "posts_meta": {"feature_image_alt": 191, "feature_image_caption": 65535},
    "tags": {"id": 24, "name": 191, "slug": 191},
    "users": {"id": 24, "name": 191, "slug": 191, "email": 191},
}
# Values Ghost accepts, and what must be unique (tags by slug and by name, users by slug and by email).
CHOICES = {("posts", "type"): {"post", "page"}, ("posts", "status"): {"published", "draft", "scheduled"},
           ("posts", "visibility"): {"public", "members", "paid"}}
UNIQUE = {"posts": ("id", "slug", "comment_id"), "tags": ("id", "slug", "name"), "users": ("id", "slug", "email")}
EXCERPT_LIMIT = LIMITS["posts"]["custom_excerpt"]
INDENT = 2
_LEADING_FIGURE = re.compile(r'^\s*(?:<figure>\s*)?(?:<p>\s*)?<img\b[^>]*?\ssrc="([^"]*)"[^>]*>\s*(?:</p>\s*)?'
                             r"(?:<figcaption>.*?</figcaption>\s*)?(?:</figure>\s*)?", re.S)


def ghost_date(value: datetime | None) -> str | None:
    """ISO 8601 in UTC with milliseconds and Z, as Ghost writes its own exports."""
    if value is None:
        return None
    moment = as_utc(value)
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + f".{moment.microsecond // 1000:03d}Z"


def epoch_ms(value: str | None) -> int:
    parsed = parse_iso(value)
    if parsed is None:
        return 0
    moment = as_utc(parsed)
    return (moment.toordinal() - 719163) * 86_400_000 + (
        moment.hour * 3600 + moment.minute * 60 + moment.second) * 1000 + moment.microsecond // 1000


def cut_excerpt(text: str | None, limit: int = EXCERPT_LIMIT) -> str | None:
    """The excerpt within Ghost's limit, cut at a word with an ellipsis when it is too long."""
    return cut_at_word(text, limit) if text and text.strip() else None


def fit(text: str | None, table: str, column: str) -> str | None:
    """text within LIMITS[table][column], cut with an ellipsis when it is longer; None stays None."""
    if text is None:
        return None
    limit = LIMITS[table][column]
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "\u2026"


def comment_id(url: str | None) -> str:
    """A short id, the same for the same original URL in every export (Ghost keeps it for comment systems)."""
    return hashlib.sha256((url or "").encode("utf-8")).hexdigest()[:24]


def tag_name(name: str) -> str:
    """A tag name Ghost takes as a public tag: no leading ',' (refused) or '#' (an internal, hidden tag)."""
    return " ".join(name.split()).lstrip(",#").strip()


class _Collector:
    """Tags, users and the links between them and posts: the small part of the document, kept in memory."""

    def __init__(self) -> None:
        self.tags: dict[str, dict[str, str]] = {}  # slug -> tag
        self.tag_names: set[str] = set()  # lower-cased: Ghost also finds an existing tag by its name
        self.users: dict[str, dict[str, str]] = {}  # slug -> user
        self.posts_tags: list[dict[str, Any]] = []
        self.posts_authors: list[dict[str, Any]] = []
        self.posts_meta: list[dict[str, Any]] = []

    def tag_id(self, name: str) -> str | None:
        name = tag_name(name)
        if not name:
            return None
        slug = fit(safe_name(name, fallback="tag"), "tags", "slug")
        if slug not in self.tags:
            shown, n = fit(name, "tags", "name"), 2
            while shown.lower() in self.tag_names:  # two long names the same once cut to the limit
                shown = fit(name, "tags", "name")[:LIMITS["tags"]["name"] - 8] + f" ({n})"
                n += 1
            self.tag_names.add(shown.lower())
            self.tags[slug] = {"id": str(len(self.tags) + 1), "name": shown, "slug": slug}
        return self.tags[slug]["id"]

    def user_id(self, name: str) -> str:
        slug = fit(safe_name(name, fallback="author"), "users", "slug")
        if slug not in self.users:
            self.users[slug] = {"id": str(len(self.users) + 1), "name": fit(" ".join(name.split()), "users", "name"),
                                "slug": slug, "email": fit(f"{slug}@example.invalid", "users", "email")}
        return self.users[slug]["id"]


def drop_leading_image(html: str, src: str) -> str:
    """The body without its first image when that image opens the body and is the feature image."""
    match = _LEADING_FIGURE.match(html)
    if match and unescape(match.group(1)) == src:
        return html[match.end():]
    return html


def ghost_post(item: ExportPost, links: _Collector, addresses: Addresses) -> dict[str, Any]:
    post, row = item.post, item.row
    post_id = str(row["id"])
    published = first_date(post.published, post.updated, row["first_seen"])
    updated = first_date(post.updated, post.published, row["first_seen"])
    feature = item.images[0] if item.images else None
    feature_src = new_image(item, feature.src, addresses) if feature else None
    if feature_src and len(feature_src) > LIMITS["posts"]["feature_image"]:
        feature, feature_src = None, None
    html = rewrite_html(item, post.body_html, addresses)
    if feature_src:
        html = drop_leading_image(html, feature_src)
    record = {
        "id": post_id,
        "title": fit(post.title or item.slug, "posts", "title"),
        "slug": fit(item.slug, "posts", "slug"),
        "html": html,
        "comment_id": comment_id(post.url),
        "feature_image": feature_src,
        "type": "post",
        "status": "published",
        "visibility": "public",
        "created_at": ghost_date(published),
        "updated_at": ghost_date(updated),
        "published_at": ghost_date(published),
        "custom_excerpt": cut_excerpt(post.excerpt),
    }
    tag_ids: list[str] = []
    for name in [*post.categories, *post.tags]:
        tag_id = links.tag_id(name)
        if tag_id and tag_id not in tag_ids:
            tag_ids.append(tag_id)
    links.posts_tags += [{"post_id": post_id, "tag_id": t, "sort_order": n} for n, t in enumerate(tag_ids)]
    if post.author and post.author.strip():
        links.posts_authors.append({"post_id": post_id, "author_id": links.user_id(post.author), "sort_order": 0})
    if feature:
        links.posts_meta.append({"post_id": post_id,
                                 "feature_image_alt": fit(feature.alt, "posts_meta", "feature_image_alt")
                                 if feature.alt else None,
                                 "feature_image_caption": fit(feature.caption, "posts_meta", "feature_image_caption")})
    return record


def _dump(value: Any, level: int) -> str:
    """`value` as json.dumps(indent=2, sort_keys=True) writes it `level` levels deep in the document."""
    return textwrap.indent(json.dumps(value, ensure_ascii=False, sort_keys=True, indent=INDENT),
                           " " * (INDENT * level)).lstrip(" ")


def export(db: sqlite_utils.Database, out: OutDir, *, site: str | None, since: str | None,
           media_root: Path | None, media_url: str | None = None, prefix: str = "/") -> ExportSummary:
    summary = ExportSummary()
    links = _Collector()
    copies = MediaCopies(out, "media", media_root, summary)
    redirects: list[str] = []
    seen: set[tuple[str, str]] = set()
    newest = 0
    pad = " " * (INDENT * 3)
    with out.open(FILE) as handle:
        handle.write(b'{\n  "data": {\n    "posts": [')
        for item in iter_export_posts(db, media_root, site=site, since=since):
            media = copies.images(item, lambda name: media_url + quote(name)) if media_url else (lambda src: None)
            addresses = Addresses(post=lambda slug: f"{prefix}{quote(slug)}/", image=media)
            record = ghost_post(item, links, addresses)
            handle.write(((",\n" if summary.posts else "\n") + pad + _dump(record, 3)).encode("utf-8"))
            redirects += redirects_for(item, f"{prefix}{quote(item.slug)}/", seen)
            summary.add(item)
            newest = max(newest, epoch_ms(item.row["last_seen"] or item.row["first_seen"]))
        handle.write(("\n    ]" if summary.posts else "]").encode("utf-8"))
        rest = {"posts_authors": links.posts_authors, "posts_meta": links.posts_meta,
                "posts_tags": links.posts_tags, "tags": list(links.tags.values()),
                "users": list(links.users.values())}
        for key in sorted(rest):
            handle.write(f',\n    "{key}": {_dump(rest[key], 2)}'.encode("utf-8"))
        meta = {"exported_on": newest, "version": GHOST_VERSION}
        handle.write(f'\n  }},\n  "meta": {_dump(meta, 1)}\n}}\n'.encode("utf-8"))
    summary.files.append(FILE)
    out.write(format_redirects(redirects, "ghost"), REDIRECTS)
    summary.files.append(REDIRECTS)
    images = summary.old_images()
    if images:
        summary.warnings.append(
            f"{FILE}: {images} images still point at the old site or the Wix media host; Ghost links to them as "
            "they are: run 'crawl --media', then export with --media-url and upload media/ there")
    return summary
