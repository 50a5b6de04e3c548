"""What every exporter shares: posts streamed in a stable order, safe unique names, writes kept inside OUTDIR."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterator
from urllib.parse import unquote, urlsplit

import sqlite_utils
from slugify import slugify

from scraper.errors import BlogArchiveError
from scraper.models import Post
from scraper.scope import is_media_host

from ..store import load_post, write_atomically

MAX_NAME = 80
# Names Windows refuses whatever the extension; a file called "con.md" cannot even be opened there.
RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}
_UNSAFE_FILE = re.compile(r"[^A-Za-z0-9._-]+")


class ExportError(BlogArchiveError):
    """An export cannot be written (an unusable OUTDIR, an unknown format)."""


@dataclass
class ImageFile:
    src: str
    alt: str | None
    caption: str | None
    local_path: Path | None  # the downloaded copy (crawl --media), if any
    sha256: str | None


@dataclass
class ExportPost:
    """One post as every exporter sees it: the record, its archive row, a unique safe slug, its images."""

    post: Post
    row: dict[str, Any]
    slug: str
    images: list[ImageFile] = field(default_factory=list)

    @property
    def old_path(self) -> str:
        """The post's path on the old site ('/post/my-slug'), for redirects and aliases."""
        return urlsplit(self.post.url or "").path or "/"


def safe_name(text: str | None, *, fallback: str = "post") -> str:
    """A slug that is safe as a file name everywhere: ASCII, no dots or slashes, not reserved, not too long."""
    name = slugify(unquote(text or ""), max_length=MAX_NAME, word_boundary=True) or fallback
    if name in RESERVED:
        name += "-post"
    return name


def unique(name: str, taken: set[str], numbered: Callable[[int], str] | None = None) -> str:
    """name, or its first numbered form (by default 'name-2', 'name-3' …) not taken yet; remembered in taken."""
    numbered = numbered or (lambda n: f"{name[:MAX_NAME - len(str(n)) - 1]}-{n}")
    candidate, n = name, 2
    while candidate in taken:
        candidate = numbered(n)
        n += 1
    taken.add(candidate)
    return candidate


def safe_file_name(name: str, *, default: str = "file") -> str:
    """An image or attachment file name from a URL, made safe (no path, no NUL, not hidden, not too long)."""
    stem, dot, ext = unquote(name).rpartition(".")
    if not dot:
        stem, ext = ext, ""
    stem = _UNSAFE_FILE.sub("-", stem).strip(".-")[:60] or default
    ext = _UNSAFE_FILE.sub("", ext)[:8].lower()
    if stem.lower() in RESERVED:
        stem += "-file"
    return f"{stem}.{ext}" if ext else stem


def post_query(site: str | None, since: str | None) -> tuple[str, list[Any]]:
    where, params = ["1"], []
    if site:
        where.append("(site = ? or site = ?)")
        params += [site.lower(), "www." + site.lower()]
    if since:
        where.append("substr(coalesce(published, updated, first_seen), 1, 10) >= ?")
        params.append(since)
    # A stable order, so that the same archive always gives byte-identical exports.
    order = "order by site, coalesce(published, updated, first_seen), url"
    return f"select * from posts where {' and '.join(where)} {order}", params


def iter_export_posts(db: sqlite_utils.Database, media_root: Path | None, *, site: str | None = None,
                      since: str | None = None) -> Iterator[ExportPost]:
    """Posts one at a time (never all in memory), each with a slug unique within the export."""
    sql, params = post_query(site, since)
    slugs = _slugs(db, sql, params)
    for row in db.query(sql, params):
        post = load_post(db, row)
        images = [ImageFile(r["src"], r["alt"], r["caption"],
                            (media_root / r["local_path"]) if media_root and r["local_path"] else None, r["sha256"])
                  for r in db.query("select * from images where post_id = ? order by position", [row["id"]])]
        yield ExportPost(post, row, slugs[row["id"]], images)


def _slugs(db: sqlite_utils.Database, sql: str, params: list[Any]) -> dict[int, str]:
    """Unique safe slugs, decided in export order before any file is written (ids and slugs only)."""
    taken: set[str] = set()
    return {r["id"]: unique(safe_name(r["slug"] or r["title"]), taken)
            for r in db.query(sql.replace("select *", "select id, slug, title", 1), params)}


class OutDir:
    """The export folder: every path asked for is checked to stay inside it."""

    def __init__(self, path: str | Path):
        self.root = Path(path)
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ExportError(f"cannot create {self.root}: {exc.strerror or exc}") from exc
        if not self.root.is_dir():
            raise ExportError(f"{self.root} is not a folder")
        self.root = self.root.resolve()

    def path(self, *parts: str) -> Path:
        if any("\x00" in part or not part or part in (".", "..") for part in parts):
            raise ExportError(f"refusing an unsafe name in the export: {parts!r}")
        target = self.root.joinpath(*parts).resolve()
        if not target.is_relative_to(self.root):
            raise ExportError(f"refusing to write outside {self.root}: {'/'.join(parts)}")
        return target

    def write(self, data: bytes | str, *parts: str) -> Path:
        target = self.path(*parts)
        write_atomically(target, data.encode("utf-8") if isinstance(data, str) else data)
        return target

    def open(self, *parts: str):
        """A binary file opened for streaming writes (big exports: WXR, JSONL, WARC)."""
        target = self.path(*parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        return target.open("wb")


def parse_iso(value: str | None) -> datetime | None:
    """An ISO 8601 date or datetime as the archive stores it; None if absent or unreadable."""
    if not value or not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.strip())
    except ValueError:
        return None


def first_date(*values: str | None) -> datetime | None:
    for value in values:
        parsed = parse_iso(value)
        if parsed is not None:
            return parsed
    return None


def as_utc(value: datetime) -> datetime:
    """The moment in UTC; a value without an offset (or a bare date) is taken as UTC already."""
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    try:
        return value.astimezone(timezone.utc)
    except OverflowError:
        return value.replace(tzinfo=timezone.utc)


def is_old_host(src: str, host: str) -> bool:
    netloc = urlsplit(src).netloc.lower()
    if not netloc:
        return True  # a relative link only ever worked on the old site
    bare = host.lower().removeprefix("www.")
    return netloc.removeprefix("www.") == bare or is_media_host(src)  # the platform's media vanish with the site


def dumps(data: Any) -> str:
    """Stable JSON: sorted keys, UTF-8, no trailing whitespace."""
    return json.dumps(data, ensure_ascii=False, sort_keys=True)
