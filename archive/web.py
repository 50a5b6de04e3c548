"""`blog-archive serve`: a small read-only web page over the archive, on 127.0.0.1 by default.

Server-side HTML: the posts, page by page; an overview (archive.overview) with a chart drawn as SVG; each
post as the static export shows it (archive.html_render). One small script makes results follow the search
box as you type. The archive is opened read-only, only GET and HEAD are answered, every scraped fragment is
sanitised with the extractor's allow-list before it is shown, images come only from the archive's own
copies (a placeholder stands for one never downloaded), and a Content-Security-Policy forbids inline
scripts. Requests must name the server by an address it listens on (no DNS rebinding); downloaded media is
served only as the image, video, audio or PDF its name says, under a policy that runs nothing, and anything
else as a download.
"""
from __future__ import annotations

import contextlib
import http.server
import ipaddress
import json
import logging
import math
import mimetypes
import re
import socket
import sys
import threading
from dataclasses import asdict, dataclass
from html import escape
from pathlib import Path
from typing import Any, Callable, Iterator, NamedTuple
from urllib.parse import parse_qs, quote, urldefrag, urljoin, urlsplit

import sqlite_utils

from scraper.errors import ArchiveError
from scraper.httpserver import in_thread
from scraper.urls import normalize_url

from .export.common import Addresses, ExportPost, PostIndex
from .html_render import (
    Summary,
    change_title,
    day,
    diff_html,
    document,
    excerpt_of,
    plural,
    post_article,
    post_summary,
    top_bar,
)
from .mediatypes import DOWNLOAD, media_dir_for, media_type
from .overview import add_functions, flag_condition, flag_kind, href, overview, post_href
from .search import MARK_END, MARK_START, SearchError, post_filters, search, to_fts_query
from .store import enable_fast_reads, find_post, load_post, open_archive, post_versions

CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'"
MEDIA_CSP = "default-src 'none'; sandbox"  # a media file opened on its own runs nothing and reaches nothing
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "[::1]")
WILDCARDS = ("", "0.0.0.0", "::")
HTML = "text/html; charset=utf-8"
BACKLOG = 256  # connections waiting to be accepted (socketserver's default of 5 drops bursts)
PAGE_SIZE = 20
MAX_PAGE = 100_000
PLACEHOLDER = "/static/image-not-downloaded.svg"  # shown where an image was never downloaded (no hot-linking)
SECTIONS = [("Posts", "/"), ("Overview", "/overview")]
_YEAR = re.compile(r"\d{4}")
_MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")


class Response(NamedTuple):
    status: int
    content_type: str
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()


STATIC = Path(__file__).parent / "static"
logger = logging.getLogger(__name__)


def open_read_only(db_path: str | Path) -> sqlite_utils.Database:
    """The archive, read-only (also on a read-only file or disk), shared by the server's threads under a lock."""
    db = enable_fast_reads(open_archive(db_path, create=False))
    add_functions(db)
    return db


