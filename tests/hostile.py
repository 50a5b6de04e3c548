"""Hostile and misbehaving sites for the tests: a server whose every answer a test writes itself."""
from __future__ import annotations

import contextlib
import time
from typing import Callable, Iterator

from scraper.demo import SITE_DIR, serve_site
from scraper.demo.server import SiteHandler, SiteServer

Route = Callable[["RoutesHandler"], None]


class RoutesHandler(SiteHandler):
    """Answers each path with the route the test put in server.routes (raw path first, then without the query).

    Every request is recorded with its arrival time in server.arrivals, as (monotonic seconds, raw path).
    """

    def do_GET(self) -> None:  # noqa: N802
        self.server.requests.append(self.path)
        self.server.arrivals.append((time.monotonic(), self.path))
        routes = self.server.routes
        route = routes.get(self.path) or routes.get(self.path.split("?", 1)[0])
        if route is None:
            self.send_body(404, b"<h1>not found</h1>", "text/html")
        else:
            route(self)

    def redirect(self, location: str, status: int = 302) -> None:
        self.send_response(status)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def trickle(self, head: bytes, body: bytes, every: float) -> None:
        """Send head at once, then body one byte every `every` seconds, until done or the client hangs up."""
        try:
            self.wfile.write(head)
            self.wfile.flush()
            for byte in body:
                time.sleep(every)
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
        except OSError:  # the client gave up: that is the point
            pass
        self.close_connection = True


@contextlib.contextmanager
def routed_site(routes: dict[str, Route] | None = None) -> Iterator[SiteServer]:
    """A server on 127.0.0.1 answering only the given routes (the test may add more to server.routes)."""
    with serve_site(SITE_DIR, handler=RoutesHandler) as server:
        server.routes = dict(routes or {})
        server.arrivals = []
        yield server


def answer(body: bytes | str, content_type: str = "text/html; charset=utf-8", status: int = 200) -> Route:
    data = body.encode() if isinstance(body, str) else body
    return lambda handler: handler.send_body(status, data, content_type)


def urlset(*urls: str) -> Route:
    locs = "".join(f"<url><loc>{url}</loc></url>" for url in urls)
    return answer(f"<?xml version='1.0'?><urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>{locs}</urlset>",
                  "application/xml")


def sitemap_index(*urls: str) -> Route:
    locs = "".join(f"<sitemap><loc>{url}</loc></sitemap>" for url in urls)
    return answer("<?xml version='1.0'?><sitemapindex xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>"
                  f"{locs}</sitemapindex>", "application/xml")


def post_page(title: str, images: str = "") -> Route:
    """A generic blog post long enough to be read as one, with the given <img> markup."""
    return answer(f"<html><head><title>{title}</title><meta property='og:type' content='article'></head><body>"
                  f"<article><h1>{title}</h1><p>{title} is about acupuncture needles and how fine they are, "
                  "at some length, for the benefit of nervous first-time patients.</p>"
                  f"{images}</article></body></html>")


ROBOTS_ALLOW_ALL = answer("User-agent: *\nAllow: /\n", "text/plain")
