"""One HTML rendering of the archive's posts, shared by `serve` (archive.web) and the static export
(archive.export.html): the page shell, a post in a list, a post's own page, and what changed between two
versions of a post.

Scraped HTML goes through one sanitiser only, export.common.rewrite_html with the extractor's allow-list
(scraper.sections.ALLOWED_TAGS / ALLOWED_ATTRIBUTES); everything else shown is escaped text. Where links and
images lead is the caller's choice (an Addresses): the export points them at its own files, `serve` at its
routes. Both use the one style sheet, archive/static/style.css.
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from html import escape
from typing import Any, Callable
from urllib.parse import urljoin, urlsplit

from scraper.text import cut_at_word

from .export.common import Addresses, ExportPost, new_image, rewrite_html
from .render import version_diff

EXCERPT_CHARS = 240
LINK_REL = "noopener noreferrer nofollow"
WEB_SCHEMES = ("http", "https", "mailto")
_LANGUAGE = re.compile(r"[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*")
_TOKEN = re.compile(r"\s+|\w+|[^\w\s]")


def day(value: str | None) -> str:
    """The date part of an ISO date or datetime ('' if there is none)."""
    return (value or "")[:10]


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """'1 post', '2 posts'."""
    return f"{count:,} {noun if count == 1 else (nouns or noun + 's')}"


def excerpt_of(excerpt: str | None, body_text: str | None) -> str:
    """The post's own excerpt, else the start of its text: one line, cut at a word."""
    return cut_at_word(" ".join((excerpt or body_text or "").split()), EXCERPT_CHARS)


def document(title: str, body: str, *, stylesheet: str, head: str = "", lang: str | None = None) -> str:
    """A whole HTML page: the viewport for phones, the one style sheet, no inline script or style."""
    language = lang if lang and _LANGUAGE.fullmatch(lang) else "en"
    return (f'<!doctype html>\n<html lang="{escape(language)}"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">{head}'
            f'<title>{escape(title)}</title><link rel="stylesheet" href="{escape(stylesheet)}"></head>\n'
            f'<body>{body}</body></html>\n')


def top_bar(home: str, links: list[tuple[str, str]], *, current: str | None = None) -> str:
    """The bar at the top of every page: the archive's name, then its sections (label, address)."""
    mark = ' aria-current="page"'
    items = "".join(f'<a href="{escape(href)}"{mark if label == current else ""}>{escape(label)}</a>'
                    for label, href in links)
    return (f'<header class="bar"><nav aria-label="Archive"><a class="brand" href="{escape(home)}">Blog archive</a>'
            f'{items}</nav></header>')


@dataclass
class Summary:
    """A post as a list shows it: title, date, author, excerpt, tags (with their addresses)."""

    href: str
    title: str | None
    date: str | None
    author: str | None
    excerpt: str = ""
    tags: list[tuple[str, str]] = field(default_factory=list)  # (name, address)
    item_id: str | None = None
    badges: list[str] = field(default_factory=list)  # short notes shown beside the date ("gone", a flag)
    snippet_html: str = ""  # a search hit's snippet, already safe HTML


def post_summary(entry: Summary) -> str:
    """One post in a list (the home page, search results, the export's index)."""
    ident = f' id="{escape(entry.item_id)}"' if entry.item_id else ""
    badges = "".join(f' <span class="badge">{escape(b)}</span>' for b in entry.badges)
    parts = [f'<li class="hit"{ident}><a class="title" href="{escape(entry.href)}">'
             f'{escape(entry.title or "(untitled)")}</a>',
             f'<div class="meta"><time>{escape(day(entry.date) or "undated")}</time> · '
             f'{escape(entry.author or "unknown author")}{badges}</div>']
    if entry.snippet_html:
        parts.append(f'<p class="snippet">{entry.snippet_html}</p>')
    elif entry.excerpt:
        parts.append(f'<p class="excerpt">{escape(entry.excerpt)}</p>')
    if entry.tags:
        parts.append(tag_list(entry.tags))
    parts.append("</li>")
    return "".join(parts)


def tag_list(tags: list[tuple[str, str]], *, label: str | None = None) -> str:
    """Tags as small links; label ('Tags', 'Categories') read by screen readers and shown on post pages."""
    title = f'<span class="label">{escape(label)}</span>' if label else ""
    links = "".join(f'<a class="tag" href="{escape(href)}">{escape(name)}</a>' for name, href in tags)
    return f'<p class="tags">{title}{links}</p>'