@dataclass
class Filters:
    """What the posts page shows, from its query string: a search, filters, and which page of the results."""

    q: str = ""
    author: str = ""
    year: str = ""
    month: str = ""  # YYYY-MM (a bar of the overview's chart)
    tag: str = ""
    site: str = ""
    flag: str = ""  # a kind of quality flag (overview.flag_kind)
    status: str = ""  # "gone": only posts gone from the site
    undated: str = ""  # "1": only posts without a date
    page: int = 1

    @classmethod
    def from_query(cls, query: dict[str, str]) -> Filters:
        year, month, number = query.get("year", ""), query.get("month", ""), query.get("page", "")
        return cls(q=query.get("q", "").strip(), author=query.get("author", ""), tag=query.get("tag", ""),
                   year=year if _YEAR.fullmatch(year) else "", month=month if _MONTH.fullmatch(month) else "",
                   site=query.get("site", ""), flag=query.get("flag", ""),
                   status="gone" if query.get("status") == "gone" else "",
                   undated="1" if query.get("undated") == "1" else "",
                   page=int(number) if number.isdigit() and 0 < int(number) <= MAX_PAGE else 1)

    def link(self, **changes: str | int) -> str:
        """This view's address with some parameters changed (the page goes back to 1 unless given)."""
        values = {**{k: v for k, v in asdict(self).items() if k != "page"}, "page": 1, **changes}
        values["page"] = values["page"] if values["page"] != 1 else ""
        return href("/", **values)

    def dates(self) -> tuple[str | None, str | None]:
        if self.month:
            return f"{self.month}-01", f"{self.month}-31"
        if self.year:
            return f"{self.year}-01-01", f"{self.year}-12-31"
        return None, None

    def search_filters(self) -> dict[str, str | None]:
        since, until = self.dates()
        return {"author": self.author or None, "tag": self.tag or None, "site": self.site or None,
                "since": since, "until": until}

    def conditions(self) -> tuple[list[str], list[str]]:
        """SQL conditions on posts for the listing (no search): the search's filters and the listing's own."""
        where, params = post_filters("posts", **self.search_filters())
        if self.flag:
            where.append(flag_condition("posts"))
            params.append(self.flag)
        if self.status:
            where.append("posts.status = 'gone'")
        if self.undated:
            where.append("coalesce(posts.published, posts.updated) is null")
        return where, params

    def chips(self) -> list[tuple[str, str]]:
        """(label, address without it) for each filter in use."""
        labels = {"author": "Author: {}", "year": "Year {}", "month": "Month {}", "tag": "Tag: {}",
                  "site": "Site: {}", "flag": "Flagged: {}", "status": "Gone from the site",
                  "undated": "Without a date"}
        return [(label.format(getattr(self, name)), self.link(**{name: ""}))
                for name, label in labels.items() if getattr(self, name)]


@dataclass
class ArchiveFacts:
    """The archive as the posts page introduces it."""

    sites: list[tuple[str, int]]  # (site, posts), the largest first
    gone: int
    authors: list[str]
    years: list[str]  # newest first
    tags: list[str]
    crawled: str | None  # when the last crawl ended


class LiveIndex(PostIndex):
    """Links between posts lead to the archived post (looked up as each link is shown, not indexed ahead)."""

    def __init__(self, db: sqlite_utils.Database):
        self.db = db

    def find(self, url: str) -> tuple[int, str | None] | None:
        address = urldefrag(url)[0]
        try:
            candidates = dict.fromkeys([address, normalize_url(address)])
        except ValueError:
            return None
        for candidate in candidates:
            row = self.db.execute("select id, url from posts where url = ? union all select p.id, p.url from aliases "
                                  "a join posts p on p.id = a.post_id where a.url = ? limit 1",
                                  [candidate, candidate]).fetchone()
            if row:
                return row[0], row[1]
        return None


