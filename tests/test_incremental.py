"""Re-crawls against a synthetic Wix blog on 127.0.0.1: nothing fetched twice, nothing ever lost."""
from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from synthetic import SyntheticSite, serve_synthetic

from archive.cli import cli
from archive.crawl import crawl_site
from archive.store import open_archive
from scraper.discover import DiscoveredURL, Discovery, discover_posts

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def blog():
    site = SyntheticSite(posts=20, sitemap_page_size=8, feed_items=5)
    with serve_synthetic(site) as server:
        yield site, server


def crawl(server, db_path, fetcher, **options):
    db = open_archive(db_path)
    return db, crawl_site(db, discover_posts(fetcher, server.origin), fetcher, **options)


def post_requests(server) -> list[str]:
    return [path for path in server.requests if path.startswith("/post/")]


def test_paged_sitemaps_find_every_post(blog, fetcher):
    site, server = blog
    found = discover_posts(fetcher, server.origin)
    assert len(found.urls) == 20 and found.complete
    assert sum(1 for path in server.requests if "blog-posts-sitemap.xml" in path) == 3  # 8 + 8 + 4 posts


def test_unchanged_second_run_fetches_no_post(blog, fetcher, db_path):
    site, server = blog
    _, first = crawl(server, db_path, fetcher)
    assert len(first.new) == 20
    server.requests.clear()
    db, second = crawl(server, db_path, fetcher)
    assert len(second.unchanged) == 20 and not second.new and not second.changed
    assert post_requests(server) == []


def test_without_lastmod_the_rerun_asks_conditionally_and_gets_304(blog, fetcher, db_path):
    site, server = blog
    db, _ = crawl(server, db_path, fetcher)
    db.execute("update posts set lastmod = null")
    db.conn.commit()
    server.requests.clear()
    _, second = crawl(server, db_path, fetcher)
    assert len(second.unchanged) == 20
    assert len(post_requests(server)) == 20
    assert server.statuses[304] >= 20
    assert db.execute("select count(*) from crawl_log where outcome = 'unchanged' and error = '304 Not Modified'"
                      ).fetchone()[0] == 20


def test_changed_post_is_updated_and_its_old_version_kept(blog, fetcher, db_path):
    site, server = blog
    db, _ = crawl(server, db_path, fetcher)
    site.changed = {3}
    _, second = crawl(server, db_path, fetcher)
    url = server.origin + site.url_path(3)
    assert second.changed == [url] and len(second.unchanged) == 19
    row = next(db.query("select id, body_text from posts where url = ?", [url]))
    assert "This post was updated." in row["body_text"]
    old = list(db.query("select body_text from versions where post_id = ?", [row["id"]]))
    assert len(old) == 1 and "This post was updated." not in old[0]["body_text"]


def test_removed_post_is_marked_gone_and_kept(blog, fetcher, db_path):
    site, server = blog
    db, _ = crawl(server, db_path, fetcher)
    site.removed = {5}
    _, second = crawl(server, db_path, fetcher)
    url = server.origin + site.url_path(5)
    assert second.gone == [url]
    row = next(db.query("select id, status, gone_at from posts where url = ?", [url]))
    assert row["status"] == "gone" and row["gone_at"]
    assert db.execute("select count(*) from sections where post_id = ?", [row["id"]]).fetchone()[0] > 0
    assert db["posts"].count == 20
    listing = CliRunner().invoke(cli, ["list", "--db", str(db_path)]).stdout
    assert f"{url}  [gone {row['gone_at'][:10]}]" in listing


def test_post_answering_410_is_marked_gone(blog, fetcher, db_path):
    site, server = blog
    db, _ = crawl(server, db_path, fetcher)
    site.gone_410 = {7}
    url = server.origin + site.url_path(7)
    single = Discovery(server.origin, [DiscoveredURL(url, ["command line"])], partial=True)
    summary = crawl_site(db, single, fetcher)
    assert summary.gone == [url]
    assert next(db.query("select status from posts where url = ?", [url]))["status"] == "gone"


def test_partial_runs_never_call_unlisted_posts_gone(blog, fetcher, db_path):
    site, server = blog
    db, _ = crawl(server, db_path, fetcher)
    _, limited = crawl(server, db_path, fetcher, max_posts=3)
    assert limited.gone == []
    assert db.execute("select count(*) from posts where status = 'gone'").fetchone()[0] == 0


def test_since_keeps_only_recently_modified_posts(blog, fetcher, db_path):
    site, server = blog
    _, summary = crawl(server, db_path, fetcher, since="2024-05-25")
    assert 0 < len(summary.new) < 20
    db = open_archive(db_path)
    assert all(r["lastmod"] >= "2024-05-25" for r in db.query("select lastmod from posts"))


def test_every_url_outcome_is_logged(blog, fetcher, db_path):
    site, server = blog
    db, _ = crawl(server, db_path, fetcher)
    outcomes = {r["outcome"]: r["n"] for r in db.query("select outcome, count(*) n from crawl_log group by outcome")}
    assert outcomes == {"new": 20}
    assert db.execute("select count(*) from runs where finished_at is not null").fetchone()[0] == 1


