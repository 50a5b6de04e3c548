"""Exports: one module per format behind one small interface.

Each format module has `export(db, out, *, site, since, media_root) -> ExportSummary`, streams posts
from `common.iter_export_posts`, writes only through `common.OutDir` (which keeps every file inside
OUTDIR), and gives byte-identical output for the same archive.
"""
from __future__ import annotations

import importlib
from pathlib import Path

import sqlite_utils

from .common import ExportError, OutDir
from .summary import ExportSummary

FORMATS = ("markdown", "wxr", "ghost", "jsonl", "html", "warc")


def export(db: sqlite_utils.Database, fmt: str, outdir: str | Path, *, site: str | None = None,
           since: str | None = None, media_root: Path | None = None, bundles: bool = False) -> ExportSummary:
    """Export in one format; `bundles` (Markdown only) writes `<slug>/index.md` folders, as Hugo wants."""
    if fmt not in FORMATS:
        raise ExportError(f"unknown export format {fmt!r} (choose from {', '.join(FORMATS)})")
    module = importlib.import_module(f"{__name__}.{fmt}")
    extra = {"bundles": bundles} if fmt == "markdown" else {}
    return module.export(db, OutDir(outdir), site=site, since=since, media_root=media_root, **extra)


__all__ = ["FORMATS", "ExportError", "ExportSummary", "OutDir", "export"]
