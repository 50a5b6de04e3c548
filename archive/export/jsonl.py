"""JSON Lines: one object per post, `Post.to_dict()` plus the archive's own fields, keys sorted."""
from __future__ import annotations

import json
from pathlib import Path

import sqlite_utils

from .common import OutDir, dumps, iter_export_posts
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
            record.update({name: item.row[name] for name in ARCHIVE_FIELDS})
            record["warnings"] = json.loads(item.row["warnings"] or "[]")
            record["export_slug"] = item.slug
            handle.write(dumps(record).encode("utf-8") + b"\n")
            summary.posts += 1
    summary.files.append(FILE)
    return summary