class ArchiveSite:
    """The pages, as functions of a request's path and query: easy to call from tests without a server."""

    def __init__(self, db_path: str | Path):
        self.db = open_read_only(db_path)
        self.media_dir = media_dir_for(db_path)
        self.lock = threading.Lock()  # one sqlite connection, shared by the server's threads

    def respond(self, target: str) -> Response:
        """The response to a GET of target."""
        parts = urlsplit(target)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        path = parts.path
        pages = {"/": self.home, "/results": self.results, "/overview": self.overview, "/post": self.post,
                 "/diff": self.diff}
        if path in pages:
            with self.lock:
                return pages[path](query)
        if path.startswith("/static/"):
            return self.static(path[len("/static/"):])
        if path.startswith("/media/"):
            return self.media(path[len("/media/"):])
        return not_found("No such page", "There is no page at this address.")

    # --- the posts page ---------------------------------------------------------------------------------

    def home(self, query: dict[str, str]) -> Response:
        filters = Filters.from_query(query)
        facts = self.facts()
        title, header = site_header(facts)
        body = f'{header}{search_form(facts, filters)}<div id="results">{self.results_html(filters)}</div>'
        return html_response(page(title, body, current="Posts"))

    def results(self, query: dict[str, str]) -> Response:
        """The results alone, for the page's script to swap in as the query is typed."""
        return html_response(self.results_html(Filters.from_query(query)))

    def facts(self) -> ArchiveFacts:
        """What the posts page says of the whole archive, in as few passes over it as can be."""
        sites = self.db.execute("select site, count(*), sum(status = 'gone') from posts group by site "
                                "order by 2 desc, site").fetchall()
        return ArchiveFacts(
            sites=[(site, n) for site, n, _ in sites], gone=sum(g for _, _, g in sites),
            authors=[r[0] for r in self.db.execute("select distinct author from posts where author is not null "
                                                   "order by author")],
            years=[r[0] for r in self.db.execute("select distinct substr(coalesce(published, updated), 1, 4) y "
                                                 "from posts where y is not null order by y desc")],
            tags=[r[0] for r in self.db.execute("select min(name) from tags group by lower(name) "
                                                "order by lower(name)")],
            crawled=self._one("select max(coalesce(finished_at, started_at)) from runs"))

    def results_html(self, filters: Filters) -> str:
        return self.hits(filters) if filters.q else self.listing(filters)

    def listing(self, filters: Filters) -> str:
        """Every post the filters keep, newest first (undated last), a page at a time."""
        where, params = filters.conditions()
        condition = " and ".join(["1", *where])
        total = self._one(f"select count(*) from posts where {condition}", params)
        number, pages = page_number(filters.page, total)
        # The page's ids first (a sort of narrow rows), then only their rows: a deep page costs no more.
        ids = [r[0] for r in self.db.execute(
            f"select id from posts where {condition} order by coalesce(published, updated) is null, "
            f"coalesce(published, updated) desc, id desc limit ? offset ?",
            [*params, PAGE_SIZE, (number - 1) * PAGE_SIZE])]
        found = {r[0]: r for r in self.db.execute(
            f"select id, url, title, author, coalesce(published, updated), excerpt, substr(body_text, 1, 2000), "
            f"status, warnings from posts where id in ({', '.join('?' * len(ids))})", ids)}
        rows = [found[i] for i in ids]
        tags = self.tags_of([r[0] for r in rows])
        items = [post_summary(Summary(
            href=post_href(url), title=title, date=date, author=author, excerpt=excerpt_of(excerpt, body),
            tags=[(n, href("/", tag=n)) for n in tags.get(post_id, [])],
            badges=badges(status, warnings if filters.flag else None)))
            for post_id, url, title, author, date, excerpt, body, status, warnings in rows]
        first = (number - 1) * PAGE_SIZE + 1
        shown = (f"Posts {first:,}–{first + len(rows) - 1:,} of {total:,}, newest first" if total > len(rows) or
                 number > 1 else f"{plural(total, 'post')}, newest first")
        count = shown if rows else "No posts."
        return self.result_list(filters, count, items, number, pages)

    def hits(self, filters: Filters) -> str:
        """Posts matching the search, best first, a page at a time."""
        options = filters.search_filters()
        try:
            total = self.count_matches(filters.q, options)
            number, pages = page_number(filters.page, total)
            hits = search(self.db, filters.q, limit=number * PAGE_SIZE, **options)[(number - 1) * PAGE_SIZE:]
        except SearchError as exc:
            return f'<p class="note">{escape(str(exc))}</p>'
        ids = dict(self.db.execute(f"select url, id from posts where url in ({', '.join('?' * len(hits))})",
                                   [h.url for h in hits]).fetchall()) if hits else {}
        tags = self.tags_of(list(ids.values()))
        items = []
        for hit in hits:
            snippet = escape(hit.snippet).replace(MARK_START, "<mark>").replace(MARK_END, "</mark>")
            where = f'<span class="section">§ {escape(hit.heading)}</span> ' if hit.heading else ""
            items.append(post_summary(Summary(href=post_href(hit.url), title=hit.title, date=hit.published,
                                              author=hit.author, snippet_html=where + snippet,
                                              tags=[(n, href("/", tag=n)) for n in tags.get(ids.get(hit.url), [])])))
        count = f"{plural(total, 'post')} match, best first" if total else "No posts match."
        return self.result_list(filters, count, items, number, pages)

    def count_matches(self, text: str, options: dict[str, str | None]) -> int:
        match = to_fts_query(text)
        if not match:
            raise SearchError("nothing to search for")
        where, params = post_filters("p", **options)
        return self._one(f"select count(*) from posts_fts join posts p on p.rowid = posts_fts.rowid where "
                         f"{' and '.join(['posts_fts match ?', *where])}", [match, *params])

    def result_list(self, filters: Filters, count: str, items: list[str], number: int, pages: int) -> str:
        chips = "".join(f'<a class="chip" href="{escape(link)}" title="Remove this filter">{escape(label)}'
                        f'<span aria-hidden="true"> ✕</span></a>' for label, link in filters.chips())
        head = f'<div class="count"><p id="count" aria-live="polite">{escape(count)}</p>{chips}</div>'
        listing = f'<ol class="hits">{"".join(items)}</ol>' if items else ""
        return head + listing + pager(filters, number, pages)

    def tags_of(self, post_ids: list[int]) -> dict[int, list[str]]:
        """Each post's tags, then its categories (each name once)."""
        found: dict[int, list[str]] = {}
        if post_ids:
            for post_id, name in self.db.execute(
                    f"select post_id, name from tags where post_id in ({', '.join('?' * len(post_ids))}) "
                    f"order by post_id, kind desc, rowid", post_ids):
                names = found.setdefault(post_id, [])
                if name.lower() not in (n.lower() for n in names):
                    names.append(name)
        return found

    # --- the other pages ----------------------------------------------------------------------------------

    def overview(self, query: dict[str, str]) -> Response:
        return html_response(page("Overview", overview(self.db), current="Overview"))

    def find(self, query: dict[str, str]) -> dict[str, Any] | None:
        try:
            return find_post(self.db, query["url"]) if query.get("url", "").strip() else None
        except ArchiveError:  # a slug that names several posts
            return None

    def post(self, query: dict[str, str]) -> Response:
        row = self.find(query)
        if row is None:
            return not_found("No such post", "This archive holds no post at that address.")
        post = load_post(self.db, row)
        item = ExportPost(post, row, row["slug"] or "", index=LiveIndex(self.db))
        images, missing = self.image_addresses(row["id"], post.url or "")
        notes = flags_box(json.loads(row["warnings"] or "[]")) + images_note(missing, len(post.images))
        addresses = Addresses(post=lambda url: post_href(url) if url else None, image=images)
        body = [post_article(item, addresses, tag_href=lambda name: href("/", tag=name), notes=notes)]
        versions = post_versions(self.db, row)
        if len(versions) > 1:
            changes = "".join(f'<li><details><summary>{escape(change_title(older, newer))}</summary>'
                              f'{diff_html(older, newer)}</details></li>'
                              for older, newer in reversed(list(zip(versions, versions[1:]))))
            body.append(f'<section class="versions"><h2>Earlier versions</h2><p>{plural(len(versions) - 1, "change")}'
                        f' since it was first archived. <a href="{escape(href("/diff", url=row["url"]))}">'
                        f'See every change</a></p><ol>{changes}</ol></section>')
        return html_response(page(post.title or "Post", "".join(body), lang=post.language))

    def image_addresses(self, post_id: int, base: str) -> tuple[Callable[[str], str], int]:
        """The address each image of the post is shown from (its downloaded copy, else the placeholder), and how
        many have no usable copy."""
        local: dict[str, str | None] = {}
        for src, path in self.db.execute("select src, local_path from images where post_id = ?", [post_id]):
            local[src] = self.media_url(path) if path else None

        def image(src: str) -> str:
            return local.get(src) or local.get(urljoin(base, src)) or PLACEHOLDER

        return image, sum(1 for address in local.values() if address is None)

    def media_url(self, local_path: str) -> str | None:
        """/media/… for a downloaded copy that is there and shown as an image; None if it is not."""
        root = self.media_dir.resolve()
        target = (self.media_dir.parent / local_path).resolve()
        if not target.is_relative_to(root) or not target.is_file() or media_type(target.suffix) == DOWNLOAD:
            return None
        return "/media/" + quote(target.relative_to(root).as_posix())

    def diff(self, query: dict[str, str]) -> Response:
        """Every change to a post the crawls found, newest first, as a diff of its title and text."""
        row = self.find(query)
        if row is None:
            return not_found("No such post", "This archive holds no post at that address.")
        versions = post_versions(self.db, row)
        title = row["title"] or "(untitled)"
        back = f'<p><a class="back" href="{escape(post_href(row["url"]))}">← {escape(title)}</a></p>'
        changes = "".join(f'<section class="change"><h2>{escape(change_title(older, newer))}</h2>'
                          f'{diff_html(older, newer)}</section>'
                          for older, newer in reversed(list(zip(versions, versions[1:]))))
        if not changes:
            changes = '<p class="note">This post has not changed since it was first archived.</p>'
        body = f'{back}<h1>What changed in “{escape(title)}”</h1>{changes}'
        return html_response(page(f"Changes: {title}", body))

    # --- files -------------------------------------------------------------------------------------------

    def static(self, relative: str) -> Response:
        """The page's own style sheet, script and placeholder image."""
        target = inside(STATIC, relative)
        if target is None:
            return Response(404, "text/plain", b"not found")
        return Response(200, mimetypes.guess_type(target.name)[0] or DOWNLOAD, target.read_bytes())

    def media(self, relative: str) -> Response:
        """A downloaded image (or video, audio, PDF) under its own type; anything else only as a download.

        A scraped "image" may be HTML, SVG or a script: served from this origin as what it is, it would run
        with access to the whole archive. nosniff (on every response) keeps browsers to the type given here.
        """
        target = inside(self.media_dir, relative)
        if target is None:
            return Response(404, "text/plain", b"not found", (("Content-Security-Policy", MEDIA_CSP),))
        content_type = media_type(target.suffix)
        headers = [("Content-Security-Policy", MEDIA_CSP)]
        if content_type == DOWNLOAD:
            headers.append(("Content-Disposition", "attachment"))
        return Response(200, content_type, target.read_bytes(), tuple(headers))

    def _one(self, sql: str, params: list | None = None) -> Any:
        return self.db.execute(sql, params or []).fetchone()[0]


