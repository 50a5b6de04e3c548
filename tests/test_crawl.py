"""The whole path, for real: the sample Wix site served on 127.0.0.1, crawled into an SQLite file."""
from __future__ import annotations

from urllib.parse import quote

import pytest
import sqlite_utils
from sites import FaultyHandler, NoSitemapHandler, OnlyListingHandler, demo_expectations

from archive.crawl import crawl_site
from archive.store import open_archive, page_body
from scraper.demo import SITE_DIR, serve_site
from scraper.discover import discover_posts
from scraper.fetch import Fetcher, FetchSettings

EXPECTED = demo_expectations()
POSTS = {path: fields for path, fields in EXPECTED.items() if not path.startswith("_")}
ARCHIVED = sorted(path for path, fields in POSTS.items() if not fields.get("robots_forbidden"))
FORBIDDEN = sorted(path for path, fields in POSTS.items() if fields.get("robots_forbidden"))


def crawl(origin: str, db_path, fetcher):
    db = open_archive(db_path)
    summary = crawl_site(db, discover_posts(fetcher, origin), fetcher)
    return db, summary


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    """One crawl of the demo site shared by the read-only tests below."""
    db_path = tmp_path_factory.mktemp("crawl") / "archive.db"
    with serve_site(SITE_DIR) as server, Fetcher(FetchSettings(delay=0)) as fetcher:
        db, summary = crawl(server.origin, db_path, fetcher)
        yield server, sqlite_utils.Database(db_path), summary


def post_row(db, origin: str, path: str) -> dict:
    url = origin + quote(path)
    rows = list(db.query("select * from posts where url = ?", [url]))
    assert len(rows) == 1, f"{url} archived {len(rows)} times"
    return rows[0]


def test_every_post_is_archived_once(crawled):
    server, db, summary = crawled
    assert summary.failed == []
    assert db["posts"].count == len(ARCHIVED)
    for path in ARCHIVED:
        post_row(db, server.origin, path)


@pytest.mark.parametrize("path", ARCHIVED)
def test_post_fields_match_the_page(crawled, path):
    server, db, _ = crawled
    want = POSTS[path]
    row = post_row(db, server.origin, path)
    assert row["title"] == want["title"]
    assert row["author"] == want["author"]
    assert row["published"] == want["published"]
    assert row["updated"] == want["updated"]
    assert row["status"] == "active"
    headings = [[r["level"], r["heading"]] for r in
                db.query("select level, heading from sections where post_id = ? and heading is not null "
                         "order by position", [row["id"]])]
    assert headings == want["headings"]
    assert row["body_text"].rstrip().endswith(want["last_section_ends_with"].rstrip())
    if want.get("intro_starts_with"):
        intro = next(db.query("select text from sections where post_id = ? and position = 0", [row["id"]]))
        assert intro["text"].startswith(want["intro_starts_with"])


@pytest.mark.parametrize("path", ARCHIVED)
def test_tags_categories_and_images_match_the_page(crawled, path):
    server, db, _ = crawled
    want = POSTS[path]
    post_id = post_row(db, server.origin, path)["id"]
    tags = db.query("select name, kind from tags where post_id = ? order by rowid", [post_id])
    tags = list(tags)
    assert [t["name"] for t in tags if t["kind"] == "tag"] == want["tags"]
    assert [t["name"] for t in tags if t["kind"] == "category"] == want["categories"]
    images = [{"src": r["src"], "alt": r["alt"] or None, "caption": r["caption"]} for r in
              db.query("select src, alt, caption from images where post_id = ? order by position", [post_id])]
    assert images == [{**i, "alt": i["alt"] or None} for i in want["images"]]


def test_no_page_chrome_reaches_any_section(crawled):
    _, db, _ = crawled
    texts = [r["heading"] or "" for r in db.query("select heading from sections")]
    texts += [r["text"] for r in db.query("select text from sections")]
    everything = "\n".join(texts)
    for chrome in EXPECTED["_chrome_strings"]:
        assert chrome not in everything, chrome


def test_robots_forbidden_post_is_neither_fetched_nor_stored(crawled):
    server, db, summary = crawled
    for path in FORBIDDEN:
        assert not any(quote(path) in requested for requested in server.requests)
        assert db.execute("select count(*) from posts where url like ?", [f"%{quote(path)}"]).fetchone()[0] == 0
        assert any(path in url or quote(path) in url for url, _ in summary.skipped)


def test_non_post_pages_are_not_stored_as_posts(crawled):
    server, db, _ = crawled
    urls = {r["url"] for r in db.query("select url from posts")}
    for path in EXPECTED["_non_posts"]:
        assert server.origin + path not in urls


def test_raw_html_of_every_post_is_kept(crawled):
    server, db, _ = crawled
    for row in db.query("select g.* from posts p join pages g on g.url = p.url"):
        html = page_body(db, row).decode("utf-8")
        assert row["status_code"] == 200
        assert "</html>" in html.lower()
    assert db.execute("select count(distinct url) from pages where url in (select url from posts)").fetchone()[0] \
        == db["posts"].count


def test_second_crawl_updates_in_place(crawled, fetcher, tmp_path):
    server, db, _ = crawled
    db_path = tmp_path / "archive.db"
    crawl(server.origin, db_path, fetcher)
    _, again = crawl(server.origin, db_path, fetcher)
    assert again.new == [] and again.changed == []
    assert len(again.unchanged) == len(ARCHIVED)
    assert open_archive(db_path)["posts"].count == len(ARCHIVED)


@pytest.mark.parametrize("handler, sources", [(NoSitemapHandler, {"feed", "listing"}),
                                              (OnlyListingHandler, {"listing"})])
def test_without_sitemaps_the_feed_and_listings_still_find_every_post(handler, sources, fetcher):
    with serve_site(SITE_DIR, handler=handler) as server:
        found = discover_posts(fetcher, server.origin)
    assert found.counts().keys() == sources
    assert {item.url for item in found.urls} == {server.origin + quote(path) for path in POSTS}


def test_sitemap_discovery_finds_every_listed_post(site, fetcher):
    found = discover_posts(fetcher, site.origin)
    assert set(found.counts()) == {"sitemap", "feed"}  # the feed's 5 newest are all in the sitemap too
    assert found.complete
    assert {item.url for item in found.urls} == {site.origin + quote(path) for path in POSTS}
    assert all("sitemap" in item.sources and item.lastmod for item in found.urls)


def test_faulty_urls_are_reported_and_the_rest_is_archived(faulty_site, fetcher, db_path):
    db, summary = crawl(faulty_site.origin, db_path, fetcher)
    failed = {url.rsplit("/", 1)[-1]: reason for url, reason in summary.failed}
    assert set(failed) == {"always-500", "deleted", "slow"}
    assert "HTTP 500" in failed["always-500"] and "HTTP 404" in failed["deleted"]
    assert any(url.endswith("/report-pdf") and "not an HTML page" in why for url, why in summary.skipped)
    titles = {r["title"] for r in db.query("select title from posts")}
    assert "Does Acupuncture Work For Neuropathy?" in titles
    assert db.execute("select count(*) from posts where url like '%/post/flaky'").fetchone()[0] == 1
    assert db["posts"].count == len(ARCHIVED) + 1
    assert FaultyHandler.hits["/post/always-500"] == fetcher.settings.max_tries
