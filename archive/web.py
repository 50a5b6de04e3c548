"""`blog-archive serve`: a small read-only web page over the archive, on 127.0.0.1 by default.

Server-side HTML; one small script makes results follow the search box as you type. The archive is
opened read-only, only GET and HEAD are answered, every scraped fragment is sanitised with nh3 before it
is shown, and a Content-Security-Policy forbids inline scripts. Requests must name the server by an address
it listens on (no DNS rebinding); downloaded media is served only as the image, video, audio or PDF its
name says, under a policy that runs nothing, and anything else as a download.
"""
from __future__ import annotations

import contextlib
import http.server
import ipaddress
import logging
import mimetypes
import socket
import sys
import threading
from html import escape
from pathlib import Path
from typing import Iterator, NamedTuple
from urllib.parse import parse_qs, quote, urlsplit

import nh3
import sqlite_utils

from scraper.demo.server import in_thread

from .mediatypes import DOWNLOAD, media_dir_for, media_type
from .render import version_diff
from .search import MARK_END, MARK_START, SearchError, post_filters, search
from .store import enable_fast_reads, find_post, load_post, open_archive, post_versions

SAFE_TAGS = {"p", "br", "strong", "b", "em", "i", "u", "s", "sub", "sup", "code", "pre", "a", "ul", "ol", "li",
             "blockquote", "table", "thead", "tbody", "tr", "th", "td", "figure", "figcaption", "img", "hr",
             "h3", "h4", "h5", "h6", "mark", "cite", "q"}
SAFE_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt"}, "td": {"colspan", "rowspan"},
                   "th": {"colspan", "rowspan"}, "*": set()}
CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' https: http:; connect-src 'self'"
MEDIA_CSP = "default-src 'none'; sandbox"  # a media file opened on its own runs nothing and reaches nothing
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "[::1]")
WILDCARDS = ("", "0.0.0.0", "::")
HTML = "text/html; charset=utf-8"
BACKLOG = 256  # connections waiting to be accepted (socketserver's default of 5 drops bursts)


class Response(NamedTuple):
    status: int
    content_type: str
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()
STATIC = Path(__file__).parent / "static"
logger = logging.getLogger(__name__)