def site_header(facts: ArchiveFacts) -> tuple[str, str]:
    """(page title, header): the site or sites archived, and how much of each."""
    sites = facts.sites
    if not sites:
        return "Blog archive", ('<header class="site"><h1>Blog archive</h1><p class="note">The archive is empty.'
                                '</p></header>')
    stats = [plural(sum(n for _, n in sites), "post")]
    if facts.gone:
        stats.append(f'<a href="/?status=gone">{facts.gone:,} gone from the site</a>')
    stats.append(plural(len(facts.authors), "author"))
    if facts.years:
        first, last = facts.years[-1], facts.years[0]
        stats.append(first if first == last else f"{first}–{last}")
    if facts.crawled:
        stats.append(f"last crawled {escape(day(facts.crawled))}")
    if len(sites) == 1:
        name, heading = sites[0][0], f'<p class="kicker">Archive of</p><h1>{escape(sites[0][0])}</h1>'
    else:
        name = "Blog archive"
        heading = (f'<p class="kicker">Archive of {len(sites)} sites</p><h1>Blog archive</h1><ul class="sites">'
                   + "".join(f'<li><a href="{escape(href("/", site=site))}">{escape(site)}</a> '
                             f'<span class="n">{plural(n, "post")}</span></li>' for site, n in sites) + "</ul>")
    return name, f'<header class="site">{heading}<p class="stats">{" · ".join(stats)}</p></header>'


