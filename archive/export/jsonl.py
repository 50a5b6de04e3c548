"""JSON Lines: one object per post, `Post.to_dict()` plus the archive's own fields, keys sorted.

The data as archived: links and images as the old site had them (the report beside it counts them; the
migration formats move them); each image also carries `local_path` (its
downloaded copy, relative to the archive's folder) and `sha256`, null when it was not downloaded.
"""
from __future__ import annotations

import json
from pathlib import Path

import sqlite_utils

from .common import OutDir, count_old_site, dumps, iter_export_posts
from .summary import ExportSummary

ARCHIVE_FIELDS = ("id", "site", "slug", "status", "first_seen", "last_seen", "lastmod", "gone_at", "author_url",
                  "content_hash")
FILE = "posts.jsonl"


def export(db: sqlite_utils.Database, out: OutDir, *, site: str | None, since: str | None,
           media_root: Path | None) -> ExportSummary:
    summary = ExportSummary()
    with out.open(FILE) as handle:
        for item in iter_export_posts(db, media_root, site=site, since=since):
            record = item.post.to_dict()
            for data, image in zip(record["images"], item.images):
                data.update(local_path=image.stored_path, sha256=image.sha256 if image.stored_path else None)
            record.update({name: item.row[name] for name in ARCHIVE_FIELDS})
            record["warnings"] = json.loads(item.row["warnings"] or "[]")
            record["export_slug"] = item.slug
            handle.write(dumps(record).encode("utf-8") + b"\n")
            count_old_site(item, item.post.body_html)
            summary.add(item)
    summary.files.append(FILE)
    return summary
