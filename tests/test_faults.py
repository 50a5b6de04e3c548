"""A fault-injecting server on 127.0.0.1: the crawler retries what is worth retrying, refuses what is unsafe,
records the rest, and the archive holds only whole posts."""
from __future__ import annotations

import gzip
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from hostile import ROBOTS_ALLOW_ALL, answer, post_page, routed_site, urlset
from sites import BROKEN_XML, ENTITY_BOMB, PNG, MediaSiteHandler, MisbehavingHandler

from archive.crawl import crawl_site
from archive.media import download_media
from archive.mediatypes import media_dir_for
from archive.store import open_archive
from scraper.demo import SITE_DIR, serve_site
from scraper.discover import DiscoveredURL, Discovery, discover_posts
from scraper.errors import FetchError

MisbehavingHandler.gzip_bomb = gzip.compress(b"\0" * 30_000_000, compresslevel=9)  # ~30 kB on the wire


@pytest.fixture
def server():
    MisbehavingHandler.hits = {}
    with serve_site(SITE_DIR, handler=MisbehavingHandler) as instance:
        instance.flaky_posts = False
        instance.sitemap_fault = None
        yield instance


def test_random_server_errors_are_retried_until_every_post_is_archived(server, fetcher, db_path):
    server.flaky_posts = True  # every post page answers 500 the first time
    db = open_archive(db_path)
    summary = crawl_site(db, discover_posts(fetcher, server.origin), fetcher)
    assert summary.failed == [] and len(summary.new) == 9
    assert all(MisbehavingHandler.hits[path] == 2 for path in MisbehavingHandler.hits if path.startswith("/post/")
               and "staff-only" not in path)


def test_connection_reset_is_retried(server, fetcher):
    with pytest.raises(FetchError) as error:
        fetcher.fetch(server.origin + "/post/reset-once")
    assert error.value.status_code == 404  # the second try got an answer: no such page, but an answer
    assert MisbehavingHandler.hits["/post/reset-once"] == 2


def test_truncated_body_is_a_failure_not_a_stored_page(server, fetcher, db_path):
    url = server.origin + "/post/truncated"
    with pytest.raises(FetchError, match="truncated|connection"):
        fetcher.fetch(url)
    db = open_archive(db_path)
    summary = crawl_site(db, Discovery(server.origin, [DiscoveredURL(url, ["test"])], partial=True), fetcher)
    assert [u for u, _ in summary.failed] == [url]
    assert db["posts"].count == 0 and db["pages"].count == 0
    assert next(db.query("select outcome from crawl_log where url = ?", [url]))["outcome"] == "failed"


def test_redirect_loop_is_detected(server, fetcher):
    with pytest.raises(FetchError, match="redirect loop"):
        fetcher.fetch(server.origin + "/post/loop-a")
    assert server.requests.count("/post/loop-a") <= 2 * fetcher.settings.max_tries


def test_redirect_off_the_site_is_not_followed(server, fetcher):
    with pytest.raises(FetchError, match="off the site"):
        fetcher.fetch(server.origin + "/post/elsewhere", scope=server.origin)


def test_redirect_inside_the_site_is_followed_and_stored_under_the_final_url(server, fetcher, db_path):
    db = open_archive(db_path)
    summary = crawl_site(db, Discovery(server.origin, [DiscoveredURL(server.origin + "/post/moved", ["test"])],
                                       partial=True), fetcher)
    assert summary.new == [server.origin + "/post/gua-sha-at-home"]


def test_gzip_bomb_is_stopped_at_the_size_cap(server, fetcher):
    with pytest.raises(FetchError, match="cap"):
        fetcher.fetch(server.origin + "/post/gzip-bomb")


@pytest.mark.parametrize("body, reason", [(BROKEN_XML, "not valid XML"), (ENTITY_BOMB, "XML entities")])
def test_unreadable_sitemap_is_named_in_a_warning_and_the_summary(server, fetcher, db_path, body, reason):
    server.sitemap_fault = body
    found = discover_posts(fetcher, server.origin)
    assert len(found.warnings) == 1 and "blog-posts-sitemap.xml" in found.warnings[0] and reason in found.warnings[0]
    assert not found.complete
    assert {"feed", "listing"} <= set(found.counts())  # the other sources still find the posts
    summary = crawl_site(open_archive(db_path), found, fetcher)
    assert "(1 warning: the inventory may be incomplete)" in summary.line()


