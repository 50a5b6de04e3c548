"""A static site of the archive that opens straight from the file system (file://) and can be hosted anywhere.

index.html lists the posts, newest first, with a search box; search.js filters and ranks them as you type
over `search-index.js` (a script assigning `window.SEARCH_INDEX`, since browsers refuse fetch() on file://).
Each post gets posts/<slug>.html, rendered as `serve` renders it (archive.html_render, the extractor's allow-list);
links to other exported posts point at their page here (`<slug>.html`), downloaded images (real images by
their bytes) are copied to images/ and linked relatively. Every file goes through OutDir, and the same
archive always gives byte-identical files (stable order, sorted JSON keys, no export timestamps).
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import sqlite_utils

from ..html_render import Summary, day, document, excerpt_of, plural, post_article, post_summary, top_bar
from .common import Addresses, ExportPost, MediaCopies, OutDir, dumps, iter_export_posts
from .summary import ExportSummary

STATIC = Path(__file__).resolve().parent.parent / "static"

# Scripts only from the site's own files; no inline script, no plugin, nothing posted anywhere.
CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' https: http: data:; form-action 'none'"
MAX_WORDS = 1500  # unique words of a post's text kept in the search index (a few KB per post)
MAX_WORD_CHARS = 40

_WORD = re.compile(r"[^\W_]+")


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
        return {"s": self.slug, "t": self.title, "a": self.author, "d": day(self.date), "g": self.tags,
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
    article = post_article(item, addresses, tag_href=lambda name: f"../index.html#q={quote(name, safe='')}")
    return page(post.title or "(untitled)", article, root="../", lang=post.language)


def index_page(entries: list[Entry]) -> str:
    items = "".join(post_summary(Summary(href=f"posts/{quote(e.slug)}.html", title=e.title, date=e.date,
                                         author=e.author, excerpt=e.excerpt, item_id=f"p-{e.slug}",
                                         tags=[(name, f"#q={quote(name, safe='')}") for name in e.tags]))
                    for e in entries)
    form = ('<form id="search" role="search" action="index.html">'
            '<input id="q" name="q" type="search" autofocus autocomplete="off" placeholder="Search the archive" '
            'aria-label="Search the archive"></form>')
    body = (f'<h1>Blog archive</h1>{form}<p id="count" class="note" aria-live="polite">{plural(len(entries), "post")}'
            f'</p><ol id="posts" class="hits">{items}</ol>')
    scripts = '<script src="search-index.js" defer></script><script src="search.js" defer></script>'
    return page("Blog archive", body, root="", head=scripts)


def page(title: str, body: str, *, root: str, head: str = "", lang: str | None = None) -> str:
    meta = (f'<meta http-equiv="Content-Security-Policy" content="{CSP}"><meta name="referrer" content="no-referrer">'
            f'{head}')
    bar = top_bar(f"{root}index.html", [("All posts", f"{root}index.html")])
    return document(title, f"{bar}<main>{body}</main>", stylesheet=f"{root}style.css", head=meta, lang=lang)


def search_index(entries: list[Entry]) -> str:
    lines = ",\n".join(_js_json(e.index_data()) for e in entries)
    return f"window.SEARCH_INDEX = [\n{lines}\n];\n"


def _js_json(data: object) -> str:
    # "<" never appears raw, so no text in the index could ever read as markup, whatever includes it.
    return dumps(data).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _entry(item: ExportPost) -> Entry:
    post = item.post
    text = post.body_text
    excerpt = excerpt_of(post.excerpt, text)
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
