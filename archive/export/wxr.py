"""WordPress eXtended RSS 1.2 (what Tools > Import > WordPress reads), one `<site>.wxr.xml` per site.

Written by hand, a post at a time, in the layout WordPress's own exporter uses (the importer's fallback
regex parser reads it line by line). Every id, date and order comes from the archive, so the same
archive always gives the same bytes. Images become attachment items: with `--media-url`, downloaded
images are copied to media/ and both the attachment and the post's HTML point at that base (WordPress
downloads each attachment at import and rewrites the post's HTML to its own copy); otherwise they point at
their original URL, which WordPress fetches only while it still answers. Links between exported posts
point at their new permalink (`<prefix><slug>/`; WordPress also finds a post from its slug alone).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import format_datetime
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO
from urllib.parse import quote, unquote, urlsplit
from xml.sax.saxutils import escape, quoteattr

import sqlite_utils

from .common import (
    Addresses,
    ExportPost,
    MediaCopies,
    OutDir,
    as_utc,
    first_date,
    is_old_host,
    iter_export_posts,
    new_image,
    post_query,
    rewrite_html,
    safe_file_name,
    safe_name,
    unique,
)
from .summary import ExportSummary

NAMESPACES = {
    "excerpt": "http://wordpress.org/export/1.2/excerpt/",
    "content": "http://purl.org/rss/1.0/modules/content/",
    "wfw": "http://wellformedweb.org/CommentAPI/",
    "dc": "http://purl.org/dc/elements/1.1/",
    "wp": "http://wordpress.org/export/1.2/",
}
ATTACHMENT_BASE = 1_000_000
MAX_IMAGES = 1000  # attachment ids are ATTACHMENT_BASE + post id * MAX_IMAGES + position
# Characters XML 1.0 cannot carry at all, not even in CDATA.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def mysql_date(value: datetime | None) -> str:
    """'YYYY-MM-DD HH:MM:SS' as written (WordPress's post_date); zeros when unknown, as WordPress does."""
    if value is None:
        return "0000-00-00 00:00:00"
    return (f"{value.year:04d}-{value.month:02d}-{value.day:02d} "
            f"{value.hour:02d}:{value.minute:02d}:{value.second:02d}")


def rfc822(value: datetime | None) -> str:
    """RFC 822 in GMT, as WordPress writes pubDate ('Tue, 13 Jan 2026 16:42:07 +0000')."""
    return format_datetime(as_utc(value)) if value else ""


# --- XML text ------------------------------------------------------------------------------------------

def clean(text: Any) -> str:
    return _NOT_XML.sub("", "" if text is None else str(text))


def text(value: Any) -> str:
    return escape(clean(value))


def cdata(value: Any) -> str:
    """A CDATA section; a ']]>' inside is split across two sections, as WordPress's exporter does."""
    return "<![CDATA[" + clean(value).replace("]]>", "]]]]><![CDATA[>") + "]]>"


def element(tag: str, value: Any, *, raw: bool = False) -> str:
    return f"<{tag}>{value if raw else text(value)}</{tag}>"


def celement(tag: str, value: Any) -> str:
    return f"<{tag}>{cdata(value)}</{tag}>"


# --- the archive's view of one site -------------------------------------------------------------------

@dataclass
class SiteHeader:
    host: str
    base_url: str
    language: str
    authors: dict[str, str] = field(default_factory=dict)  # login -> display name
    categories: dict[str, str] = field(default_factory=dict)  # nicename -> name
    tags: dict[str, str] = field(default_factory=dict)


def author_login(author: str | None) -> str:
    return safe_name(author, fallback="author") if author and author.strip() else ""


def term_slug(name: str, kind: str) -> str:
    return safe_name(name, fallback="uncategorized" if kind == "category" else "tag")


def site_header(db: sqlite_utils.Database, host: str, first: ExportPost, *, site: str | None,
                since: str | None) -> SiteHeader:
    """Authors, terms and language of one site's exported posts: small, read with SQL before its items."""
    sql, params = post_query(site, since)
    scope = f"select * from ({sql}) where site = ?"
    params = [*params, host]
    parts = urlsplit(first.post.url or "")
    header = SiteHeader(host, f"{parts.scheme or 'https'}://{parts.netloc or host}", "en")
    language = next(db.query(f"select language, count(*) as n from ({scope}) where coalesce(language, '') != '' "
                             "group by language order by n desc, language limit 1", params), None)
    if language:
        header.language = language["language"]
    names = sorted(r["author"] for r in db.query(f"select distinct author from ({scope}) "
                                                 "where coalesce(author, '') != ''", params))
    for name in names:
        header.authors.setdefault(author_login(name), name.strip())
    terms = db.query(f"select distinct t.name, t.kind from tags t join ({scope}) p on p.id = t.post_id "
                     "order by t.kind, t.name", params)
    for term in terms:
        target = header.categories if term["kind"] == "category" else header.tags
        target.setdefault(term_slug(term["name"], term["kind"]), term["name"])
    return header


# --- writing -------------------------------------------------------------------------------------------

def write_header(handle: BinaryIO, header: SiteHeader) -> None:
    lines = ['<?xml version="1.0" encoding="UTF-8" ?>',
             "<!-- A WordPress eXtended RSS file written by blog-archive from its archive of the site. -->",
             "<!-- Import it with Tools > Import > WordPress; tick \"Download and import file attachments\" "
             "while the old site is still online. -->",
             '<rss version="2.0"']
    lines += [f'\txmlns:{prefix}="{uri}"' for prefix, uri in NAMESPACES.items()]
    lines += [">", "", "<channel>",
              "\t" + element("title", header.host),
              "\t" + element("link", header.base_url),
              "\t" + element("description", f"Blog archived from {header.host}"),
              "\t" + element("language", header.language),
              "\t" + element("wp:wxr_version", "1.2"),
              "\t" + element("wp:base_site_url", header.base_url),
              "\t" + element("wp:base_blog_url", header.base_url),
              ""]
    for number, (login, name) in enumerate(header.authors.items(), start=1):
        lines.append("\t<wp:author>" + element("wp:author_id", number) + celement("wp:author_login", login)
                     + celement("wp:author_email", f"{login}@example.invalid")
                     + celement("wp:author_display_name", name) + celement("wp:author_first_name", "")
                     + celement("wp:author_last_name", "") + "</wp:author>")
    lines.append("")
    term_id = 0
    for nicename, name in header.categories.items():
        term_id += 1
        lines.append("\t<wp:category>" + element("wp:term_id", term_id)
                     + celement("wp:category_nicename", nicename) + celement("wp:category_parent", "")
                     + celement("wp:cat_name", name) + "</wp:category>")
    for slug, name in header.tags.items():
        term_id += 1
        lines.append("\t<wp:tag>" + element("wp:term_id", term_id) + celement("wp:tag_slug", slug)
                     + celement("wp:tag_name", name) + "</wp:tag>")
    lines += ["", "\t" + element("generator", "blog-archive"), ""]
    handle.write(("\n".join(lines) + "\n").encode("utf-8"))


def write_footer(handle: BinaryIO) -> None:
    handle.write(b"</channel>\n</rss>\n")


def _item(fields: list[str]) -> str:
    return "\t<item>\n" + "".join(f"\t\t{f}\n" for f in fields) + "\t</item>\n"


def _dates(published: datetime | None, modified: datetime | None) -> list[str]:
    return [celement("wp:post_date", mysql_date(published)),
            celement("wp:post_date_gmt", mysql_date(as_utc(published) if published else None)),
            celement("wp:post_modified", mysql_date(modified)),
            celement("wp:post_modified_gmt", mysql_date(as_utc(modified) if modified else None))]


def attachment_id(post_id: int, position: int) -> int:
    return ATTACHMENT_BASE + post_id * MAX_IMAGES + position


def image_file_name(src: str) -> str:
    return safe_file_name(PurePosixPath(unquote(urlsplit(src).path)).name or "image", default="image")


def post_items(item: ExportPost, *, skipped: list[str], addresses: Addresses) -> str:
    """The post's item followed by one attachment item per image."""
    post, row = item.post, item.row
    post_id = int(row["id"])
    published = first_date(post.published, post.updated, row["first_seen"])
    modified = first_date(post.updated, post.published, row["first_seen"])
    creator = author_login(post.author)
    images = item.images[:MAX_IMAGES]
    if len(item.images) > MAX_IMAGES:
        skipped.append(f"{post.url}: only the first {MAX_IMAGES} of {len(item.images)} images are attachments")
    fields = [celement("title", post.title or ""),
              element("link", post.url),
              element("pubDate", rfc822(published)),
              celement("dc:creator", creator),
              '<guid isPermaLink="false">' + text(post.url) + "</guid>",
              "<description></description>",
              celement("content:encoded", rewrite_html(item, post.body_html, addresses)),
              celement("excerpt:encoded", post.excerpt or ""),
              element("wp:post_id", post_id),
              *_dates(published, modified),
              celement("wp:comment_status", "closed"),
              celement("wp:ping_status", "closed"),
              celement("wp:post_name", item.slug),
              celement("wp:status", "publish"),
              element("wp:post_parent", 0),
              element("wp:menu_order", 0),
              celement("wp:post_type", "post"),
              celement("wp:post_password", ""),
              element("wp:is_sticky", 0)]
    seen: set[tuple[str, str]] = set()
    for domain, names in (("category", post.categories), ("post_tag", post.tags)):
        for name in names:
            nicename = term_slug(name, "category" if domain == "category" else "tag")
            if (domain, nicename) in seen:
                continue
            seen.add((domain, nicename))
            fields.append(f'<category domain="{domain}" nicename={quoteattr(nicename)}>{cdata(name)}</category>')
    if images:
        fields.append(postmeta("_thumbnail_id", attachment_id(post_id, 0)))
    parts = [_item(fields)]
    titles: set[str] = set()
    for position, image in enumerate(images):
        file_name = image_file_name(image.src)
        url = new_image(item, image.src, addresses)
        title = unique_title((image.alt or "").strip() or file_name, titles)
        fields = [celement("title", title),
                  element("link", url),
                  element("pubDate", rfc822(published)),
                  celement("dc:creator", creator),
                  '<guid isPermaLink="false">' + text(url) + "</guid>",
                  "<description></description>",
                  celement("content:encoded", ""),
                  celement("excerpt:encoded", image.caption or ""),
                  element("wp:post_id", attachment_id(post_id, position)),
                  *_dates(published, modified),
                  celement("wp:comment_status", "closed"),
                  celement("wp:ping_status", "closed"),
                  celement("wp:post_name", safe_name(file_name.rsplit(".", 1)[0], fallback="image")),
                  celement("wp:status", "inherit"),
                  element("wp:post_parent", post_id),
                  element("wp:menu_order", position),
                  celement("wp:post_type", "attachment"),
                  celement("wp:post_password", ""),
                  element("wp:is_sticky", 0),
                  celement("wp:attachment_url", url)]
        if image.alt:
            fields.append(postmeta("_wp_attachment_image_alt", image.alt))
        parts.append(_item(fields))
    return "".join(parts)


def unique_title(title: str, taken: set[str]) -> str:
    """WordPress skips an item whose title and date match one already there: keep a post's images apart."""
    return unique(title, taken, lambda n: f"{title} ({n})")


def postmeta(key: str, value: Any) -> str:
    return "<wp:postmeta>" + celement("wp:meta_key", key) + celement("wp:meta_value", value) + "</wp:postmeta>"


# --- the exporter -------------------------------------------------------------------------------------

@dataclass
class _SiteFile:
    name: str
    host: str
    handle: BinaryIO
    attachments: int = 0
    old_host: int = 0


def export(db: sqlite_utils.Database, out: OutDir, *, site: str | None, since: str | None,
           media_root: Path | None, media_url: str | None = None, prefix: str = "/") -> ExportSummary:
    summary = ExportSummary()
    copies = MediaCopies(out, "media", media_root, summary)
    taken: set[str] = set()
    current: _SiteFile | None = None
    try:
        for item in iter_export_posts(db, media_root, site=site, since=since):
            host = item.row["site"]
            if current is None or current.host != host:
                if current is not None:
                    _close(current, summary)
                name = unique(safe_name(host, fallback="site"), taken) + ".wxr.xml"
                current = _SiteFile(name, host, out.open(name))
                write_header(current.handle, site_header(db, host, item, site=site, since=since))
            media = copies.images(item, lambda name: media_url + quote(name)) if media_url else (lambda src: None)
            addresses = Addresses(post=lambda slug: f"{prefix}{quote(slug)}/", image=media)
            current.handle.write(post_items(item, skipped=summary.warnings, addresses=addresses).encode("utf-8"))
            summary.add(item)
            images = item.images[:MAX_IMAGES]
            current.attachments += len(images)
            current.old_host += sum(is_old_host(addresses.image(image.src) or image.src, host) for image in images)
        if current is not None:
            _close(current, summary)
            current = None
    finally:
        if current is not None:
            current.handle.close()
    return summary


def _close(current: _SiteFile, summary: ExportSummary) -> None:
    write_footer(current.handle)
    current.handle.close()
    summary.files.append(current.name)
    if current.old_host:
        summary.warnings.append(
            f"{current.name}: {current.old_host} of {current.attachments} attachments point at the old site "
            f"({current.host} or the Wix media host); WordPress fetches them only while those URLs still "
            "answer, so import with \"Download and import file attachments\" before the old site goes away")
