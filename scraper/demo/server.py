"""Serve a folder of static pages as a web site on 127.0.0.1, in a background thread (scraper.httpserver)."""
from __future__ import annotations

import contextlib
import http.server
from pathlib import Path
from typing import Iterator
from urllib.parse import unquote, urlsplit

from ..httpserver import in_thread

SITE_DIR = Path(__file__).parent / "site"
DEMO_ORIGIN = "https://www.example-clinic.com"  # written in the site's files; a server replaces it with its origin
CONTENT_TYPES = {".html": "text/html; charset=utf-8", ".xml": "application/xml", ".txt": "text/plain; charset=utf-8",
                 ".json": "application/json", ".jpg": "image/jpeg", ".png": "image/png"}


class SiteHandler(http.server.BaseHTTPRequestHandler):
    """GET /some/path -> ROOT/some/path, ROOT/some/path.html or ROOT/some/path/index.html (query ignored)."""

    server: SiteServer
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go in two sends: without this, keep-alive stalls ~40 ms

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        self.server.requests.append(self.path)
        self.server.user_agents.add(self.headers.get("User-Agent", ""))
        target = self.resolve(unquote(urlsplit(self.path).path))
        if target is None:
            self.send_body(404, b"<html><body><h1>404</h1><p>Page not found</p></body></html>",
                           "text/html; charset=utf-8")
            return
        body = target.read_bytes()
        content_type = CONTENT_TYPES.get(target.suffix, "application/octet-stream")
        if content_type.startswith(("text/", "application/xml", "application/json")):
            body = body.replace(DEMO_ORIGIN.encode(), self.server.origin.encode())
        self.send_body(200, body, content_type)

    def resolve(self, path: str) -> Path | None:
        root = self.server.root.resolve()
        relative = path.strip("/")
        for candidate in (root / relative, root / (relative + ".html"), root / relative / "index.html"):
            target = candidate.resolve()
            if target.is_file() and target.is_relative_to(root):
                return target
        return None

    def send_body(self, status: int, body: bytes, content_type: str) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout): nothing to do
            pass

    def log_message(self, format: str, *args) -> None:  # keep test and demo output clean
        pass


class SiteServer(http.server.ThreadingHTTPServer):
    """A folder served as a site. Its pages name the site by `origin`: the server's own address by default, or a
    fixed one (the demo's, DEMO_ORIGIN) that a fetcher reaches through `scraper.demo.route.local_session`."""

    daemon_threads = True

    def __init__(self, root: Path, handler: type[SiteHandler] = SiteHandler, port: int = 0,
                 origin: str | None = None):
        super().__init__(("127.0.0.1", port), handler)
        self.root = Path(root)
        self.requests: list[str] = []  # every path asked for, in order
        self.user_agents: set[str] = set()
        self._origin = origin

    @property
    def address(self) -> str:
        """Where the server listens: http://127.0.0.1:PORT."""
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def origin(self) -> str:
        """The origin the site's own URLs carry."""
        return self._origin or self.address


@contextlib.contextmanager
def serve_site(root: Path = SITE_DIR, *, handler: type[SiteHandler] = SiteHandler, port: int = 0,
               origin: str | None = None) -> Iterator[SiteServer]:
    """Run a SiteServer in a thread for the duration of the block; always shut down."""
    with in_thread(lambda: SiteServer(root, handler, port, origin), port) as server:
        yield server
