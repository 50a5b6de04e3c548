"""Old URL -> new URL maps, so no link to the old blog breaks: nginx, Apache .htaccess, Netlify _redirects."""
from __future__ import annotations

from urllib.parse import quote

import sqlite_utils

from .common import ExportError, iter_export_posts

STYLES = ("nginx", "apache", "netlify")
DEFAULT_PATTERN = "/blog/{slug}/"


def redirect_map(db: sqlite_utils.Database, pattern: str = DEFAULT_PATTERN, *, site: str | None = None,
                 since: str | None = None) -> list[tuple[str, str]]:
    """(old path, new path) per post; the new path from a pattern of {slug}, {year}, {month}, {day}."""
    if "{slug}" not in pattern:
        raise ExportError("the new URL pattern needs {slug}, e.g. /blog/{slug}/ or /{year}/{month}/{slug}/")
    pairs = []
    for item in iter_export_posts(db, None, site=site, since=since):
        date = (item.post.published or item.post.updated or item.row["first_seen"] or "0000-00-00")[:10]
        try:
            new = pattern.format(slug=item.slug, year=date[:4], month=date[5:7], day=date[8:10])
        except (KeyError, IndexError, ValueError) as exc:
            raise ExportError(f"bad new URL pattern {pattern!r}: use {{slug}}, {{year}}, {{month}}, {{day}}") from exc
        old = quote(item.old_path, safe="/%")
        if old != new:
            pairs.append((old, new))
    return pairs


def format_redirects(pairs: list[tuple[str, str]], style: str) -> str:
    if style == "nginx":
        lines = [f"location = {old} {{ return 301 {new}; }}" for old, new in pairs]
    elif style == "apache":
        lines = [f"Redirect 301 {old} {new}" for old, new in pairs]
    elif style == "netlify":
        lines = [f"{old} {new} 301" for old, new in pairs]
    else:
        raise ExportError(f"unknown redirect style {style!r} (choose from {', '.join(STYLES)})")
    return "\n".join(lines) + ("\n" if lines else "")
