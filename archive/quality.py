"""Quality flags on stored posts, so a user sees what to check by hand before a migration."""
from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from typing import Any
from urllib.parse import urlsplit

import sqlite_utils

from scraper.models import Post
from scraper.text import clip

SHORT_BODY_WORDS = 80
MIN_REPEATED_CHARS = 25  # shorter repeats ("Read more", a sign-off) are not worth a flag
REPEAT_SHARE = 0.5  # text on at least half of a site's posts (and on 3 or more) is leaked boilerplate
REPEAT_MIN_POSTS = 3
_NOT_ALNUM = re.compile(r"[^0-9a-z]+")


def post_warnings(post: Post) -> list[str]:
    """Flags one post raises on its own: empty or short body, no date, no author."""
    return basic_warnings(post.title, post.author, post.published, post.updated, post.body_text, len(post.images))


def basic_warnings(title: str | None, author: str | None, published: str | None, updated: str | None,
                   body_text: str | None, image_count: int = 0) -> list[str]:
    flags = []
    words = len((body_text or "").split())
    if words == 0:
        flags.append("empty body (images only)" if image_count else "empty body")
    elif words < SHORT_BODY_WORDS:
        flags.append(f"very short body ({words} words)")
    if not published and not updated:
        flags.append("no date")
    if not author:
        flags.append("no author")
    if not title:
        flags.append("no title")
    return flags


def refresh_warnings(db: sqlite_utils.Database, sites: set[str] | None = None) -> None:
    """Recompute every post's flags, including the ones that need the whole site (repeated text, titles)."""
    if sites is None:
        sites = {r["site"] for r in db.query("select distinct site from posts")}
    with db.atomic():
        for site in sorted(sites):
            _refresh_site(db, site)


SITE_ROWS = ("select p.id, p.title, p.author, p.published, p.updated, p.body_text, "
             "(select count(*) from images i where i.post_id = p.id) as image_count from posts p where p.site = ?")


def _refresh_site(db: sqlite_utils.Database, site: str) -> None:
    """Two streaming passes over the site's posts (never all bodies in memory): count, then flag."""
    total, counts, titles = 0, Counter(), Counter()
    for row in db.query(SITE_ROWS, [site]):
        total += 1
        counts.update(_paragraph_keys(row).keys())
        if row["title"]:
            titles[_key(row["title"])] += 1
    needed = max(REPEAT_MIN_POSTS, REPEAT_SHARE * total)
    repeated = {key: n for key, n in counts.items() if n >= needed} if total >= REPEAT_MIN_POSTS else {}
    del counts
    host = _key(_host_label(site))
    updates = []
    for row in db.query(SITE_ROWS, [site]):
        flags = basic_warnings(row["title"], row["author"], row["published"], row["updated"], row["body_text"],
                               row["image_count"])
        flags += [f"text repeated on {repeated[key]} of {total} posts (boilerplate?): “{clip(text, 60)}”"
                  for key, text in _paragraph_keys(row).items() if key in repeated]
        title_key = _key(row["title"])
        if title_key and title_key == host:
            flags.append("title equals the site name")
        elif title_key and titles[title_key] > 1:
            flags.append(f"title shared by {titles[title_key]} posts (the site name?)")
        updates.append((json.dumps(flags, ensure_ascii=False), row["id"]))
    db.conn.executemany("update posts set warnings = ? where id = ?", updates)


def _paragraph_keys(row: dict[str, Any]) -> dict[str, str]:
    """A short digest of each of the post's longer paragraphs (whitespace and case folded), with its text."""
    keys = {}
    for paragraph in (row["body_text"] or "").split("\n\n"):
        paragraph = paragraph.strip()
        if len(paragraph) >= MIN_REPEATED_CHARS:
            keys.setdefault(hashlib.blake2b(_normal(paragraph).encode(), digest_size=12).hexdigest(), paragraph)
    return keys


def _normal(text: str) -> str:
    return " ".join(text.lower().split())


def _key(text: str | None) -> str:
    return _NOT_ALNUM.sub("", (text or "").lower())


def _host_label(site: str) -> str:
    """'www.wildfloweracupuncture.com' -> 'wildfloweracupuncture'."""
    host = urlsplit("//" + site).hostname or site
    parts = [p for p in host.split(".") if p != "www"]
    return parts[0] if len(parts) > 1 else host


