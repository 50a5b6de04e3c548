"""A post's addresses: one row per post whatever URL gave it, each language its own post, imports filed at the
post's real address. A fixture site on 127.0.0.1 serves an old /single-post/ URL that redirects, a ?lang= that
changes nothing and a ?lang= that selects a translation, as Wix does."""
from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner

from archive.cli import cli
from archive.crawl import crawl_site
from archive.store import Capture, load_post, open_archive, post_aliases, save_post
from scraper.demo import serve_site
from scraper.demo.server import SiteHandler
from scraper.discover import discover_posts
from scraper.extract import extract_post

SITEMAP = ("<?xml version='1.0'?><urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>"
           "<url><loc>{o}/single-post/cupping-basics</loc></url>"
           "<url><loc>{o}/post/moxa-at-home</loc></url>"
           "<url><loc>{o}/post/moxa-at-home?lang=es</loc></url>"
           "<url><loc>{o}/post/moxa-at-home?lang=en</loc></url></urlset>")


def wix_page(origin: str, *, title: str, path: str, lang: str = "en", body: str,
             alternates: dict[str, str] | None = None) -> bytes:
    links = "".join(f'<link rel="alternate" hreflang="{code}" href="{origin}{href}">'
                    for code, href in (alternates or {}).items())
    return f"""<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">
<meta name="generator" content="Wix.com Website Builder"><title>{title} | Hillside Acupuncture</title>
<link rel="canonical" href="{origin}{path}">{links}
<meta property="og:site_name" content="Hillside Acupuncture"><meta property="og:url" content="{origin}{path}">
<meta property="article:published_time" content="2024-03-05T10:00:00.000Z"></head><body>
<article data-hook="post"><h1 data-hook="post-title">{title}</h1><span data-hook="user-name">Mara Quinn</span>
<div data-hook="post-description"><p dir="auto">{body}</p></div></article></body></html>""".encode()


class AddressesHandler(SiteHandler):
    def do_GET(self) -> None:  # noqa: N802
        self.server.requests.append(self.path)
        o = self.server.origin
        moxa = {"en": "/post/moxa-at-home", "es": "/post/moxa-at-home?lang=es", "x-default": "/post/moxa-at-home"}
        english = wix_page(o, title="Moxa at home", path="/post/moxa-at-home", alternates=moxa,
                           body="Moxa warms the lower back on cold evenings; hold the stick a hand's width away.")
        pages = {
            "/robots.txt": (b"User-agent: *\nAllow: /\n", "text/plain"),
            "/sitemap.xml": (SITEMAP.format(o=o).encode(), "application/xml"),
            "/post/cupping-basics": (wix_page(o, title="Cupping basics", path="/post/cupping-basics",
                                              body="Cupping lifts the skin and leaves round marks for a few days."),
                                     "text/html; charset=utf-8"),
            "/post/moxa-at-home": (english, "text/html; charset=utf-8"),
            "/post/moxa-at-home?lang=en": (english, "text/html; charset=utf-8"),
            "/post/moxa-at-home?lang=es": (wix_page(o, title="Moxa en casa", path="/post/moxa-at-home?lang=es",
                                                    lang="es", alternates=moxa,
                                                    body="La moxa calienta la zona lumbar en las noches frías."),
                                           "text/html; charset=utf-8"),
        }
        if self.path == "/single-post/cupping-basics":
            self.send_response(301)
            self.send_header("Location", "/post/cupping-basics")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body, content_type = pages.get(self.path, (b"not found", "text/plain"))
        self.send_body(200 if self.path in pages else 404, body, content_type)


@pytest.fixture
def multi_site():
    with serve_site(handler=AddressesHandler) as server:
        yield server


def crawl(db, fetcher, site):
    return crawl_site(db, discover_posts(fetcher, site.origin), fetcher)


def paths(db) -> set[str]:
    return {urlsplit(r["url"]).path + ("?" + urlsplit(r["url"]).query if urlsplit(r["url"]).query else "")
            for r in db.query("select url from posts")}


def test_a_post_reached_through_a_redirect_is_stored_once_under_its_own_address(multi_site, fetcher, db_path):
    db = open_archive(db_path)
    crawl(db, fetcher, multi_site)
    assert paths(db) == {"/post/cupping-basics", "/post/moxa-at-home", "/post/moxa-at-home?lang=es"}
    cupping = next(db.query("select id from posts where url like '%/post/cupping-basics'"))
    assert post_aliases(db, cupping["id"]) == [f"{multi_site.origin}/single-post/cupping-basics"]


def test_a_redirected_post_is_never_marked_gone(multi_site, fetcher, db_path):
    db = open_archive(db_path)
    first = crawl(db, fetcher, multi_site)
    second = crawl(db, fetcher, multi_site)
    assert (first.gone, second.gone) == ([], [])
    assert db.execute("select count(*) from posts where status = 'gone'").fetchone()[0] == 0
    assert db["posts"].count == 3


def test_a_lang_parameter_that_changes_nothing_is_an_alias_of_the_post(multi_site, fetcher, db_path):
    db = open_archive(db_path)
    crawl(db, fetcher, multi_site)
    moxa = next(db.query("select id from posts where url = ?", [f"{multi_site.origin}/post/moxa-at-home"]))
    assert f"{multi_site.origin}/post/moxa-at-home?lang=en" in post_aliases(db, moxa["id"])