def search_form(facts: ArchiveFacts, filters: Filters) -> str:
    """The search box and its filters (a site filter only where the archive holds several sites)."""
    chosen = asdict(filters)
    selects = [select("author", "All authors", facts.authors, chosen),
               select("year", "All years", facts.years, chosen), select("tag", "All tags", facts.tags, chosen)]
    if len(facts.sites) > 1:
        selects.append(select("site", "All sites", sorted(site for site, _ in facts.sites), chosen))
    hidden = f'<input type="hidden" name="month" value="{escape(filters.month)}">' if filters.month else ""
    return (f'<form id="search" action="/" method="get" role="search">'
            f'<input id="q" name="q" type="search" autofocus autocomplete="off" placeholder="Search the archive" '
            f'aria-label="Search the archive" value="{escape(filters.q)}">{hidden}'
            f'<div class="filters">{"".join(selects)}<button type="submit">Search</button></div></form>')


def inside(root: Path, relative: str) -> Path | None:
    """The file at root/relative, if it is one and does not escape root."""
    base = root.resolve()
    target = (base / relative).resolve()
    return target if target.is_relative_to(base) and target.is_file() else None


def page_number(asked: int, total: int) -> tuple[int, int]:
    """(the page to show, how many pages there are): a page past the end shows the last one."""
    pages = max(1, math.ceil(total / PAGE_SIZE))
    return min(asked, pages), pages


