"""The SQLite archive: its shape, and saving / reading posts and raw page captures. No HTTP here."""
from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import sqlite3
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterator
from urllib.parse import urlsplit

import sqlite_utils

from scraper.errors import ArchiveError
from scraper.models import Image, Post, Section
from scraper.urls import normalize_url, slug_from_url

from . import captures
from .dbfile import (
    APPLICATION_ID,
    ArchiveDatabase,
    FileFacts,
    check_integrity,
    connect,
    is_busy,
    read_facts,
    read_only_reason,
)
from .quality import post_warnings
from .search import ensure_index, rebuild_index

MMAP_BYTES = 1024 * 1024 * 1024  # address space only: pages are read in as touched
IMAGE_COLUMNS = {"post_id": int, "position": int, "src": str, "alt": str, "caption": str, "local_path": str,
                 "sha256": str}
POST_COLUMNS = {
    "id": int, "url": str, "site": str, "slug": str, "title": str, "author": str, "published": str,
    "updated": str, "excerpt": str, "body_text": str, "body_html": str, "content_hash": str, "status": str,
    "first_seen": str, "last_seen": str, "canonical_url": str, "language": str, "warnings": str,
    "author_url": str, "lastmod": str, "gone_at": str, "headings": str, "author_account": str,
    "translations": str,
}
RUN_COLUMNS = {"id": int, "site": str, "started_at": str, "finished_at": str, "new": int, "changed": int,
               "unchanged": int, "gone": int, "skipped": int, "failed": int, "warnings": str,
               "pid": int}  # the crawling process: an unfinished run whose process lives is running, not killed
# What an archive made before marks had from the start: an unmarked file with these is adopted, others are refused.
FIRST_POST_COLUMNS = {"id", "url", "site", "slug", "title", "author", "published", "updated", "excerpt", "body_text",
                      "body_html", "content_hash", "status", "first_seen", "last_seen", "canonical_url", "language"}
ARCHIVE_TABLES = {"posts", "sections", "images", "aliases", "tags", "pages", "versions", "runs", "crawl_log",
                  "dictionaries"}
# A raw capture: its HTTP facts, its exact bytes' SHA-256, and its body as stored (see archive/captures.py: `codec`,
# what it was compressed against, `chain`, and `size`, the length of the exact bytes).
PAGE_COLUMNS = {"id": int, "url": str, "fetched_at": str, "status_code": int, "content_type": str, "etag": str,
                "last_modified": str, "sha256": str, "body": bytes, "site": str, "codec": str, "size": int,
                "dictionary_id": int, "base_id": int, "chain": int}
CONVERT_BATCH = 16  # zlib captures converted per transaction (~16 MB of Wix pages, well under a second)
VACUUM_FREE_PAGES = 256  # free pages (1 MB) below which a file is not worth copying to give them back
logger = logging.getLogger(__name__)
_FTS_TABLE = re.compile(r"^(posts|sections)_fts(_(data|idx|docsize|config|content))?$")


@dataclass
class Capture:
    """A raw page as it was fetched or read from a file, kept so extraction can be re-run offline."""

    url: str
    body: bytes
    fetched_at: str
    status_code: int | None = None
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def open_archive(path: str | Path, *, create: bool = True, write: bool | None = None) -> sqlite_utils.Database:
    """Open an archive to write into (creating it if `create`), or only to read it.

    `write` defaults to `create`, so `create=False` opens read-only: that works on a read-only file or disk,
    and never changes the file. Before a writer's first write the file must carry the archive's mark (or be an
    unmarked archive made before marks, or a new or empty file), pass SQLite's quick_check and be writable;
    then it is brought to SCHEMA_VERSION and its search index made whole, in one transaction. Anything else is
    refused with the file left byte for byte as it was.
    """
    path = Path(path)
    write = create if write is None else write
    if create and not write:
        raise ValueError("an archive can only be created to be written")
    _check_path(path, create=create)
    if not write:
        db = connect(path, write=False)
        _check_is_archive(db, path, empty_ok=False)
        return db
    if path.exists() and path.stat().st_size:
        reader = connect(path, write=False)
        try:
            _check_is_archive(reader, path, empty_ok=True)
            check_integrity(reader, path)
        finally:
            reader.close()
    reason = read_only_reason(path)
    if reason:
        raise ArchiveError(f"{path} {reason}: cannot write to it (list, show, search, serve and export still read it)")
    db = connect(path, write=True)
    upgrade(db)
    convert_captures(db)
    return db