def test_each_language_is_its_own_post_linked_to_its_translations(multi_site, fetcher, db_path):
    db = open_archive(db_path)
    crawl(db, fetcher, multi_site)
    origin = multi_site.origin
    spanish = load_post(db, next(db.query("select * from posts where url = ?", [f"{origin}/post/moxa-at-home?lang=es"])))
    english = load_post(db, next(db.query("select * from posts where url = ?", [f"{origin}/post/moxa-at-home"])))
    assert (spanish.title, spanish.language, english.title, english.language) == (
        "Moxa en casa", "es", "Moxa at home", "en")
    assert spanish.translations == {"en": f"{origin}/post/moxa-at-home"}
    assert english.translations == {"es": f"{origin}/post/moxa-at-home?lang=es"}


def test_a_post_archived_under_an_old_address_moves_to_its_own_keeping_its_history(multi_site, fetcher, db_path):
    db = open_archive(db_path)
    old_url = f"{multi_site.origin}/single-post/cupping-basics"
    old = extract_post(wix_page(multi_site.origin, title="Cupping basics (first draft)", path="/single-post/x",
                                body="An early draft about cupping.").decode(), old_url)
    old.url, old.canonical_url = old_url, None  # as an older version of the tool stored it
    save_post(db, old, capture=Capture(url=old_url, body=b"<html>draft</html>", fetched_at="2024-01-01T00:00:00+00:00"),
              seen_at="2024-01-01T00:00:00+00:00")
    summary = crawl(db, fetcher, multi_site)
    row = next(db.query("select * from posts where url like '%cupping-basics'"))
    assert row["url"] == f"{multi_site.origin}/post/cupping-basics"
    assert (row["title"], row["first_seen"]) == ("Cupping basics", "2024-01-01T00:00:00+00:00")
    assert [v["title"] for v in db.query("select title from versions where post_id = ?", [row["id"]])] == [
        "Cupping basics (first draft)"]
    assert summary.changed == [row["url"]] and summary.new == [f"{multi_site.origin}/post/moxa-at-home",
                                                                f"{multi_site.origin}/post/moxa-at-home?lang=es"]


def test_two_rows_for_one_post_are_folded_into_one(db_path):
    db = open_archive(db_path)
    page = wix_page("https://www.hillside.example", title="Cupping basics", path="/post/cupping-basics",
                    body="Cupping lifts the skin.").decode()
    canonical = extract_post(page, "https://www.hillside.example/post/cupping-basics")
    duplicate = extract_post(page.replace("lifts", "raises"), "https://www.hillside.example/single-post/cupping-basics")
    duplicate.url = "https://www.hillside.example/single-post/cupping-basics"
    save_post(db, duplicate)
    save_post(db, canonical)  # an archive that already holds the post twice, under two addresses
    canonical.aliases = [duplicate.url]
    save_post(db, canonical)
    assert db["posts"].count == 1
    kept = next(db.query("select * from posts"))
    assert post_aliases(db, kept["id"]) == [duplicate.url]
    assert [v["body_text"] for v in db.query("select body_text from versions")] == ["Cupping raises the skin."]


@pytest.mark.parametrize("head", [
    '<link rel="canonical" href="building-a-home-in-bellaire.html">'
    '<meta property="og:url" content="https://www.bellaire-builders.example/post/building-a-home-in-bellaire">',
    '<script type="application/ld+json">{"@type":"BlogPosting","headline":"Building a home in Bellaire",'
    '"url":"https://www.bellaire-builders.example/post/building-a-home-in-bellaire"}</script>',
])
def test_a_saved_page_is_filed_under_its_absolute_address_never_its_file_name(head, tmp_path, db_path):
    page = tmp_path / "building-a-home-in-bellaire.html"
    page.write_text(f"""<html><head><meta name="generator" content="Wix.com Website Builder">{head}</head><body>
      <article data-hook="post"><h1 data-hook="post-title">Building a home in Bellaire</h1>
      <div data-hook="post-description"><p>Plan the foundations before the first rain.</p></div></article>
      </body></html>""", encoding="utf-8")
    result = CliRunner().invoke(cli, ["import", str(page), "--db", str(db_path), "--quiet"])
    assert result.exit_code == 0, result.output
    shown = CliRunner().invoke(cli, ["list", "--json", "--db", str(db_path)])
    assert [p["url"] for p in json.loads(shown.stdout)] == [
        "https://www.bellaire-builders.example/post/building-a-home-in-bellaire"]
    assert Path(page).exists()


def test_reextract_files_an_old_address_under_the_posts_own_and_keeps_the_newest_capture(db_path):
    from archive.pipeline import reextract
    db = open_archive(db_path)
    origin = "https://www.hillside.example"
    old_url, own_url = f"{origin}/single-post/cupping-basics", f"{origin}/post/cupping-basics"
    old_page = wix_page(origin, title="Cupping basics", path="/post/cupping-basics", body="An early draft.")
    new_page = wix_page(origin, title="Cupping basics", path="/post/cupping-basics", body="The final text.")
    for url, page, at in ((old_url, old_page, "2023-01-01T00:00:00+00:00"), (own_url, new_page, "2025-01-01T00:00:00+00:00")):
        post = extract_post(page.decode(), url)
        post.url, post.canonical_url = url, None  # as an older version stored each address: two rows
        save_post(db, post, capture=Capture(url=url, body=page, fetched_at=at, content_type="text/html"), seen_at=at)
    assert db["posts"].count == 2
    reextract(db)
    rows = list(db.query("select id, url, body_text from posts"))
    assert [(r["url"], r["body_text"]) for r in rows] == [(own_url, "The final text.")]
    assert post_aliases(db, rows[0]["id"]) == [old_url]
