"""Post images downloaded once each into a content-addressed folder next to the archive (`crawl --media`)."""
from __future__ import annotations

import logging
import mimetypes
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import sqlite_utils

from scraper.errors import FetchError
from scraper.fetch import Fetcher
from scraper.urls import same_site

from .store import body_sha256, write_atomically

logger = logging.getLogger(__name__)

# The only hosts besides a post's own site that images are fetched from: where the platforms keep them.
MEDIA_HOSTS = frozenset({"static.wixstatic.com", "video.wixstatic.com", "images.squarespace-cdn.com",
                         "static1.squarespace.com", "i0.wp.com", "i1.wp.com", "i2.wp.com"})
IMAGE_TYPES = ("image/", "video/", "application/octet-stream")


@dataclass
class MediaSummary:
    downloaded: int = 0
    reused: int = 0  # images already on disk (shared by several posts, or fetched by an earlier run)
    failed: list[tuple[str, str]] = field(default_factory=list)
    out_of_scope: int = 0


def media_dir_for(db_path: str | Path) -> Path:
    path = Path(db_path)
    return path.with_name(path.stem + "-media")


def in_scope(src: str, post_url: str) -> bool:
    host = (urlsplit(src).hostname or "").lower()
    return host in MEDIA_HOSTS or same_site(src, post_url)


def download_media(db: sqlite_utils.Database, fetcher: Fetcher, media_dir: Path) -> MediaSummary:
    """Fetch every image not yet on disk, once per URL, and record images.local_path and images.sha256."""
    summary = MediaSummary()
    rows = db.query("select i.src, min(p.url) as post_url, max(i.local_path) as local_path from images i "
                    "join posts p on p.id = i.post_id group by i.src order by i.src")
    for row in list(rows):
        src = row["src"]
        if row["local_path"] and (media_dir.parent / row["local_path"]).exists():
            _record(db, src, row["local_path"], None)
            summary.reused += 1
            continue
        if not in_scope(src, row["post_url"]):
            summary.out_of_scope += 1
            continue
        try:
            result = fetcher.fetch(src)
        except FetchError as exc:
            summary.failed.append((src, str(exc)))
            continue
        content_type = (result.content_type or "").split(";")[0].strip().lower()
        if content_type and not content_type.startswith(IMAGE_TYPES):
            summary.failed.append((src, f"not an image ({content_type})"))
            continue
        sha = body_sha256(result.body)
        target = media_dir / sha[:2] / (sha + _extension(src, content_type))
        if not target.exists():
            write_atomically(target, result.body)
            summary.downloaded += 1
        else:
            summary.reused += 1
        _record(db, src, target.relative_to(media_dir.parent).as_posix(), sha)
    return summary


def _record(db: sqlite_utils.Database, src: str, local_path: str, sha: str | None) -> None:
    with db.atomic():
        if sha:
            db.execute("update images set local_path = ?, sha256 = ? where src = ?", [local_path, sha, src])
        else:
            db.execute("update images set local_path = ? where src = ? and local_path is null", [local_path, src])


def _extension(src: str, content_type: str) -> str:
    suffix = Path(urlsplit(src).path).suffix.lower()
    if suffix and len(suffix) <= 6 and suffix[1:].isalnum():
        return suffix
    return mimetypes.guess_extension(content_type or "") or ".bin"