def post_article(item: ExportPost, addresses: Addresses, *, tag_href: Callable[[str], str],
                 notes: str = "") -> str:
    """A post's page: title, facts, tags and categories, the original address, its sections (sanitised, links
    and images moved by addresses), then the images no section showed. notes: safe HTML shown before the text."""
    post = item.post
    body = [f'<article><h1>{escape(post.title or "(untitled)")}</h1>', _facts(item)]
    for label, names in (("Tags", post.tags), ("Categories", post.categories)):
        if names:
            body.append(tag_list([(name, tag_href(name)) for name in names], label=label))
    body.append(notes)
    shown: set[str] = set()
    for section in post.sections:
        if section.heading:
            level = min(max(section.level, 2), 6)
            body.append(f"<h{level}>{escape(section.heading)}</h{level}>")
        if section.html:
            body.append(rewrite_html(item, section.html, addresses, link_rel=LINK_REL, shown=shown))
    body.append(_other_images(item, addresses, shown))
    body.append("</article>")
    return "".join(body)


def _facts(item: ExportPost) -> str:
    post = item.post
    facts = [escape(post.author or "unknown author"), f"published {escape(day(post.published) or 'undated')}"]
    if post.updated and day(post.updated) != day(post.published):
        facts.append(f"updated {escape(day(post.updated))}")
    if item.row.get("status") == "gone":
        since = day(item.row.get("gone_at")) or "unknown"
        facts.append(f'<span class="badge gone">gone from the site since {escape(since)}</span>')
    original = ""
    if post.url and urlsplit(post.url).scheme in ("http", "https"):
        original = f'<br>Original: <a href="{escape(post.url)}" rel="{LINK_REL}">{escape(post.url)}</a>'
    elif post.url:
        original = f"<br>Original: {escape(post.url)}"
    return f'<p class="meta">{" · ".join(facts)}{original}</p>'


def _other_images(item: ExportPost, addresses: Addresses, shown: set[str]) -> str:
    """Images the sections never showed (a gallery, a cover): still part of the post."""
    post = item.post
    rest = [im for im in post.images if im.src not in shown and urljoin(post.url or "", im.src) not in shown]
    figures = []
    for image in rest:
        web = web_url(image.src, post.url)
        if web is None:
            continue
        src = addresses.image(image.src) or new_image(item, web, addresses)
        caption = f"<figcaption>{escape(image.caption)}</figcaption>" if image.caption else ""
        figures.append(f'<figure><img src="{escape(src)}" alt="{escape(image.alt or "")}">{caption}</figure>')
    return f'<section class="images"><h2>Images</h2>{"".join(figures)}</section>' if figures else ""


def web_url(url: str, base: str | None) -> str | None:
    """url made absolute against base, if it is then a web (or mailto) address; None otherwise."""
    try:
        absolute = urljoin(base or "", url.strip())
        scheme = urlsplit(absolute).scheme.lower()
    except ValueError:
        return None
    return absolute if scheme in WEB_SCHEMES else None


# --- what changed between two versions of a post ---------------------------------------------------------

def change_title(older: dict[str, Any], newer: dict[str, Any]) -> str:
    return f"Version {older['number']} ({day(older['captured_at']) or '?'}) → version {newer['number']} " \
           f"({day(newer['captured_at']) or '?'}{', current' if newer['current'] else ''})"


def diff_html(older: dict[str, Any], newer: dict[str, Any]) -> str:
    """A unified diff of two versions, added and removed lines marked for the style sheet, and within a line
    that was rewritten, the words that changed."""
    lines = version_diff(older, newer).splitlines()[2:]  # the ---/+++ file lines: the title says which versions
    out: list[str] = []
    index = 0
    while index < len(lines):
        removed = _run_of(lines, index, "-")
        added = _run_of(lines, index + len(removed), "+")
        if removed and len(removed) == len(added):
            for old, new in zip(removed, added):
                marked_old, marked_new = word_diff(old[1:], new[1:])
                out.append(f'<span class="del">-{marked_old}</span>')
                out.append(f'<span class="add">+{marked_new}</span>')
            index += 2 * len(removed)
            continue
        line = lines[index]
        kind = {"+": "add", "-": "del", "@": "hunk"}.get(line[:1], "same")
        out.append(f'<span class="{kind}">{escape(line)}</span>')
        index += 1
    return f'<pre class="diff">{"".join(out)}</pre>'


def _run_of(lines: list[str], start: int, mark: str) -> list[str]:
    run = []
    for line in lines[start:]:
        if not line.startswith(mark):
            break
        run.append(line)
    return run


def word_diff(old: str, new: str) -> tuple[str, str]:
    """Both lines escaped, with the words only the old one has in <del> and those only the new one has in <ins>."""
    a, b = _TOKEN.findall(old), _TOKEN.findall(new)
    left, right = [], []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        gone, came = escape("".join(a[i1:i2])), escape("".join(b[j1:j2]))
        if op == "equal":
            left.append(gone)
            right.append(came)
            continue
        if gone:
            left.append(f"<del>{gone}</del>")
        if came:
            right.append(f"<ins>{came}</ins>")
    return "".join(left), "".join(right)
