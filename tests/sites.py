"""Fixture web sites for the tests: the demo site with faults, and the expectations written with it."""
from __future__ import annotations

import json
import re
import time
from pathlib import Path

from scraper.demo import SITE_DIR
from scraper.demo.server import SiteHandler

FIXTURES = Path(__file__).parent / "fixtures"


class FaultyHandler(SiteHandler):
    """The demo site, plus URLs that misbehave the way real servers do."""

    hits: dict[str, int] = {}

    def do_GET(self) -> None:  # noqa: N802
        path = self.path.split("?", 1)[0]
        FaultyHandler.hits[path] = FaultyHandler.hits.get(path, 0) + 1
        fault = getattr(self, "fault_" + re.sub(r"[^a-z0-9]", "_", path.strip("/")), None)
        if fault is None:
            return super().do_GET()
        self.server.requests.append(self.path)
        fault()

    def fault_post_always_500(self) -> None:
        self.send_body(500, b"<h1>Internal Server Error</h1>", "text/html")

    def fault_post_flaky(self) -> None:
        """Fails with 503 the first time, then serves a real post."""
        self.fail_once_then_serve(503)

    def fault_post_rate_limited(self) -> None:
        """Says 429 Too Many Requests with Retry-After the first time, then serves a real post."""
        self.fail_once_then_serve(429)

    def fail_once_then_serve(self, status: int) -> None:
        if FaultyHandler.hits[self.path] == 1:
            self.send_response(status)
            self.send_header("Retry-After", "1")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = (SITE_DIR / "post" / "does-acupuncture-work-for-neuropathy.html").read_bytes()
        body = body.replace(b"does-acupuncture-work-for-neuropathy", self.path.rsplit("/", 1)[-1].encode())
        self.send_body(200, body.replace(b"https://www.example-clinic.com", self.server.origin.encode()),
                       "text/html; charset=utf-8")

    def fault_post_report_pdf(self) -> None:
        self.send_body(200, b"%PDF-1.4 not a web page", "application/pdf")

    def fault_post_deleted(self) -> None:
        self.send_body(404, b"<h1>Not found</h1>", "text/html")

    def fault_post_slow(self) -> None:
        time.sleep(3)
        self.send_body(200, b"<html><body>too late</body></html>", "text/html")

    def fault_post_huge(self) -> None:
        self.send_body(200, b"<html><body>" + b"x" * 3_000_000 + b"</body></html>", "text/html")

    def fault_blog_posts_sitemap_xml(self) -> None:
        """The real posts sitemap plus the faulty URLs."""
        body = (SITE_DIR / "blog-posts-sitemap.xml").read_text(encoding="utf-8")
        extra = "".join(f"<url><loc>{self.server.origin}/post/{slug}</loc></url>"
                        for slug in ("always-500", "flaky", "report-pdf", "deleted", "slow"))
        body = body.replace("</urlset>", extra + "</urlset>").replace("https://www.example-clinic.com",
                                                                    self.server.origin)
        self.send_body(200, body.encode(), "application/xml")


class NoSitemapHandler(SiteHandler):
    """A site whose sitemaps are gone: discovery must fall back to the feed."""

    missing = ("/sitemap.xml", "/blog-posts-sitemap.xml")

    def resolve(self, path):
        return None if path in self.missing else super().resolve(path)


class OnlyListingHandler(NoSitemapHandler):
    """No sitemaps and no feed: discovery must fall back to the listing pages."""

    missing = ("/sitemap.xml", "/blog-posts-sitemap.xml", "/blog-feed.xml")


def demo_expectations() -> dict:
    """What a correct crawl of the demo site gives, keyed by URL path (written with the site)."""
    return json.loads((FIXTURES / "demo_site_expected.json").read_text(encoding="utf-8"))


class MisbehavingHandler(SiteHandler):
    """Post URLs that break the way real servers and networks do; everything else is the demo site."""

    hits: dict[str, int] = {}
    gzip_bomb = b""

    def do_GET(self) -> None:  # noqa: N802
        path = self.path.split("?", 1)[0]
        MisbehavingHandler.hits[path] = MisbehavingHandler.hits.get(path, 0) + 1
        first = MisbehavingHandler.hits[path] == 1
        if path.startswith("/post/") and path != "/post/reset-once" and self.server.flaky_posts and first:
            self.server.requests.append(self.path)
            self.send_body(500, b"<h1>try again</h1>", "text/html")
        elif path == "/post/reset-once" and first:
            self.server.requests.append(self.path)
            self.connection.shutdown(2)  # the connection dies with no response at all
        elif path == "/post/truncated":
            self.server.requests.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", "50000")
            self.end_headers()
            self.wfile.write(b"<html><body><article><p>cut short")
            self.connection.shutdown(2)
        elif path in ("/post/loop-a", "/post/loop-b"):
            self.server.requests.append(self.path)
            self.redirect("/post/loop-b" if path == "/post/loop-a" else "/post/loop-a")
        elif path == "/post/elsewhere":
            self.redirect("http://example.org/post/elsewhere")
        elif path == "/post/moved":
            self.redirect("/post/gua-sha-at-home")
        elif path == "/post/gzip-bomb":
            self.server.requests.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(self.gzip_bomb)))
            self.end_headers()
            self.wfile.write(self.gzip_bomb)
        elif path == "/blog-posts-sitemap.xml" and self.server.sitemap_fault:
            self.server.requests.append(self.path)
            self.send_body(200, self.server.sitemap_fault, "application/xml")
        else:
            super().do_GET()

    def redirect(self, location: str) -> None:
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()


ENTITY_BOMB = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
               b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
               b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
               b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>&lol3;</loc></url></urlset>')
BROKEN_XML = b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>http://x'


PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c63f8cfc0f01f0005000201e2e3d5a40000000049454e44ae426082")


class MediaSiteHandler(SiteHandler):
    """Two generic blog posts sharing one image on the site's own host, plus an image on a foreign host."""

    def do_GET(self) -> None:  # noqa: N802
        self.server.requests.append(self.path)
        origin = self.server.origin
        pages = {
            "/robots.txt": (b"User-agent: *\nAllow: /\n", "text/plain"),
            "/sitemap.xml": (("<?xml version='1.0'?><urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>"
                              f"<url><loc>{origin}/post/one</loc></url><url><loc>{origin}/post/two</loc></url>"
                              "</urlset>").encode(), "application/xml"),
            "/post/one": (self.post("One", '<img src="/media/shared.png" alt="Needles">'
                                    '<img src="https://cdn.elsewhere.example/banner.png" alt="Ad">'), "text/html"),
            "/post/two": (self.post("Two", '<figure><img src="/media/shared.png" alt="Needles again">'
                                    "<figcaption>Shared</figcaption></figure>"), "text/html"),
            "/media/shared.png": (PNG, "image/png"),
        }
        body, content_type = pages.get(self.path, (b"not found", "text/plain"))
        self.send_body(200 if self.path in pages else 404, body, content_type)

    @staticmethod
    def post(title: str, images: str) -> bytes:
        return (f"<html><head><title>{title}</title><meta property='og:type' content='article'></head><body>"
                f"<article><h1>{title}</h1><p>Post {title} talks about acupuncture needles and how fine they "
                f"are, at some length, for the benefit of nervous first-time patients.</p>{images}"
                "</article></body></html>").encode()