def open_read_only(db_path: str | Path) -> sqlite_utils.Database:
    """The archive, read-only (also on a read-only file or disk), shared by the server's threads under a lock."""
    return enable_fast_reads(open_archive(db_path, create=False))


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
        with self.lock:
            if path == "/":
                return Response(200, HTML, self.home(query).encode())
            if path == "/results":
                return Response(200, HTML, self.results(query).encode())
            if path == "/post":
                return self.post(query)
        if path.startswith("/static/"):
            return self.static(path[len("/static/"):])
        if path.startswith("/media/"):
            return self.media(path[len("/media/"):])
        return Response(404, HTML, page("Not found", "<p>No such page.</p>").encode())

    def home(self, query: dict[str, str]) -> str:
        authors = [r[0] for r in self.db.execute("select distinct author from posts where author is not null "
                                                 "order by author")]
        years = [r[0] for r in self.db.execute("select distinct substr(coalesce(published, updated), 1, 4) y "
                                               "from posts where y is not null order by y desc")]
        tags = [r[0] for r in self.db.execute("select min(name) from tags group by lower(name) order by lower(name)")]
        form = (f'<form id="search" action="/" method="get" role="search">'
                f'<input id="q" name="q" type="search" autofocus autocomplete="off" placeholder="Search the archive" '
                f'value="{escape(query.get("q", ""))}">'
                f'{select("author", "All authors", authors, query)}{select("year", "All years", years, query)}'
                f'{select("tag", "All tags", tags, query)}<button type="submit">Search</button></form>')
        return page("Blog archive", form + f'<div id="results">{self.results(query)}</div>')

    def results(self, query: dict[str, str]) -> str:
        year = query.get("year") or None
        filters = {"author": query.get("author") or None, "tag": query.get("tag") or None,
                   "since": f"{year}-01-01" if year else None, "until": f"{year}-12-31" if year else None}
        text = query.get("q", "").strip()
        if not text:
            return self.latest(filters)
        try:
            hits = search(self.db, text, limit=50, **filters)
        except SearchError as exc:
            return f'<p class="note">{escape(str(exc))}</p>'
        if not hits:
            return '<p class="note">No posts match.</p>'
        items = []
        for hit in hits:
            snippet = escape(hit.snippet).replace(MARK_START, "<mark>").replace(MARK_END, "</mark>")
            where = f'<span class="section">§ {escape(hit.heading)}</span> ' if hit.heading else ""
            items.append(f'<li class="hit"><a class="title" href="/post?url={quote(hit.url, safe="")}">'
                         f'{escape(hit.title or "(untitled)")}</a><div class="meta">{escape(_date(hit.published))} · '
                         f'{escape(hit.author or "unknown author")}</div><p>{where}{snippet}</p></li>')
        return f'<ol class="hits">{"".join(items)}</ol>'

    def latest(self, filters: dict[str, str | None]) -> str:
        where, params = post_filters("posts", **filters)
        rows = self.db.execute(f"select url, title, author, coalesce(published, updated) from posts where "
                               f"{' and '.join(['1', *where])} order by 4 desc limit 50", params).fetchall()
        items = "".join(f'<li class="hit"><a class="title" href="/post?url={quote(url, safe="")}">'
                        f'{escape(title or "(untitled)")}</a><div class="meta">{escape(_date(date))} · '
                        f'{escape(author or "unknown author")}</div></li>' for url, title, author, date in rows)
        return f'<ol class="hits">{items}</ol>' if items else '<p class="note">No posts.</p>'

    def post(self, query: dict[str, str]) -> Response:
        row = find_post(self.db, query.get("url", "")) if query.get("url") else None
        if row is None:
            return Response(404, HTML, page("Not found", "<p>No such post.</p>").encode())
        post = load_post(self.db, row)
        local = {r[0]: r[1] for r in self.db.execute("select src, local_path from images where post_id = ? and "
                                                      "local_path is not null", [row["id"]])}
        facts = [escape(post.author or "unknown author"), f"published {escape(_date(post.published))}"]
        if post.updated:
            facts.append(f"updated {escape(_date(post.updated))}")
        if row["status"] == "gone":
            facts.append(f"gone from the site since {escape(_date(row['gone_at']))}")
        body = [f'<article><h1>{escape(post.title or "(untitled)")}</h1>',
                f'<p class="meta">{" · ".join(facts)}<br><a href="{escape(post.url)}" rel="noreferrer">'
                f'{escape(post.url)}</a></p>']
        for section in post.sections:
            if section.heading:
                level = min(max(section.level, 2), 6)
                body.append(f"<h{level}>{escape(section.heading)}</h{level}>")
            body.append(sanitise(self.local_images(section.html, local)))
        body.append("</article>")
        versions = post_versions(self.db, row)
        if len(versions) > 1:
            body.append('<section class="versions"><h2>Earlier versions</h2><ol>')
            for older, newer in zip(versions, versions[1:]):
                body.append(f'<li><details><summary>{escape(older["captured_at"] or "")} · '
                            f'{escape(older["title"] or "")}</summary><pre>{escape(version_diff(older, newer))}'
                            f'</pre></details></li>')
            body.append("</ol></section>")
        return Response(200, HTML, page(post.title or "Post", "".join(body), back=True).encode())

    def local_images(self, html: str, local: dict[str, str]) -> str:
        for src, path in local.items():
            html = html.replace(f'src="{escape(src)}"', f'src="/media/{escape(quote(path.split("/", 1)[-1]))}"')
        return html

    def static(self, relative: str) -> Response:
        """The page's own style sheet and script."""
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


def inside(root: Path, relative: str) -> Path | None:
    """The file at root/relative, if it is one and does not escape root."""
    base = root.resolve()
    target = (base / relative).resolve()
    return target if target.is_relative_to(base) and target.is_file() else None


def sanitise(html: str) -> str:
    """Scraped HTML made safe to show: no script, no event handler, no javascript: URL survives."""
    return nh3.clean(html, tags=SAFE_TAGS, attributes=SAFE_ATTRIBUTES, url_schemes={"http", "https", "mailto"},
                     link_rel="noopener noreferrer nofollow")


def select(name: str, label: str, options: list[str], query: dict[str, str]) -> str:
    chosen = query.get(name, "")
    items = [f'<option value="">{escape(label)}</option>']
    items += [f'<option value="{escape(o)}"{" selected" if o == chosen else ""}>{escape(o)}</option>' for o in options]
    return f'<select name="{name}" aria-label="{escape(label)}">{"".join(items)}</select>'


def page(title: str, body: str, *, back: bool = False) -> str:
    nav = '<p><a href="/">← Search</a></p>' if back else ""
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<link rel="stylesheet" href="/static/style.css"><script src="/static/app.js" defer></script></head>'
            f'<body><main>{nav}{body}</main></body></html>')


def _date(value: str | None) -> str:
    return (value or "")[:10] or "undated"


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
    with in_thread(lambda: ArchiveServer(site, host, port), port) as server:
        yield server