def _check_path(path: Path, *, create: bool) -> None:
    if path.is_dir():
        raise ArchiveError(f"{path} is a directory, not an archive file")
    if not path.exists():
        if not create:
            raise ArchiveError(f"no archive at {path} (run 'blog-archive crawl' or 'import' first)")
        if not path.parent.exists():
            raise ArchiveError(f"folder {path.parent} does not exist")
    elif path.stat().st_size:
        header = _header(path)
        if not header.startswith(b"SQLite format 3\x00"):
            raise ArchiveError(f"{path} is not a blog-archive database (not an SQLite file)")
        marked = int.from_bytes(header[68:72], "big")  # PRAGMA application_id, read without SQLite touching it
        if marked and marked != APPLICATION_ID:
            raise ArchiveError(f"{path} is not a blog-archive database (it is marked as another program's: "
                               f"application_id {marked})")


def _check_is_archive(db: sqlite_utils.Database, path: Path, *, empty_ok: bool) -> FileFacts:
    """The file's mark and tables say it is an archive this version can use; ArchiveError if not."""
    try:
        facts = read_facts(db)
    except sqlite3.DatabaseError as exc:
        raise ArchiveError(f"{path} cannot be opened as a database: {exc}") from exc
    if facts.application_id == APPLICATION_ID:
        if facts.version > SCHEMA_VERSION:
            raise ArchiveError(f"{path} was written by a newer blog-archive (schema version {facts.version}, this "
                               f"one knows up to {SCHEMA_VERSION}): upgrade blog-archive to use it")
        return facts
    not_ours = f"{path} is not a blog-archive database"
    if facts.application_id:
        raise ArchiveError(f"{not_ours} (it is marked as another program's: application_id {facts.application_id})")
    tables = {t for t in facts.tables if not t.startswith("sqlite_")}
    if not tables:
        if empty_ok:  # new, or a creation killed before its one transaction committed
            return facts
        raise ArchiveError(f"{not_ours} (it is empty)")
    if "posts" not in tables:
        raise ArchiveError(f"{not_ours} (no posts table)")
    foreign = sorted(t for t in tables if t not in ARCHIVE_TABLES and not _FTS_TABLE.match(t))
    if foreign or not FIRST_POST_COLUMNS <= facts.post_columns:
        what = f"tables an archive never has: {', '.join(foreign[:5])}" if foreign else "its posts table is not an archive's"
        raise ArchiveError(f"{not_ours} (no blog-archive mark, and {what})")
    return facts  # an archive made before marks: the first writer marks it


def enable_fast_reads(db: sqlite_utils.Database) -> sqlite_utils.Database:
    """Map the file into memory for read-heavy work (search, serve): pages are read without a copy.

    Not for crawls and exports, whose peak memory would then grow with the archive's size.
    """
    db.execute(f"pragma mmap_size = {MMAP_BYTES}")
    return db


def _header(path: Path) -> bytes:
    """The first 100 bytes of the file: SQLite's database header."""
    try:
        with path.open("rb") as handle:
            return handle.read(100)
    except OSError as exc:
        raise ArchiveError(f"cannot read {path}: {exc.strerror or exc}") from exc


def upgrade(db: ArchiveDatabase) -> None:
    """Bring a writer's archive to SCHEMA_VERSION, with every table, column and index and a whole search index.

    One transaction, read again under the write lock (another writer may just have done it): a kill leaves the
    file as it was or fully upgraded, and a new archive never exists without its search triggers.
    """
    try:
        db.use_wal()
        with db.atomic():
            facts = read_facts(db)
            _create_tables(db)
            for number, step in MIGRATIONS:
                if number > facts.version:
                    step(db)
            ensure_index(db)
            if facts.version != SCHEMA_VERSION:
                db.execute(f"pragma user_version = {SCHEMA_VERSION}")
            if facts.application_id != APPLICATION_ID:
                db.execute(f"pragma application_id = {APPLICATION_ID}")
    except sqlite3.DatabaseError as exc:
        raise ArchiveError(f"cannot set up the archive: {exc}") from exc


