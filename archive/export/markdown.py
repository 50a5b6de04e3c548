"""Markdown with YAML front matter, one `<slug>.md` per post, images copied into `<slug>/` beside it
(or, with bundles, `<slug>/index.md` with its images in the same folder: Hugo page bundles).

The front matter uses the keys Hugo, Jekyll, Eleventy and Astro all read (title, date, lastmod, tags,
categories, aliases …); `aliases` holds every old path of the post (decoded, as servers compare them), so
the new site can redirect them. Where things land on the new site, for Hugo, Eleventy, Astro and Jekyll
alike: a post at `<prefix><slug>/` (prefix '/posts/' by default, as content/posts publishes), its images at
`<prefix><slug>/<image>`. So links between posts are relative (`../<slug>/`), images in a bundle sit beside
the page (`<image>`), and images of the plain layout are linked from the site root
(`<prefix><slug>/<image>`), which works whatever the page's own permalink.

Text is escaped for Markdown (`<`, `>` and `&` as entities), so no text of a post can turn into markup; the
only HTML the body is made from is the sanitised section HTML, converted to Markdown, never written raw.
"""
from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote

import sqlite_utils

from scraper.sections import ALLOWED_ATTRIBUTES

from ..markdown import post_markdown
from .common import Addresses, ExportPost, MediaNames, OutDir, iter_export_posts, old_paths, rewrite_html
from .summary import ExportSummary

# The extractor's allow-list without titles: a title is never needed in Markdown, and one fewer thing to escape.
ATTRIBUTES = {**ALLOWED_ATTRIBUTES, "a": {"href"}}


def export(db: sqlite_utils.Database, out: OutDir, *, site: str | None, since: str | None,
           media_root: Path | None, bundles: bool = False, prefix: str = "/posts/") -> ExportSummary:
    summary = ExportSummary()
    aliases: dict[str, str] = {}  # old path -> the slug of the post that has it
    for item in iter_export_posts(db, media_root, site=site, since=since):
        images = _copy_images(item, out, summary, media_root, bundles=bundles, prefix=prefix)
        addresses = Addresses(post=lambda slug: f"../{quote(slug)}/", image=images.get)
        name = f"{item.slug}/index.md" if bundles else f"{item.slug}.md"
        mine = _aliases(item, aliases, summary, new_path=f"{prefix}{item.slug}/")
        out.write(front_matter(item, mine) + body(item, addresses), *name.split("/"))
        summary.files.append(name)
        summary.add(item)
    return summary


def _copy_images(item: ExportPost, out: OutDir, summary: ExportSummary, media_root: Path | None, *, bundles: bool,
                 prefix: str) -> dict[str, str]:
    """Downloaded images (real images by their bytes) copied into the post's folder; original src -> link."""
    links: dict[str, str] = {}
    names = MediaNames(media_root, summary.warnings)
    copied: set[str] = set()
    for image in item.images:
        if image.src in links:
            continue
        found = names.name(image)
        if found is None:
            summary.missing_images += 1
            continue
        source, name = found
        if name not in copied:
            copied.add(name)
            out.copy(source, item.slug, name)
            summary.files.append(f"{item.slug}/{name}")
            summary.images += 1
        links[image.src] = quote(name) if bundles else f"{prefix}{quote(item.slug)}/{quote(name)}"
    return links


def _aliases(item: ExportPost, taken: dict[str, str], summary: ExportSummary, *, new_path: str) -> list[str]:
    """The post's old paths, each given to one post only (two sites can share a path; the first keeps it)."""
    mine = []
    for _host, path in old_paths(item):
        if path == new_path or path.rstrip("/") == new_path.rstrip("/"):
            continue
        owner = taken.setdefault(path, item.slug)
        if owner == item.slug:
            if path not in mine:
                mine.append(path)
        else:
            summary.warnings.append(f"{item.slug}: old path {path} is also {owner}'s; only {owner} gets it as an "
                                    "alias (use 'blog-archive redirects', which is per host, for both sites)")
    return mine


def front_matter(item: ExportPost, aliases: list[str]) -> str:
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
        ("aliases", aliases),
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
    text = re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", lambda m: f"\\x{ord(m.group()):02x}", text)
    return f'"{text}"'


def body(item: ExportPost, addresses: Addresses) -> str:
    """The post's sections as Markdown, links and images moved to their new addresses."""
    return post_markdown(item.post.sections, [image.caption for image in item.images],
                         html_of=lambda html: rewrite_html(item, html, addresses, attributes=ATTRIBUTES))