def test_incomplete_inventory_never_marks_posts_gone(server, fetcher, db_path):
    db = open_archive(db_path)
    crawl_site(db, discover_posts(fetcher, server.origin), fetcher)
    server.sitemap_fault = BROKEN_XML
    MisbehavingHandler.hits = {}
    summary = crawl_site(db, discover_posts(fetcher, server.origin), fetcher)
    assert summary.gone == []
    assert db.execute("select count(*) from posts where status = 'gone'").fetchone()[0] == 0


def test_failed_url_is_retried_by_the_next_run(faulty_site, fetcher, db_path):
    db = open_archive(db_path)
    first = crawl_site(db, discover_posts(fetcher, faulty_site.origin), fetcher)
    assert any(url.endswith("/post/always-500") for url, _ in first.failed)
    before = faulty_site.requests.count("/post/always-500")
    crawl_site(db, discover_posts(fetcher, faulty_site.origin), fetcher)
    assert faulty_site.requests.count("/post/always-500") == 2 * before
    failures = db.execute("select count(*) from crawl_log where url like '%/post/always-500' and outcome = 'failed'")
    assert failures.fetchone()[0] == 2


def test_media_is_downloaded_once_into_a_content_addressed_folder(fetcher, db_path):

    with serve_site(SITE_DIR, handler=MediaSiteHandler) as site:
        db = open_archive(db_path)
        crawl_site(db, discover_posts(fetcher, site.origin), fetcher)
        media = media_dir_for(db_path)
        first = download_media(db, fetcher, media)
        again = download_media(db, fetcher, media)
    assert (first.downloaded, first.out_of_scope, first.failed) == (1, 1, [])
    assert (again.downloaded, again.reused) == (0, 1)
    assert site.requests.count("/media/shared.png") == 1
    assert not any("elsewhere" in path for path in site.requests)
    rows = list(db.query("select local_path, sha256 from images where src like '%/media/shared.png'"))
    assert len(rows) == 2 and len({(r["local_path"], r["sha256"]) for r in rows}) == 1
    stored = db_path.parent / rows[0]["local_path"]
    assert stored.read_bytes() == PNG and stored.name.startswith(rows[0]["sha256"])


@pytest.fixture
def small_disk(tmp_path):
    """A 2 MB tmpfs: a real full disk (skipped where this machine cannot mount one)."""
    disk = tmp_path / "disk"
    disk.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs for the full-disk test needs root")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(disk)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here for the full-disk test: {mounted.stderr.strip()}")
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def test_full_disk_during_media_download_is_one_error_line_and_leaves_no_partial_file(small_disk):
    big = PNG[:16] + os.urandom(3_000_000)  # starts like a PNG, and is larger than the disk
    images = '<img src="/media/a-small.png" alt="small"><img src="/media/big.png" alt="big">'
    with routed_site({"/robots.txt": ROBOTS_ALLOW_ALL, "/post/one": post_page("One", images),
                      "/media/a-small.png": answer(PNG, "image/png"), "/media/big.png": answer(big, "image/png")}) as site:
        site.routes["/sitemap.xml"] = urlset(site.origin + "/post/one")
        done = subprocess.run([sys.executable, "-m", "archive.cli", "crawl", site.origin, "--db",
                               str(small_disk / "archive.db"), "--media", "--delay", "0", "--quiet"],
                              capture_output=True, text=True, timeout=60, cwd=Path(__file__).parent.parent)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and "disk is full" in errors[0]
    media = sorted(p for p in (small_disk / "archive-media").rglob("*") if p.is_file())
    assert [p.read_bytes() for p in media] == [PNG]  # the small image whole, nothing of the big one
    with sqlite3.connect(f"file:{small_disk / 'archive.db'}?mode=ro", uri=True) as db:
        assert db.execute("pragma integrity_check").fetchone()[0] == "ok"
        assert db.execute("select count(*) from posts").fetchone()[0] == 1
