"""Import saved pages or text dumps, re-extract stored pages, and the summary every run reports."""
from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import sqlite_utils

from scraper.encoding import decode_body, looks_binary
from scraper.errors import ArchiveError, ExtractionError, NotAPostError
from scraper.extract import extract_post
from scraper.models import Post
from scraper.text import plural
from scraper.textdump import parse_text
from scraper.urls import preferred_url

from .quality import refresh_warnings
from .store import Capture, load_post, now_iso, page_body, post_by_address, save_post, site_of

logger = logging.getLogger(__name__)

HTML_TYPES = ("text/html", "application/xhtml+xml")
TEXT_SUFFIXES = {".txt", ".text"}
HTML_SUFFIXES = {".html", ".htm", ".xhtml", ".shtml"}
Progress = Callable[[str], None]


@dataclass
class RunSummary:
    """What one crawl or import did, URL by URL."""

    new: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    gone: list[str] = field(default_factory=list)  # posts that left the site: marked, never deleted
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (url, reason): not posts, robots
    failed: list[tuple[str, str]] = field(default_factory=list)  # (url, reason)
    warnings: list[str] = field(default_factory=list)  # e.g. a sitemap that could not be read

    def changed_sites(self) -> set[str]:
        """Hosts whose posts were added or changed: the only ones whose quality flags can have moved."""
        return {site_of(url) for url in self.new + self.changed}

    def record(self, outcome: str, url: str) -> None:
        getattr(self, outcome).append(url)

    @property
    def saved(self) -> int:
        return len(self.new) + len(self.changed) + len(self.unchanged)

    def line(self) -> str:
        line = (f"{len(self.new)} new, {len(self.changed)} changed, {len(self.unchanged)} unchanged, "
                f"{len(self.gone)} gone, {len(self.skipped)} skipped, {len(self.failed)} failed")
        return line + (f" ({plural(len(self.warnings), 'warning')}: the inventory may be incomplete)"
                       if self.warnings else "")


def read_file(path: Path, *, url: str | None = None) -> tuple[Post, Capture]:
    """Turn a saved HTML page or a plain-text dump into a Post and the raw capture to keep."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ArchiveError(f"cannot read {path}: {exc.strerror or exc}") from exc
    if looks_binary(raw):
        raise NotAPostError(f"{path.name} is not an HTML page or a text dump")
    suffix = path.suffix.lower()
    is_html = suffix in HTML_SUFFIXES or (suffix not in TEXT_SUFFIXES and decode_body(raw).lstrip()[:1] == "<")
    content_type = "text/html" if is_html else "text/plain"
    post = extract_capture(raw, content_type, url)
    post.url = url or post.canonical_url or path.resolve().as_uri()
    capture = Capture(url=post.url, body=raw, fetched_at=now_iso(), content_type=content_type)
    return post, capture


def import_files(db: sqlite_utils.Database, paths: list[Path], *, url: str | None = None,
                 progress: Progress | None = None) -> RunSummary:
    """Import saved pages / text dumps; a file that is not a post is reported and skipped."""
    summary = RunSummary()
    for path in paths:
        try:
            post, capture = read_file(path, url=url)
        except NotAPostError as exc:
            summary.skipped.append((str(path), str(exc)))
        except ExtractionError as exc:
            summary.failed.append((str(path), str(exc)))
        else:
            summary.record(save_post(db, post, capture=capture), post.url)
        if progress:
            progress(str(path))
    refresh_warnings(db, summary.changed_sites())
    return summary


@dataclass
class ReextractSummary:
    """What re-running the extractor over the stored raw pages changed, field by field."""

    run: RunSummary = field(default_factory=RunSummary)
    fields: Counter = field(default_factory=Counter)  # field name -> posts whose value changed

    def lines(self) -> list[str]:
        changed = [f"  {name}: {plural(count, 'post')}" for name, count in sorted(self.fields.items())]
        return [self.run.line()] + (["fields changed:"] + changed if changed else [])


def reextract(db: sqlite_utils.Database, *, progress: Progress | None = None) -> ReextractSummary:
    """Run the current extractor over the newest raw capture of every URL, offline; changed posts keep a version."""
    summary = ReextractSummary()
    # Oldest capture first: where one post was captured at several addresses, its newest capture is saved last.
    urls = [r["url"] for r in db.query("select url from pages group by url order by max(fetched_at), url")]
    for url in urls:
        _reextract_url(db, url, summary)
        if progress:
            progress(url)
    refresh_warnings(db, summary.run.changed_sites())
    return summary


def _reextract_url(db: sqlite_utils.Database, url: str, summary: ReextractSummary) -> None:
    page = _newest_capture(db, url)
    existing = post_by_address(db, url)
    try:
        post = extract_capture(page_body(db, page), page["content_type"], url)
    except ExtractionError as exc:
        if existing is not None:  # never drop a post because today's extractor disagrees
            summary.run.failed.append((url, f"kept the stored post: {exc}"))
        return
    if url.startswith(("http://", "https://")):  # one post, one row, as a crawl files it
        post.url = preferred_url(url, post.canonical_url)
        post.aliases = [url] if post.url != url else []
        existing = existing or post_by_address(db, post.url)
    if existing is not None:
        old = load_post(db, existing).to_dict()
        summary.fields.update(name for name, value in post.to_dict().items() if old[name] != value)
    summary.run.record(save_post(db, post, seen_at=existing["last_seen"] if existing else page["fetched_at"]),
                       post.url)


def _newest_capture(db: sqlite_utils.Database, url: str) -> dict | None:
    return next(db.query("select * from pages where url = ? order by fetched_at desc, id desc limit 1", [url]), None)


def extract_capture(body: bytes, content_type: str | None, url: str | None) -> Post:
    """A stored raw page back into a Post: text dumps through parse_text, everything else as HTML."""
    text = decode_body(body, content_type)
    if (content_type or "").startswith("text/plain"):
        return parse_text(text, url)
    return extract_post(text, url)


def check_files(paths: list[Path]) -> None:
    """Fail before anything is written if a file is missing or unreadable."""
    for path in paths:
        if not path.exists():
            raise ArchiveError(f"no such file: {path}")
        if path.is_dir():
            raise ArchiveError(f"{path} is a directory; give the page files themselves")
