"""Ghost's JSON import (Settings > Labs > Import content): one `ghost-import.json` for every exported post.

The file is one JSON document, laid out exactly as `json.dumps(doc, sort_keys=True, indent=2)` would lay
it out, but written a post at a time: the posts array is streamed, and only the small things (tags,
users, the links between them and the posts) are kept until the end. Ids are file-local and come from
the archive (posts.id; tags and users numbered in the order they first appear), and
`meta.exported_on` is the newest `last_seen` of the exported posts, so the same archive gives the same
bytes. Ghost has no categories: categories and tags both become Ghost tags (categories first, so a
post's category is its primary tag), merged by slug.
"""
from __future__ import annotations

import json
import textwrap
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlite_utils

from scraper.text import cut_at_word

from .common import ExportPost, OutDir, as_utc, first_date, is_old_host, iter_export_posts, parse_iso, safe_name
from .summary import ExportSummary

FILE = "ghost-import.json"
GHOST_VERSION = "5.0.0"
EXCERPT_LIMIT = 300  # Ghost refuses a longer custom_excerpt
TITLE_LIMIT = 255
SHORT_LIMIT = 191  # tag and user names, feature_image_alt
INDENT = 2


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


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "\u2026"


class _Collector:
    """Tags, users and the links between them and posts: the small part of the document, kept in memory."""

    def __init__(self) -> None:
        self.tags: dict[str, dict[str, str]] = {}  # slug -> tag
        self.users: dict[str, dict[str, str]] = {}  # slug -> user
        self.posts_tags: list[dict[str, Any]] = []
        self.posts_authors: list[dict[str, Any]] = []
        self.posts_meta: list[dict[str, Any]] = []

    def tag_id(self, name: str) -> str:
        slug = safe_name(name, fallback="tag")
        if slug not in self.tags:
            self.tags[slug] = {"id": str(len(self.tags) + 1), "name": _short(name.strip() or slug, SHORT_LIMIT),
                               "slug": slug}
        return self.tags[slug]["id"]

    def user_id(self, name: str) -> str:
        slug = safe_name(name, fallback="author")
        if slug not in self.users:
            self.users[slug] = {"id": str(len(self.users) + 1), "name": _short(name.strip(), SHORT_LIMIT),
                                "slug": slug, "email": f"{slug}@example.invalid"}
        return self.users[slug]["id"]


def ghost_post(item: ExportPost, links: _Collector) -> dict[str, Any]:
    post, row = item.post, item.row
    post_id = str(row["id"])
    published = first_date(post.published, post.updated, row["first_seen"])
    updated = first_date(post.updated, post.published, row["first_seen"])
    feature = item.images[0] if item.images else None
    record = {
        "id": post_id,
        "title": _short(post.title or item.slug, TITLE_LIMIT),
        "slug": item.slug,
        "html": post.body_html,
        "comment_id": post.url,
        "feature_image": feature.src if feature else None,
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
        if tag_id not in tag_ids:
            tag_ids.append(tag_id)
    links.posts_tags += [{"post_id": post_id, "tag_id": t, "sort_order": n} for n, t in enumerate(tag_ids)]
    if post.author and post.author.strip():
        links.posts_authors.append({"post_id": post_id, "author_id": links.user_id(post.author), "sort_order": 0})
    if feature:
        links.posts_meta.append({"post_id": post_id,
                                 "feature_image_alt": _short(feature.alt, SHORT_LIMIT) if feature.alt else None,
                                 "feature_image_caption": feature.caption})
    return record


def _dump(value: Any, level: int) -> str:
    """`value` as json.dumps(indent=2, sort_keys=True) writes it `level` levels deep in the document."""
    return textwrap.indent(json.dumps(value, ensure_ascii=False, sort_keys=True, indent=INDENT),
                           " " * (INDENT * level)).lstrip(" ")


def export(db: sqlite_utils.Database, out: OutDir, *, site: str | None, since: str | None,
           media_root: Path | None) -> ExportSummary:
    summary = ExportSummary()
    links = _Collector()
    newest = 0
    old_host = 0
    pad = " " * (INDENT * 3)
    with out.open(FILE) as handle:
        handle.write(b'{\n  "data": {\n    "posts": [')
        for item in iter_export_posts(db, media_root, site=site, since=since):
            record = ghost_post(item, links)
            handle.write(((",\n" if summary.posts else "\n") + pad + _dump(record, 3)).encode("utf-8"))
            summary.posts += 1
            newest = max(newest, epoch_ms(item.row["last_seen"] or item.row["first_seen"]))
            if item.images and is_old_host(item.images[0].src, item.row["site"]):
                old_host += 1
        handle.write(("\n    ]" if summary.posts else "]").encode("utf-8"))
        rest = {"posts_authors": links.posts_authors, "posts_meta": links.posts_meta,
                "posts_tags": links.posts_tags, "tags": list(links.tags.values()),
                "users": list(links.users.values())}
        for key in sorted(rest):
            handle.write(f',\n    "{key}": {_dump(rest[key], 2)}'.encode("utf-8"))
        meta = {"exported_on": newest, "version": GHOST_VERSION}
        handle.write(f'\n  }},\n  "meta": {_dump(meta, 1)}\n}}\n'.encode("utf-8"))
    summary.files.append(FILE)
    if old_host:
        summary.warnings.append(
            f"{FILE}: {old_host} feature images (and the images in those posts' HTML) still point at the old "
            "site or the Wix media host; Ghost links to them as they are, so upload copies before the old "
            "site goes away")
    return summary