def _reindex_unmarked(db: sqlite_utils.Database) -> None:
    """Version 1, the first marked one. An unmarked archive may have lost search triggers to a kill while it was
    being created (issue 11) and silently missed changes since: its index is rebuilt once from the tables."""
    rebuild_index(db)


def _captures_become_zstd(db: sqlite_utils.Database) -> None:
    """Version 2: captures are stored with zstd (archive/captures.py), each row naming its codec. Rows stored
    before keep their zlib bodies (codec NULL, readable as they are) and are converted after the upgrade, in short
    transactions (convert_captures): too many bytes for this one. This index finds the rows left to convert."""
    db.execute("create index if not exists pages_zlib on pages(id) where codec is null")


# Schema versions (PRAGMA user_version) and the step that brings an archive to each, applied in order, each
# in the one upgrade transaction. Tables, columns and indexes that are only added need no step (_create_tables
# adds what is missing on every writer's open); a step converts what is already stored. Never change a released
# step: add the next one.
MIGRATIONS: tuple[tuple[int, Callable[[sqlite_utils.Database], None]], ...] = (
    (1, _reindex_unmarked),
    (2, _captures_become_zstd),
)
SCHEMA_VERSION = MIGRATIONS[-1][0]


def _create_tables(db: sqlite_utils.Database) -> None:
    db["posts"].create(POST_COLUMNS, pk="id", not_null={"url"}, if_not_exists=True)
    _add_missing_columns(db["posts"], POST_COLUMNS)
    db["posts"].create_index(["url"], unique=True, if_not_exists=True)
    db["posts"].create_index(["slug"], if_not_exists=True)
    db["sections"].create({"post_id": int, "position": int, "heading": str, "level": int, "text": str,
                           "html": str}, pk=("post_id", "position"), foreign_keys=[("post_id", "posts", "id")],
                          if_not_exists=True)
    db["images"].create(IMAGE_COLUMNS, pk=("post_id", "position"), foreign_keys=[("post_id", "posts", "id")],
                        if_not_exists=True)
    _add_missing_columns(db["images"], IMAGE_COLUMNS)
    db["images"].create_index(["src"], if_not_exists=True)
    # Other URLs that gave the same post (an old /single-post/ address, a redirect's source): one row each.
    db["aliases"].create({"url": str, "post_id": int}, pk="url", foreign_keys=[("post_id", "posts", "id")],
                         if_not_exists=True)
    db["aliases"].create_index(["post_id"], if_not_exists=True)
    db["tags"].create({"post_id": int, "name": str, "kind": str}, pk=("post_id", "kind", "name"),
                      foreign_keys=[("post_id", "posts", "id")], if_not_exists=True)
    db["pages"].create(PAGE_COLUMNS, pk="id", if_not_exists=True)
    _add_missing_columns(db["pages"], PAGE_COLUMNS)
    db["pages"].create_index(["url", "sha256"], unique=True, if_not_exists=True)
    for column in ("site", "dictionary_id", "base_id"):
        db["pages"].create_index([column], if_not_exists=True)
    db["dictionaries"].create({"id": int, "site": str, "created_at": str, "sha256": str, "size": int, "ratio": float,
                               "trained_upto": int, "body": bytes}, pk="id", if_not_exists=True)
    db["dictionaries"].create_index(["site"], if_not_exists=True)
    db["versions"].create({"id": int, "post_id": int, "captured_at": str, "content_hash": str, "title": str,
                           "body_text": str, "body_html": str, "post_json": str}, pk="id",
                          foreign_keys=[("post_id", "posts", "id")], if_not_exists=True)
    db["versions"].create_index(["post_id"], if_not_exists=True)
    db["runs"].create(RUN_COLUMNS, pk="id", if_not_exists=True)
    _add_missing_columns(db["runs"], RUN_COLUMNS)
    db["crawl_log"].create({"id": int, "run_id": int, "url": str, "at": str, "outcome": str, "error": str},
                           pk="id", foreign_keys=[("run_id", "runs", "id")], if_not_exists=True)
    db["crawl_log"].create_index(["url"], if_not_exists=True)
    db["crawl_log"].create_index(["run_id"], if_not_exists=True)