def pager(filters: Filters, number: int, pages: int) -> str:
    """Links to the previous and next page and to pages nearby (first and last always)."""
    if pages <= 1:
        return ""
    shown = sorted({1, pages, *range(max(1, number - 2), min(pages, number + 2) + 1)})
    links, previous = [], 0
    for n in shown:
        if n - previous > 1:
            links.append('<span class="gap">…</span>')
        links.append(f'<span class="current" aria-current="page">{n}</span>' if n == number else
                     f'<a href="{escape(filters.link(page=n))}">{n}</a>')
        previous = n
    back = f'<a class="step" rel="prev" href="{escape(filters.link(page=number - 1))}">← Previous</a>' \
        if number > 1 else ""
    on = f'<a class="step" rel="next" href="{escape(filters.link(page=number + 1))}">Next →</a>' \
        if number < pages else ""
    return f'<nav class="pager" aria-label="Pages">{back}<span class="pages">{"".join(links)}</span>{on}</nav>'


def badges(status: str | None, warnings: str | None) -> list[str]:
    """Short notes beside a post in a list: gone from the site, and (when asked) its quality flags."""
    notes = ["gone from the site"] if status == "gone" else []
    if warnings:
        with contextlib.suppress(ValueError, TypeError):
            notes += [str(flag) for flag in json.loads(warnings)]
    return notes


def flags_box(flags: list[str]) -> str:
    """The post's quality flags, each leading to the other posts with a flag of its kind."""
    if not flags:
        return ""
    items = "".join(f'<li><a href="{escape(href("/", flag=flag_kind(flag)))}">{escape(str(flag))}</a></li>'
                    for flag in flags)
    return f'<aside class="flags"><h2>Check before migrating</h2><ul>{items}</ul></aside>'


def images_note(missing: int, total: int) -> str:
    """Why some images show as a placeholder (the page never loads an image from the old site)."""
    if not missing:
        return ""
    if total == 1:
        which = "its image was not downloaded; a placeholder stands in for it"
    elif missing == total:
        which = f"none of its {total} images were downloaded; placeholders stand in for them"
    else:
        which = (f"{missing} of its {total} images {'was' if missing == 1 else 'were'} not downloaded; "
                 f"{'a placeholder stands in for it' if missing == 1 else 'placeholders stand in for them'}")
    return (f'<p class="note images-note">This page shows images from the archive’s own copies, and {which} '
            f'(<code>blog-archive crawl --media</code> keeps copies).</p>')


def select(name: str, label: str, options: list[str], chosen: dict[str, Any]) -> str:
    value = chosen.get(name, "")
    items = [f'<option value="">{escape(label)}</option>']
    items += [f'<option value="{escape(o)}"{" selected" if o == value else ""}>{escape(o)}</option>' for o in options]
    return f'<select name="{name}" aria-label="{escape(label)}">{"".join(items)}</select>'


def page(title: str, body: str, *, current: str | None = None, lang: str | None = None) -> str:
    return document(title, f'{top_bar("/", SECTIONS, current=current)}<main>{body}</main>',
                    stylesheet="/static/style.css", head='<script src="/static/app.js" defer></script>', lang=lang)


def html_response(text: str, status: int = 200) -> Response:
    return Response(status, HTML, text.encode())


def not_found(title: str, why: str) -> Response:
    """A 404 page that says what was not found and leads back to the posts."""
    body = (f'<h1>{escape(title)}</h1><p>{escape(why)}</p>'
            f'<p><a class="back" href="/">← Back to all posts</a></p>')
    return html_response(page(title, body), 404)


