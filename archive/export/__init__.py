"""Exports: one module per format behind one small interface.

Each format module has `export(db, out, *, site, since, media_root, …) -> ExportSummary`, streams posts
from `common.iter_export_posts`, writes only through `common.OutDir` (which keeps every file inside
OUTDIR), and gives byte-identical output for the same archive. This module runs one: inside one read
transaction (one snapshot of the archive), with every file moved into place only once all are written,
and with the report of what still points at the old site written beside them.
"""
from __future__ import annotations

import importlib
import re
from pathlib import Path
from urllib.parse import urlsplit

import sqlite_utils

from .common import ExportError, OutDir, snapshot, write_error
from .summary import REPORT, ExportSummary

FORMATS = ("markdown", "wxr", "ghost", "jsonl", "html", "warc")
DEFAULT_PREFIX = {"markdown": "/posts/", "wxr": "/", "ghost": "/"}
# What each format takes beyond site, since and media_root.
OPTIONS = {"markdown": ("bundles", "prefix"), "wxr": ("media_url", "prefix"), "ghost": ("media_url", "prefix")}
_PATH_CHARS = re.compile(r"^/([A-Za-z0-9._~!$&'()*+,;=:@%-]+/)*$")


def export(db: sqlite_utils.Database, fmt: str, outdir: str | Path, *, site: str | None = None,
           since: str | None = None, media_root: Path | None = None, bundles: bool = False,
           media_url: str | None = None, prefix: str | None = None) -> ExportSummary:
    """Export in one format.

    `bundles` (Markdown): `<slug>/index.md` folders, as Hugo wants. `prefix` (Markdown, WXR, Ghost): the path
    the posts are published under on the new site ('/posts/' for Markdown, as Hugo and Eleventy publish
    content/posts; '/' for WordPress and Ghost). `media_url` (WXR, Ghost): where the exported media/ folder
    will be uploaded; downloaded images then point there.
    """
    if fmt not in FORMATS:
        raise ExportError(f"unknown export format {fmt!r} (choose from {', '.join(FORMATS)})")
    given = {"bundles": bundles, "media_url": check_media_url(media_url),
             "prefix": check_prefix(prefix if prefix is not None else DEFAULT_PREFIX.get(fmt, "/"))}
    extra = {name: given[name] for name in OPTIONS.get(fmt, ())}
    module = importlib.import_module(f"{__name__}.{fmt}")
    out = OutDir(outdir)
    try:
        with out, snapshot(db):
            summary = module.export(db, out, site=site, since=since, media_root=media_root, **extra)
            out.write(summary.report(fmt), REPORT)
            summary.files.append(REPORT)
    except OSError as exc:
        raise write_error(out.root, exc) from exc
    return summary


def check_prefix(prefix: str) -> str:
    """'/posts/' from 'posts', '/posts' or '/posts/'; refused if it is not a plain URL path."""
    value = "/" + prefix.strip().strip("/") + "/" if prefix.strip("/ ") else "/"
    if not _PATH_CHARS.match(value) or "/../" in value or "/./" in value:
        raise ExportError(f"bad --prefix {prefix!r}: give a URL path such as /posts/ or /blog/")
    return value


def check_media_url(url: str | None) -> str | None:
    """The base URL images will be uploaded to, ending with '/'; an absolute http(s) URL or a site-root path."""
    if url is None:
        return None
    parts = urlsplit(url.strip())
    if not ((parts.scheme in ("http", "https") and parts.netloc) or (not parts.scheme and url.startswith("/"))) \
            or parts.query or parts.fragment or any(c.isspace() or c in "\"'<>" for c in url.strip()):
        raise ExportError(f"bad --media-url {url!r}: give where the media/ folder will be, such as "
                          "https://cdn.example.com/blog/ or /content/media/")
    return url.strip().rstrip("/") + "/"


__all__ = ["FORMATS", "REPORT", "ExportError", "ExportSummary", "OutDir", "export"]