def _add_missing_columns(table: sqlite_utils.db.Table, columns: dict[str, type]) -> None:
    """Archives made by an older version gain the columns added since."""
    for name, kind in columns.items():
        if name not in table.columns_dict:
            table.add_column(name, kind)


def content_hash(post: Post) -> str:
    """A hash of what the post says (not where it was found), to tell changed posts from unchanged."""
    data = post.to_dict()
    data.pop("url")
    data.pop("canonical_url")
    return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def save_capture(db: sqlite_utils.Database, capture: Capture) -> None:
    """Keep a raw page; the same bytes at the same URL are stored once (their fetch time refreshed)."""
    with db.atomic():
        _save_capture(db, capture)


def body_sha256(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def _save_capture(db: sqlite_utils.Database, capture: Capture) -> None:
    sha = body_sha256(capture.body)
    row = {"url": capture.url, "fetched_at": capture.fetched_at, "status_code": capture.status_code,
           "content_type": capture.content_type, "etag": capture.etag, "last_modified": capture.last_modified,
           "sha256": sha}
    existing = db.execute("select id from pages where url = ? and sha256 = ?", [capture.url, sha]).fetchone()
    if existing:
        db["pages"].update(existing[0], row)
    else:
        site = site_of(capture.url)
        stored = captures.encode(db, capture.body, url=capture.url, site=site)
        db["pages"].insert({**row, "site": site, **stored.columns()})


def convert_captures(db: sqlite_utils.Database, *, batch: int = CONVERT_BATCH) -> int:
    """Convert the zlib captures of an archive made before schema version 2 to zstd; the number converted.

    Every writer's open calls it. `batch` captures per transaction, oldest first, each row marked with its codec
    as it is converted: a kill leaves every row readable by its codec, and the next writer goes on from there.
    Then the space the conversion freed inside the file is given back to the disk.
    """
    done = 0
    if db.execute("select 1 from pages where codec is null limit 1").fetchone() is not None:
        left = db.execute("select count(*) from pages where codec is null").fetchone()[0]
        logger.info("converting %d raw captures to zstd (once, %d at a time)", left, batch)
        while True:
            with db.atomic():
                rows = list(db.query("select * from pages where codec is null order by id limit ?", [batch]))
                for row in rows:
                    _convert_capture(db, row)
            if not rows:
                break
            done += len(rows)
            logger.info("converted %d of %d raw captures", done, left)
    _give_back_space(db)
    return done


def _give_back_space(db: sqlite_utils.Database) -> None:
    """VACUUM when at least half the file is free pages (what converting its captures leaves): one transaction
    copying only what is in use, so a kill leaves the file as it was and the next writer's open tries again.
    Left for a later open while another process writes."""
    free = db.execute("pragma freelist_count").fetchone()[0]
    if free < VACUUM_FREE_PAGES or free * 2 < db.execute("pragma page_count").fetchone()[0]:
        return
    try:
        db.execute("vacuum")
    except sqlite3.OperationalError as exc:
        if not is_busy(exc):
            raise
        logger.info("another process is writing: the %d free pages are given back another time", free)


def _convert_capture(db: sqlite_utils.Database, row: dict[str, Any]) -> None:
    try:
        body = captures.decode(db, row)
    except ArchiveError as exc:  # kept as it is, and named whenever it is read
        logger.warning("%s; left as it is", exc)
        db.execute("update pages set codec = 'zlib' where id = ?", [row["id"]])
        return
    site = site_of(row["url"])
    # A capture that a newer one is already stored against stays a chain's first link, keeping that chain's bound.
    dependents = db.execute("select 1 from pages where base_id = ? limit 1", [row["id"]]).fetchone()
    stored = captures.encode(db, body, url=row["url"], site=site, before=row["id"], delta_ok=dependents is None)
    db["pages"].update(row["id"], {"site": site, **stored.columns()})


def save_post(db: sqlite_utils.Database, post: Post, *, capture: Capture | None = None,
              seen_at: str | None = None, lastmod: str | None = None) -> str:
    """Insert or update a post by URL, with its sections, images, tags and raw capture, in one transaction.

    Returns "new", "changed" or "unchanged".
    """
    if not post.url:
        raise ArchiveError("a post needs a URL to be archived")
    seen_at = seen_at or now_iso()
    digest = content_hash(post)
    with db.atomic():
        if capture is not None:
            _save_capture(db, capture)
        existing = db.execute("select id, content_hash from posts where url = ?", [post.url]).fetchone() \
            or _moved_from_alias(db, post)
        row = _post_row(post, digest, seen_at)
        if lastmod:
            row["lastmod"] = lastmod
        if existing is None:
            post_id = db["posts"].insert({**row, "first_seen": seen_at}).last_pk
            outcome = "new"
        else:
            post_id = existing[0]
            outcome = "unchanged" if existing[1] == digest else "changed"
            if outcome == "changed":
                _keep_version(db, post_id)
            else:
                del row["warnings"]  # same content, same flags: keep the site-wide ones refresh_warnings set
            db["posts"].update(post_id, row)
        if outcome != "unchanged":  # the hash covers sections, images and tags: the same rows are there already
            _replace_children(db, post_id, post)
        _save_aliases(db, post_id, post)
    return outcome


def _moved_from_alias(db: sqlite_utils.Database, post: Post) -> tuple[int, str] | None:
    """A post archived under one of its other addresses moves to its own (the old one becomes an alias)."""
    for url in post.aliases:
        row = db.execute("select id, content_hash from posts where url = ?", [url]).fetchone()
        if row is not None:
            db.execute("update posts set url = ?, slug = ?, site = ? where id = ?",
                       [post.url, slug_from_url(post.url), site_of(post.url), row[0]])
            return row
    return None


def _save_aliases(db: sqlite_utils.Database, post_id: int, post: Post) -> None:
    """Remember the post's other URLs; an alias only ever adds, so an old address is never forgotten.

    An alias that was archived as a post of its own (before its canonical address was known) is folded in.
    """
    for url in dict.fromkeys(post.aliases):
        if url == post.url:
            continue
        _fold_duplicate(db, post_id, url)
        db.execute("insert into aliases (url, post_id) values (?, ?) "
                   "on conflict(url) do update set post_id = excluded.post_id", [url, post_id])


def _fold_duplicate(db: sqlite_utils.Database, post_id: int, url: str) -> None:
    """Merge the row archived under `url` into post `post_id`: its state becomes a version, its history and
    aliases move over, its first sighting is kept. Nothing of it is lost."""
    row = next(db.query("select id, first_seen from posts where url = ? and id != ?", [url, post_id]), None)
    if row is None:
        return
    duplicate = row["id"]
    _keep_version(db, duplicate)
    db.execute("update versions set post_id = ? where post_id = ?", [post_id, duplicate])
    db.execute("update aliases set post_id = ? where post_id = ?", [post_id, duplicate])
    if row["first_seen"]:
        db.execute("update posts set first_seen = min(coalesce(first_seen, ?1), ?1) where id = ?2",
                   [row["first_seen"], post_id])
    for table in ("sections", "images", "tags"):
        db.execute(f"delete from {table} where post_id = ?", [duplicate])
    db.execute("delete from posts where id = ?", [duplicate])


def post_aliases(db: sqlite_utils.Database, post_id: int) -> list[str]:
    """The other URLs a post was found at, oldest first (for redirect maps and aliases)."""
    return [r["url"] for r in db.query("select url from aliases where post_id = ? order by rowid", [post_id])]


def touch_post(db: sqlite_utils.Database, url: str, *, seen_at: str, lastmod: str | None = None) -> None:
    """The post is still there, unchanged: note when it was last seen (and its sitemap lastmod)."""
    changes = {"last_seen": seen_at, "status": "active", "gone_at": None}
    if lastmod:
        changes["lastmod"] = lastmod
    with db.atomic():
        db.execute(f"update posts set {', '.join(f'{k} = ?' for k in changes)} where url = ? "
                   f"or id = (select post_id from aliases where url = ?)", [*changes.values(), url, url])


def mark_gone(db: sqlite_utils.Database, url: str, *, at: str) -> bool:
    """Mark a post that left the site as gone (never deleted); True if it was active until now."""
    with db.atomic():
        cursor = db.execute("update posts set status = 'gone', gone_at = ? where url = ? and status != 'gone'",
                            [at, url])
    return cursor.rowcount > 0


def post_by_address(db: sqlite_utils.Database, url: str) -> dict[str, Any] | None:
    """The post stored under this URL, or under the URL it is an alias of."""
    return next(db.query("select * from posts where url = ? union all select * from posts where id = "
                         "(select post_id from aliases where url = ?) limit 1", [url, url]), None)


def latest_capture(db: sqlite_utils.Database, url: str) -> dict[str, Any] | None:
    """The newest raw capture's validators (ETag, Last-Modified, SHA-256) for a conditional re-fetch."""
    return next(db.query("select etag, last_modified, sha256, fetched_at from pages where url = ? "
                         "order by fetched_at desc, id desc limit 1", [url]), None)


def _keep_version(db: sqlite_utils.Database, post_id: int) -> None:
    """Copy a post as it stands into versions before it is overwritten: nothing is ever lost."""
    row = db["posts"].get(post_id)
    db["versions"].insert({"post_id": post_id, "captured_at": row["last_seen"], "content_hash": row["content_hash"],
                           "title": row["title"], "body_text": row["body_text"], "body_html": row["body_html"],
                           "post_json": json.dumps(load_post(db, row).to_dict(), ensure_ascii=False)})


def _post_row(post: Post, digest: str, seen_at: str) -> dict[str, Any]:
    return {
        "url": post.url, "site": site_of(post.url), "slug": slug_from_url(post.url), "title": post.title,
        "author": post.author, "published": post.published, "updated": post.updated, "excerpt": post.excerpt,
        "body_text": post.body_text, "body_html": post.body_html, "content_hash": digest, "status": "active",
        "last_seen": seen_at, "canonical_url": post.canonical_url, "language": post.language,
        "warnings": json.dumps(post_warnings(post)), "author_url": post.author_url, "gone_at": None,
        "headings": "\n".join(s.heading for s in post.sections if s.heading),
        "author_account": post.author_account,
        "translations": json.dumps(post.translations, sort_keys=True, ensure_ascii=False) if post.translations else None,
    }


def _replace_children(db: sqlite_utils.Database, post_id: int, post: Post) -> None:
    downloaded = {r["src"]: (r["local_path"], r["sha256"]) for r in
                  db.query("select src, local_path, sha256 from images where post_id = ?", [post_id])}
    for table in ("sections", "images", "tags"):
        db.execute(f"delete from {table} where post_id = ?", [post_id])
    db["sections"].insert_all(
        {"post_id": post_id, "position": i, "heading": s.heading, "level": s.level, "text": s.text, "html": s.html}
        for i, s in enumerate(post.sections))
    db["images"].insert_all(
        {"post_id": post_id, "position": i, "src": im.src, "alt": im.alt, "caption": im.caption,
         "local_path": downloaded.get(im.src, (None, None))[0], "sha256": downloaded.get(im.src, (None, None))[1]}
        for i, im in enumerate(post.images))
    db["tags"].insert_all(
        [{"post_id": post_id, "name": n, "kind": "tag"} for n in _dedupe(post.tags)]
        + [{"post_id": post_id, "name": n, "kind": "category"} for n in _dedupe(post.categories)])


def _dedupe(names: list[str]) -> list[str]:
    return list(dict.fromkeys(names))


def site_of(url: str) -> str:
    return urlsplit(url).netloc.lower() or "local"


def iter_posts(db: sqlite_utils.Database, *, site: str | None = None,
               with_warnings: bool = False) -> Iterator[dict[str, Any]]:
    """Post rows without their text (body_text, body_html, headings), newest first (undated posts last);
    optionally only those with quality warnings. Reading the text of every post would cost most of a listing."""
    clauses, params = [], []
    if site:
        clauses.append("site = ?")
        params.append(site)
    if with_warnings:
        clauses.append("coalesce(warnings, '[]') != '[]'")
    where = "where " + " and ".join(clauses) if clauses else ""
    present = db["posts"].columns_dict  # an older archive read without upgrading may lack newer columns
    columns = ", ".join(c for c in present if c not in ("body_text", "body_html", "headings"))
    sql = (f"select {columns} from posts {where} order by coalesce(published, updated) is null, "
           f"coalesce(published, updated) desc, id")
    yield from db.query(sql, params)


def find_post(db: sqlite_utils.Database, key: str) -> dict[str, Any] | None:
    """A post by URL (any spelling) or by slug; ArchiveError if a slug matches several posts."""
    key = key.strip()
    if "://" in key:
        for candidate in (key, normalize_url(key)):
            row = next(db.query("select * from posts where url = ?", [candidate]), None)
            if row:
                return row
        return None
    slug = key.strip("/").rsplit("/", 1)[-1]
    rows = list(db.query("select * from posts where slug = ?", [slug]))
    if len(rows) > 1:
        urls = ", ".join(r["url"] for r in rows)
        raise ArchiveError(f"slug {key!r} matches {len(rows)} posts ({urls}): give the URL instead")
    return rows[0] if rows else None


def load_post(db: sqlite_utils.Database, row: dict[str, Any]) -> Post:
    """Rebuild the Post dataclass from its rows."""
    post_id = row["id"]
    sections = [Section(r["heading"], r["level"], r["text"] or "", r["html"] or "")
                for r in db.query("select * from sections where post_id = ? order by position", [post_id])]
    images = [Image(r["src"], r["alt"], r["caption"])
              for r in db.query("select * from images where post_id = ? order by position", [post_id])]
    tags = {"tag": [], "category": []}
    for r in db.query("select name, kind from tags where post_id = ? order by rowid", [post_id]):
        tags.setdefault(r["kind"], []).append(r["name"])
    return Post(url=row["url"], title=row["title"], author=row["author"], published=row["published"],
                updated=row["updated"], sections=sections, images=images, tags=tags["tag"],
                categories=tags["category"], excerpt=row["excerpt"], canonical_url=row["canonical_url"],
                language=row["language"], author_url=row["author_url"], author_account=row.get("author_account"),
                translations=json.loads(row.get("translations") or "{}"), aliases=post_aliases(db, post_id))


def post_versions(db: sqlite_utils.Database, row: dict[str, Any]) -> list[dict[str, Any]]:
    """Every version of a post, oldest first, numbered from 1; the last one is the post as it stands."""
    versions = list(db.query("select captured_at, content_hash, title, body_text from versions where post_id = ? "
                             "order by id", [row["id"]]))
    versions.append({"captured_at": row["last_seen"], "content_hash": row["content_hash"], "title": row["title"],
                     "body_text": row["body_text"], "current": True})
    return [{"number": n, "current": False, **v} for n, v in enumerate(versions, start=1)]


def page_body(db: sqlite_utils.Database, row: dict[str, Any]) -> bytes:
    """The exact bytes of a capture (a row of pages, every column), SHA-256 checked; ArchiveError naming it if not."""
    return captures.decode(db, row)


def write_atomically(target: Path, data: bytes) -> None:
    """Write to a temporary file beside the target and rename: a crash never leaves half a file under its name.

    The file gets the usual permissions (umask), so an exported site is readable by a web server.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}.part")
    try:
        temporary.write_bytes(data)
        os.replace(temporary, target)
    except BaseException:  # a full disk, Ctrl-C: no half-written temporary is left behind
        temporary.unlink(missing_ok=True)
        raise