class Handler(http.server.BaseHTTPRequestHandler):
    server: ArchiveServer
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    timeout = 60  # a client that connects and says nothing does not hold a thread for ever

    def do_GET(self) -> None:  # noqa: N802
        self.answer()

    def do_HEAD(self) -> None:  # noqa: N802
        self.answer(head=True)

    def do_POST(self) -> None:  # noqa: N802  (read-only: nothing may be written)
        self.send(Response(405, "text/plain", b"read-only", (("Allow", "GET, HEAD"),)))

    do_PUT = do_DELETE = do_PATCH = do_POST

    def answer(self, *, head: bool = False) -> None:
        refusal = self.server.refuse_host(self.headers.get("Host"))
        if refusal:
            self.close_connection = True
            self.send(refusal, head=head)
            return
        try:
            response = self.server.site.respond(self.path)
        except Exception as exc:  # a bug or a damaged archive: one line on the console, a 500 to the browser
            logger.error("%s %s failed: %s", self.command, self.path[:200], exc)
            response = Response(500, "text/plain", b"internal error")
        self.send(response, head=head)

    def send(self, response: Response, *, head: bool = False) -> None:
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        extra = dict(response.headers)
        self.send_header("Content-Security-Policy", extra.pop("Content-Security-Policy", CSP))
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        for name, value in extra.items():
            self.send_header(name, value)
        self.end_headers()
        if not head:
            self.wfile.write(response.body)

    def log_message(self, format: str, *args) -> None:
        pass


class ArchiveServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = BACKLOG

    def __init__(self, site: ArchiveSite, host: str, port: int):
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        super().__init__((host, port), Handler)
        self.site = site
        name = f"[{host}]" if ":" in host else host
        self.host_names = {n.lower() for n in (*LOOPBACK_NAMES, name)}
        self.any_address = host in WILDCARDS
        if self.any_address:  # listening everywhere: also the machine's own names
            self.host_names |= {socket.gethostname().lower(), socket.getfqdn().lower()}

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{f'[{host}]' if ':' in host else host}:{port}"

    def refuse_host(self, value: str | None) -> Response | None:
        """Why a request's Host header is refused (None: it names this server).

        A page on another site can make a browser send requests here under the attacker's own name (DNS
        rebinding); only the names this server listens on, with its port, are answered.
        """
        if not value:
            return Response(400, "text/plain", b"a Host header is required")
        name, port = split_host(value.strip().lower())
        known = name in self.host_names or (self.any_address and is_ip_literal(name))
        own_port = self.server_address[1]
        if known and (port == own_port or (port is None and own_port == 80)):
            return None
        return Response(421, "text/plain", f"this server answers only as {self.url_names()}".encode())

    def url_names(self) -> str:
        port = self.server_address[1]
        return ", ".join(f"{name}:{port}" for name in sorted(self.host_names))

    def handle_error(self, request, client_address) -> None:
        """A client that went away is nothing to report; anything else is one line, not a traceback."""
        error = sys.exc_info()[1]
        if isinstance(error, (ConnectionError, TimeoutError)):
            return
        logger.error("request from %s failed: %s", client_address[0], error)


def split_host(value: str) -> tuple[str, int | None]:
    """'Example.org:8000' -> ('example.org', 8000); '[::1]:80' -> ('[::1]', 80); a bad port gives -1."""
    if value.startswith("["):
        name, _, rest = value.partition("]")
        name, port = name + "]", rest[1:] if rest.startswith(":") else (None if not rest else "x")
    elif value.count(":") == 1:
        name, port = value.split(":")
    else:
        name, port = value, None
    if port is None:
        return name, None
    return name, int(port) if port.isdigit() and len(port) <= 5 else -1


def is_ip_literal(name: str) -> bool:
    try:
        ipaddress.ip_address(name.strip("[]"))
    except ValueError:
        return False
    return True


@contextlib.contextmanager
def serving(db_path: str | Path, *, host: str = "127.0.0.1", port: int = 0) -> Iterator[ArchiveServer]:
    """The archive's web page served in a background thread for the duration of the block."""
    site = ArchiveSite(db_path)
    with in_thread(lambda: ArchiveServer(site, host, port), port, host=host) as server:
        yield server

