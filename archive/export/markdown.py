"""Markdown with YAML front matter, one `<slug>.md` per post, images copied into `<slug>/` beside it
(or, with bundles, `<slug>/index.md` with its images in the same folder: Hugo page bundles).

The front matter uses the keys Hugo, Jekyll, Eleventy and Astro all read (title, date, lastmod, tags,
categories, aliases …); `aliases` holds the old Wix path so the new site can redirect it.
"""
from __future__ import annotations

import shutil
from pathlib import Path
from urllib.parse import urlsplit

import sqlite_utils
from markdownify import markdownify

from .common import ExportPost, ImageFile, OutDir, iter_export_posts, safe_file_name, unique
from .summary import ExportSummary


def export(db: sqlite_utils.Database, out: OutDir, *, site: str | None, since: str | None,
           media_root: Path | None, bundles: bool = False) -> ExportSummary:
    summary = ExportSummary()
    for item in iter_export_posts(db, media_root, site=site, since=since):
        links = _copy_images(item, out, summary, bundles=bundles)
        name = f"{item.slug}/index.md" if bundles else f"{item.slug}.md"
        out.write(front_matter(item) + body(item, links), *name.split("/"))
        summary.files.append(name)
        summary.posts += 1
    return summary


def _copy_images(item: ExportPost, out: OutDir, summary: ExportSummary, *, bundles: bool) -> dict[str, str]:
    """Downloaded images copied into the post's folder; returns original src -> link relative to the .md file."""
    links: dict[str, str] = {}
    taken: set[str] = set()
    for image in item.images:
        if image.src in links:
            continue
        if image.local_path is None or not image.local_path.is_file():
            summary.missing_images += 1
            continue
        name = _unique_file(safe_file_name(Path(urlsplit(image.src).path).name or image.local_path.name), taken)
        target = out.path(item.slug, name)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(image.local_path, target)
        summary.files.append(f"{item.slug}/{name}")
        summary.images += 1
        links[image.src] = name if bundles else f"{item.slug}/{name}"
    return links


def _unique_file(name: str, taken: set[str]) -> str:
    stem, dot, ext = name.rpartition(".")
    return unique(name, taken, lambda n: f"{stem}-{n}.{ext}" if dot else f"{name}-{n}")


def front_matter(item: ExportPost) -> str:
    post, row = item.post, item.row
    fields: list[tuple[str, object]] = [
        ("title", post.title or item.slug),
        ("slug", item.slug),
        ("date", post.published or post.updated or row["first_seen"]),
        ("lastmod", post.updated or post.published),
        ("author", post.author),
        ("description", post.excerpt),
        ("tags", post.tags),
        ("categories", post.categories),
        ("original_url", post.url),
        ("aliases", [item.old_path] if item.old_path not in ("", "/") else []),
        ("draft", False),
    ]
    lines = ["---"]
    for key, value in fields:
        if value is None or value == []:
            continue
        lines.append(f"{key}: {yaml_value(value)}")
    return "\n".join(lines + ["---", "", ""])


def yaml_value(value: object) -> str:
    """A YAML scalar or flow list, always quoted for strings (titles hold colons, quotes and '#')."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(yaml_value(v) for v in value) + "]"
    text = str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    return f'"{text}"'


def body(item: ExportPost, links: dict[str, str]) -> str:
    parts = []
    for section in item.post.sections:
        if section.heading:
            parts.append(f"{'#' * min(max(section.level, 2), 6)} {section.heading}")
        html = section.html
        for src, link in links.items():
            html = html.replace(f'src="{src}"', f'src="{link}"')
        text = markdownify(html, heading_style="ATX", bullets="-", escape_underscores=False).strip()
        if text:
            parts.append(_captions(text, item.images, links))
    return "\n\n".join(parts) + "\n"


def _captions(text: str, images: list[ImageFile], links: dict[str, str]) -> str:
    """markdownify drops <figcaption> to a bare line; keep it as an italic caption under the image."""
    for image in images:
        if image.caption:
            text = text.replace(f"\n{image.caption}\n", f"\n*{image.caption}*\n")
            if text.endswith(f"\n{image.caption}"):
                text = text[: -len(image.caption)] + f"*{image.caption}*"
    return text
