"""Post images downloaded once each into a content-addressed folder next to the archive (`crawl --media`).

A file is kept only when its bytes are a raster image, a video, audio or a PDF (sniff_media), and it is
named after what its bytes are, never after its URL or the server's Content-Type: a hostile site's "image"
that is really HTML, script or SVG is never saved, so it can never be served or exported as a page.
"""
from __future__ import annotations

import errno
import logging
from dataclasses import dataclass, field
from pathlib import Path

import sqlite_utils

from scraper.errors import ArchiveError, FetchError
from scraper.fetch import Fetcher
from scraper.scope import Scope

from .mediatypes import SNIFF_BYTES, sniff_media
from .store import body_sha256, write_atomically

logger = logging.getLogger(__name__)

@dataclass
class MediaSummary:
    downloaded: int = 0
    reused: int = 0  # images already on disk (shared by several posts, or fetched by an earlier run)
    failed: list[tuple[str, str]] = field(default_factory=list)  # could not be fetched: the next run tries again
    refused: list[tuple[str, str]] = field(default_factory=list)  # fetched, but their bytes are not media
    out_of_scope: int = 0


def in_scope(src: str, post_url: str) -> bool:
    """True when src is on the post's own site or one of the platforms' media hosts."""
    return Scope(post_url, media=True).allows(src)


def download_media(db: sqlite_utils.Database, fetcher: Fetcher, media_dir: Path) -> MediaSummary:
    """Fetch every image not yet on disk, once per URL, and record images.local_path and images.sha256.

    ArchiveError when a file cannot be written (a full disk): files written so far stay, none is partial.
    """
    summary = MediaSummary()
    rows = db.query("select i.src, min(p.url) as post_url, max(i.local_path) as local_path from images i "
                    "join posts p on p.id = i.post_id group by i.src order by i.src")
    for row in list(rows):
        src = row["src"]
        if row["local_path"] and _kept_copy(db, src, row["local_path"], media_dir):
            _record(db, src, row["local_path"], None)
            summary.reused += 1
            continue
        scope = Scope(row["post_url"], media=True)
        if not scope.allows(src):
            summary.out_of_scope += 1
            continue
        try:
            result = fetcher.fetch(src, scope=scope)
        except FetchError as exc:
            summary.failed.append((src, str(exc)))
            continue
        extension = sniff_media(result.body)
        if extension is None:
            summary.refused.append((src, f"not saved: its bytes are not an image, video, audio or PDF "
                                        f"({result.content_type or 'no type'} {_first_bytes(result.body)})"))
            continue
        sha = body_sha256(result.body)
        target = media_dir / sha[:2] / (sha + extension)
        if not target.exists():
            _write(target, result.body)
            summary.downloaded += 1
        else:
            summary.reused += 1
        _record(db, src, target.relative_to(media_dir.parent).as_posix(), sha)
    return summary


def _kept_copy(db: sqlite_utils.Database, src: str, local_path: str, media_dir: Path) -> bool:
    """True when the recorded copy exists and is media named for what it is; a copy from before sniffing
    (an "image" that was HTML, or a misnamed one) is forgotten and deleted, so it is fetched and checked again."""
    path = media_dir.parent / local_path
    if not path.is_file():
        return False
    with path.open("rb") as handle:
        extension = sniff_media(handle.read(SNIFF_BYTES))
    if extension is not None and path.suffix == extension:
        return True
    with db.atomic():
        db.execute("update images set local_path = null, sha256 = null where local_path = ?", [local_path])
    if path.resolve().is_relative_to(media_dir.resolve()):
        path.unlink(missing_ok=True)
    return False


def _write(target: Path, data: bytes) -> None:
    try:
        write_atomically(target, data)
    except OSError as exc:
        reason = "the disk is full" if exc.errno in (errno.ENOSPC, errno.EDQUOT) else (exc.strerror or str(exc))
        raise ArchiveError(f"cannot save media file {target}: {reason}") from exc


def _record(db: sqlite_utils.Database, src: str, local_path: str, sha: str | None) -> None:
    with db.atomic():
        if sha:
            db.execute("update images set local_path = ?, sha256 = ? where src = ?", [local_path, sha, src])
        else:
            db.execute("update images set local_path = ? where src = ? and local_path is null", [local_path, src])


def _first_bytes(data: bytes) -> str:
    """The start of a refused file, printable, to say what it was instead."""
    head = data[:16].decode("ascii", errors="replace")
    return repr("".join(c if c.isprintable() else "." for c in head))