def test_history_lists_versions_and_diffs_them(blog, fetcher, db_path):
    site, server = blog
    crawl(server, db_path, fetcher)
    site.changed = {2}
    crawl(server, db_path, fetcher)
    url = server.origin + site.url_path(2)
    runner = CliRunner()
    listing = runner.invoke(cli, ["history", url, "--db", str(db_path)])
    assert listing.exit_code == 0
    assert len([line for line in listing.stdout.splitlines() if line.strip()[:1].isdigit()]) == 2
    assert "(current)" in listing.stdout
    diff = runner.invoke(cli, ["history", url, "--db", str(db_path), "--diff", "1", "2"])
    assert "+This post was updated." in diff.stdout


def test_dry_run_lists_urls_with_their_sources_and_writes_nothing(blog, db_path):
    site, server = blog
    result = CliRunner().invoke(cli, ["crawl", server.origin, "--db", str(db_path), "--dry-run", "--delay", "0"])
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert len(lines) == 20
    newest = next(line for line in lines if site.url_path(1) in line)
    assert newest.split("\t")[1] == "sitemap+feed"
    assert not db_path.exists()
    assert post_requests(server) == []


def test_several_sites_in_one_run(fetcher, db_path):
    with serve_synthetic(SyntheticSite(posts=4)) as one, serve_synthetic(SyntheticSite(posts=3)) as two:
        sites_file = db_path.parent / "sites.txt"
        sites_file.write_text(f"# clinics\n{two.origin}\n")
        result = CliRunner().invoke(cli, ["crawl", one.origin, "--sites", str(sites_file), "--db", str(db_path),
                                          "--delay", "0", "--concurrency", "2"])
    assert result.exit_code == 0, result.output
    assert "7 new, 0 changed, 0 unchanged, 0 gone, 0 skipped, 0 failed" in result.stderr
    assert {r["site"] for r in open_archive(db_path).query("select distinct site from posts")} == \
        {one.origin.split("//")[1], two.origin.split("//")[1]}


def test_crawl_killed_mid_run_leaves_a_sound_archive_that_the_next_run_completes(tmp_path):
    site = SyntheticSite(posts=30, latency=0.05)
    db_path = tmp_path / "archive.db"
    with serve_synthetic(site) as server:
        command = [sys.executable, "-m", "archive.cli", "crawl", server.origin, "--db", str(db_path),
                   "--delay", "0", "--concurrency", "1", "--quiet"]
        process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                   env={**os.environ, "PYTHONPATH": str(ROOT)})
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and _stored(db_path) < 8:
                time.sleep(0.05)
            process.send_signal(signal.SIGKILL)
        finally:
            process.wait(timeout=10)
        stored_before = _stored(db_path)
        assert 8 <= stored_before < 30
        with sqlite3.connect(db_path) as conn:
            assert conn.execute("pragma integrity_check").fetchone()[0] == "ok"
            half_written = conn.execute("select count(*) from posts p where not exists "
                                        "(select 1 from sections s where s.post_id = p.id)").fetchone()[0]
            assert half_written == 0
            done_urls = [r[0] for r in conn.execute("select url from posts")]
        fetched_before = {path: server.requests.count(path) for path in post_requests(server)}
        result = CliRunner().invoke(cli, ["crawl", server.origin, "--db", str(db_path), "--delay", "0"])
        assert result.exit_code == 0, result.output
        assert _stored(db_path) == 30
        for url in done_urls:  # what the killed run stored is not fetched again
            path = url.split(server.origin, 1)[1]
            assert server.requests.count(path) == fetched_before.get(path, 0)


def _stored(db_path: Path) -> int:
    if not db_path.exists():
        return 0
    try:
        with sqlite3.connect(db_path, timeout=1) as conn:
            return conn.execute("select count(*) from posts").fetchone()[0]
    except sqlite3.OperationalError:  # the table is not created yet
        return 0


def test_a_crawl_running_now_is_not_taken_for_a_killed_one(blog, fetcher, db_path):
    site, server = blog
    db, _ = crawl(server, db_path, fetcher)
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:  # another crawl of the site, unfinished and alive, that has already done every URL
        run_id = db["runs"].insert({"site": server.origin, "started_at": "2026-01-01T00:00:00+00:00",
                                    "pid": other.pid}).last_pk
        db["crawl_log"].insert_all({"run_id": run_id, "url": row["url"], "at": "2026-01-01T00:00:00+00:00",
                                    "outcome": "unchanged"} for row in db.query("select url from posts"))
        _, summary = crawl(server, db_path, fetcher)
    finally:
        other.kill()
        other.wait()
    reasons = {r["error"] for r in db.query("select error from crawl_log where run_id = "
                                             "(select max(id) from runs)")}
    assert "done before the previous run stopped" not in reasons  # it checked the posts itself
    assert len(summary.unchanged) == site.posts
