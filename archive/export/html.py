"""A static site of the archive that opens straight from the file system (file://) and can be hosted anywhere.

index.html lists the posts, newest first, with a search box; search.js filters and ranks them as you type
over `search-index.js` (a script assigning `window.SEARCH_INDEX`, since browsers refuse fetch() on file://).
Each post gets posts/<slug>.html with its sections sanitised with the extractor's allow-list (common.rewrite_html);
links to other exported posts point at their page here (`<slug>.html`), downloaded images (real images by
their bytes) are copied to images/ and linked relatively. Every file goes through OutDir, and the same
archive always gives byte-identical files (stable order, sorted JSON keys, no export timestamps).
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from html import escape
from pathlib import Path
from urllib.parse import quote, urljoin, urlsplit

import sqlite_utils

from scraper.text import cut_at_word

from .common import Addresses, ExportPost, MediaCopies, OutDir, dumps, iter_export_posts, new_image, rewrite_html
from .summary import ExportSummary

STATIC = Path(__file__).resolve().parent.parent / "static"

# Scripts only from the site's own files; no inline script, no plugin, nothing posted anywhere.
CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' https: http: data:; form-action 'none'"
EXCERPT_CHARS = 240
MAX_WORDS = 1500  # unique words of a post's text kept in the search index (a few KB per post)
MAX_WORD_CHARS = 40
WEB_SCHEMES = ("http", "https", "mailto")
LINK_REL = "noopener noreferrer nofollow"

_WORD = re.compile(r"[^\W_]+")
_LANGUAGE = re.compile(r"[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*")


@dataclass
class Entry:
    """What the index page and the search index keep of a post (the post itself is not held)."""

    slug: str
    title: str
    author: str
    date: str | None
    excerpt: str
    tags: list[str]
    words: str

    def index_data(self) -> dict[str, object]:
        return {"s": self.slug, "t": self.title, "a": self.author, "d": _day(self.date), "g": self.tags,
                "w": self.words}


def export(db: sqlite_utils.Database, out: OutDir, *, site: str | None, since: str | None,
           media_root: Path | None) -> ExportSummary:
    summary = ExportSummary()
    copies = MediaCopies(out, "images", media_root, summary)
    entries: list[Entry] = []
    for item in iter_export_posts(db, media_root, site=site, since=since):
        images = copies.images(item, lambda name: f"../images/{quote(name)}")
        for image in item.images:
            if images(image.src) is None:
                summary.missing_images += 1
        addresses = Addresses(post=lambda slug: f"{quote(slug)}.html", image=images)
        _write(out, summary, post_page(item, addresses), "posts", f"{item.slug}.html")
        entries.append(_entry(item))
        summary.add(item)
    # Newest first; undated posts last; ties by slug, so the order never depends on the database's.
    entries.sort(key=lambda e: e.slug)
    entries.sort(key=lambda e: e.date or "", reverse=True)
    _write(out, summary, index_page(entries), "index.html")
    _write(out, summary, search_index(entries), "search-index.js")
    _write(out, summary, (STATIC / "export-search.js").read_bytes(), "search.js")
    _write(out, summary, (STATIC / "style.css").read_bytes(), "style.css")
    return summary


def _write(out: OutDir, summary: ExportSummary, data: str | bytes, *parts: str) -> None:
    out.write(data, *parts)
    summary.files.append("/".join(parts))


def post_page(item: ExportPost, addresses: Addresses) -> str:
    post = item.post
    facts = [escape(post.author or "unknown author"), f"published {escape(_day(post.published) or 'undated')}"]
    if post.updated and _day(post.updated) != _day(post.published):
        facts.append(f"updated {escape(_day(post.updated))}")
    if item.row.get("status") == "gone":
        facts.append(f"gone from the site since {escape(_day(item.row.get('gone_at')) or 'unknown')}")
    body = [f'<article><h1>{escape(post.title or "(untitled)")}</h1><p class="meta">{" · ".join(facts)}']
    labels = [("Tags", post.tags), ("Categories", post.categories)]
    for label, names in labels:
        if names:
            links = ", ".join(f'<a href="../index.html#q={escape(quote(name, safe=""))}">{escape(name)}</a>'
                              for name in names)
            body.append(f'<br>{label}: {links}')
    if post.url and urlsplit(post.url).scheme in ("http", "https"):
        body.append(f'<br>Original: <a href="{escape(post.url)}" rel="noopener noreferrer nofollow">'
                    f'{escape(post.url)}</a>')
    elif post.url:
        body.append(f"<br>Original: {escape(post.url)}")
    body.append("</p>")
    shown: set[str] = set()
    for section in post.sections:
        if section.heading:
            level = min(max(section.level, 2), 6)
            body.append(f"<h{level}>{escape(section.heading)}</h{level}>")
        if section.html:
            body.append(rewrite_html(item, section.html, addresses, link_rel=LINK_REL, shown=shown))
    # Images the sections never showed (a gallery, a cover) are still part of the post.
    rest = [im for im in post.images if im.src not in shown and urljoin(post.url or "", im.src) not in shown]
    if rest:
        body.append('<section class="images"><h2>Images</h2>')
        for image in rest:
            web = _web_url(image.src, post.url)
            if web is None:
                continue
            src = addresses.image(image.src) or new_image(item, web, addresses)
            caption = f"<figcaption>{escape(image.caption)}</figcaption>" if image.caption else ""
            body.append(f'<figure><img src="{escape(src)}" alt="{escape(image.alt or "")}">{caption}</figure>')
        body.append("</section>")
    body.append("</article>")
    nav = '<p><a href="../index.html">← All posts</a></p>'
    return page(post.title or "(untitled)", nav + "".join(body), root="../", lang=post.language)


def _web_url(url: str, base: str | None) -> str | None:
    """url made absolute against base, if it is then a web (or mailto) address; None otherwise."""
    try:
        absolute = urljoin(base or "", url.strip())
        scheme = urlsplit(absolute).scheme.lower()
    except ValueError:
        return None
    return absolute if scheme in WEB_SCHEMES else None


def index_page(entries: list[Entry]) -> str:
    items = []
    for e in entries:
        tags = f' · {escape(", ".join(e.tags))}' if e.tags else ""
        excerpt = f"<p>{escape(e.excerpt)}</p>" if e.excerpt else ""
        items.append(f'<li class="hit" id="p-{escape(e.slug)}"><a class="title" href="posts/{quote(e.slug)}.html">'
                     f'{escape(e.title)}</a><div class="meta">{escape(_day(e.date) or "undated")} · '
                     f'{escape(e.author)}{tags}</div>{excerpt}</li>')
    count = f"{len(entries)} post{'' if len(entries) == 1 else 's'}"
    form = ('<form id="search" role="search" action="index.html">'
            '<input id="q" name="q" type="search" autofocus autocomplete="off" placeholder="Search the archive" '
            'aria-label="Search the archive"></form>')
    body = (f'<h1>Blog archive</h1>{form}<p id="count" class="note" aria-live="polite">{count}</p>'
            f'<ol id="posts" class="hits">{"".join(items)}</ol>')
    scripts = '<script src="search-index.js" defer></script><script src="search.js" defer></script>'
    return page("Blog archive", body, root="", head=scripts)


def page(title: str, body: str, *, root: str, head: str = "", lang: str | None = None) -> str:
    language = lang if lang and _LANGUAGE.fullmatch(lang) else "en"
    return (f'<!doctype html>\n<html lang="{escape(language)}"><head><meta charset="utf-8">'
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
            f'<meta name="referrer" content="no-referrer">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<title>{escape(title)}</title><link rel="stylesheet" href="{root}style.css">{head}</head>\n'
            f'<body><main>{body}</main></body></html>\n')


def search_index(entries: list[Entry]) -> str:
    lines = ",\n".join(_js_json(e.index_data()) for e in entries)
    return f"window.SEARCH_INDEX = [\n{lines}\n];\n"


def _js_json(data: object) -> str:
    # "<" never appears raw, so no text in the index could ever read as markup, whatever includes it.
    return dumps(data).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _entry(item: ExportPost) -> Entry:
    post = item.post
    text = post.body_text
    excerpt = cut_at_word(" ".join((post.excerpt or text).split()), EXCERPT_CHARS)
    tags: dict[str, str] = {}
    for name in post.tags + post.categories:
        tags.setdefault(name.lower(), name)  # "sleep" the tag and "Sleep" the category are shown once
    return Entry(slug=item.slug, title=post.title or "(untitled)", author=post.author or "unknown author",
                 date=post.published or post.updated, excerpt=excerpt, tags=list(tags.values()),
                 words=" ".join(index_words(" ".join([post.title or "", text]))))


def index_words(text: str) -> list[str]:
    """Lowercased, accent-folded unique words in first-seen order (capped), then sorted: small and stable."""
    words: dict[str, None] = {}
    for word in _WORD.findall(fold(text)):
        if len(word) < 2 or len(word) > MAX_WORD_CHARS:
            continue
        words.setdefault(word)
        if len(words) >= MAX_WORDS:
            break
    return sorted(words)


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _day(value: str | None) -> str:
    return (value or "")[:10]

