"""Exports to Markdown, JSON Lines and WARC, the redirect map, and the safety rules every export follows."""
from __future__ import annotations

import filecmp
import json
import stat
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from click.testing import CliRunner
from warcio.archiveiterator import ArchiveIterator

from archive.cli import cli
from archive.crawl import crawl_site
from archive.export import export
from archive.export.common import ExportError, OutDir
from archive.export.redirects import format_redirects, redirect_map
from archive.store import Capture, open_archive, page_body, save_post
from scraper.discover import discover_posts
from scraper.models import Post, Section

NASTY = [("../../etc/passwd", 'Escape: "quoted" & <b>bold</b>'), ("CON", "Reserved"), ("x" * 300, "Very long"),
         ("nul\x00byte", "NUL"), ("/etc/hosts", "Absolute"), ("same-slug", "First of two"),
         ("same-slug", "Second of two")]


@pytest.fixture
def archive(site, fetcher, db_path) -> Path:
    db = open_archive(db_path)
    crawl_site(db, discover_posts(fetcher, site.origin), fetcher)
    for n, (slug, title) in enumerate(NASTY):
        url = f"https://nasty{n % 2}.example/post/{slug}"
        save_post(db, Post(url=url, title=title, author="O'Brien", published=f"2022-0{n + 1}-01",
                           sections=[Section(None, 1, "Body text.", "<p>Body text.</p>")]),
                  capture=Capture(url, b"<html>raw</html>", "2024-01-01T00:00:00+00:00", 200, "text/html"))
    db.close()
    return db_path


def run_export(archive: Path, fmt: str, outdir: Path, **options):
    media = archive.with_name(archive.stem + "-media")
    return export(open_archive(archive), fmt, outdir, media_root=archive.parent if media.exists() else None,
                  **options)


def all_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


@pytest.mark.parametrize("fmt", ["markdown", "jsonl", "warc"])
def test_same_archive_gives_byte_identical_exports(archive, tmp_path, fmt):
    run_export(archive, fmt, tmp_path / "one")
    run_export(archive, fmt, tmp_path / "two")
    names = [p.relative_to(tmp_path / "one") for p in all_files(tmp_path / "one")]
    assert names == [p.relative_to(tmp_path / "two") for p in all_files(tmp_path / "two")]
    match, mismatch, errors = filecmp.cmpfiles(tmp_path / "one", tmp_path / "two", [str(n) for n in names],
                                               shallow=False)
    assert mismatch == [] and errors == [] and len(match) == len(names)


@pytest.mark.parametrize("fmt", ["markdown", "jsonl", "warc"])
def test_nothing_is_written_outside_outdir_and_every_name_is_safe(archive, tmp_path, fmt):
    outdir = tmp_path / "deep" / "out"
    run_export(archive, fmt, outdir)
    written = [p.relative_to(tmp_path) for p in all_files(tmp_path) if p.suffix != ".db" and "-wal" not in p.name
               and "-shm" not in p.name]
    assert written and all(str(p).startswith("deep/out/") for p in written)
    for path in all_files(outdir):
        assert len(path.name) <= 90 and "\x00" not in path.name and not path.name.startswith(".")
        assert path.stat().st_mode & stat.S_IROTH  # a web server may serve it
        assert path.stem.split(".")[0].lower() not in {"con", "prn", "aux", "nul"}


def test_markdown_front_matter_is_valid_yaml_with_the_post_fields(archive, tmp_path):
    run_export(archive, "markdown", tmp_path)
    text = (tmp_path / "does-acupuncture-work-for-neuropathy.md").read_text(encoding="utf-8")
    _, front, body = text.split("---\n", 2)
    meta = yaml.safe_load(front)
    assert meta["title"] == "Does Acupuncture Work For Neuropathy?"
    assert meta["author"] == "Laura Mann"
    assert meta["date"] == "2023-11-28T18:05:12.345+00:00" and meta["lastmod"] == "2023-12-03T16:40:00.000+00:00"
    assert meta["aliases"] == ["/post/does-acupuncture-work-for-neuropathy"]
    assert "\n## Modulation of Neurotransmitters\n" in body
    assert "![Feet in the ocean](https://static.wixstatic.com/media/" in body and "*Acupuncture for Neuropathy*" in body


def test_markdown_escapes_titles_and_makes_clashing_slugs_unique(archive, tmp_path):
    run_export(archive, "markdown", tmp_path)
    names = {p.name for p in tmp_path.glob("*.md")}
    assert {"same-slug.md", "same-slug-2.md", "passwd.md", "con-post.md", "hosts.md"} <= names
    meta = yaml.safe_load((tmp_path / "passwd.md").read_text(encoding="utf-8").split("---\n")[1])
    assert meta["title"] == 'Escape: "quoted" & <b>bold</b>' and meta["author"] == "O'Brien"


JPEG = b"\xff\xd8\xff\xe0 a jpeg"


def test_markdown_plain_layout_links_copied_images_from_the_site_root_under_the_prefix(archive, tmp_path):
    db = open_archive(archive)
    media = archive.with_name("archive-media")
    (media / "ab").mkdir(parents=True)
    (media / "ab" / "abc.jpg").write_bytes(JPEG)
    db.execute("update images set local_path = 'archive-media/ab/abc.jpg', sha256 = 'abc' "
               "where src like '%a1b2c3_5e8f0d2c4b6a48e19f3d7c2b1a0e9f84~mv2.jpg'")
    db.conn.commit()
    summary = run_export(archive, "markdown", tmp_path / "out")
    copied = tmp_path / "out" / "does-acupuncture-work-for-neuropathy" / "a1b2c3_5e8f0d2c4b6a48e19f3d7c2b1a0e9f84-mv2.jpg"
    assert copied.read_bytes() == JPEG and summary.images == 1
    text = (tmp_path / "out" / "does-acupuncture-work-for-neuropathy.md").read_text(encoding="utf-8")
    assert f"](/posts/does-acupuncture-work-for-neuropathy/{copied.name})" in text
    run_export(archive, "markdown", tmp_path / "blog", prefix="blog")
    text = (tmp_path / "blog" / "does-acupuncture-work-for-neuropathy.md").read_text(encoding="utf-8")
    assert f"](/blog/does-acupuncture-work-for-neuropathy/{copied.name})" in text


def test_markdown_bundles_put_each_post_and_its_images_in_one_folder(archive, tmp_path):
    db = open_archive(archive)
    media = archive.with_name("archive-media")
    (media / "cd").mkdir(parents=True)
    (media / "cd" / "cde.jpg").write_bytes(JPEG)
    db.execute("update images set local_path = 'archive-media/cd/cde.jpg' where src like '%a1b2c3_5e8f%'")
    db.conn.commit()
    run_export(archive, "markdown", tmp_path, bundles=True)
    folder = tmp_path / "does-acupuncture-work-for-neuropathy"
    text = (folder / "index.md").read_text(encoding="utf-8")
    image = next(p for p in folder.iterdir() if p.suffix == ".jpg")
    assert f"]({image.name})" in text and image.read_bytes() == JPEG


def test_jsonl_has_one_object_per_post_with_stable_keys(archive, tmp_path):
    run_export(archive, "jsonl", tmp_path)
    lines = (tmp_path / "posts.jsonl").read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines]
    assert len(records) == open_archive(archive)["posts"].count
    keys = {"url", "title", "author", "published", "updated", "sections", "images", "tags", "categories", "excerpt",
            "canonical_url", "language", "id", "site", "slug", "status", "first_seen", "last_seen", "lastmod",
            "gone_at", "author_url", "content_hash", "warnings", "export_slug"}
    assert all(set(r) == keys for r in records)
    assert all(list(json.loads(line)) == sorted(json.loads(line)) for line in lines)


def test_warc_reads_back_with_every_capture(archive, tmp_path):
    run_export(archive, "warc", tmp_path)
    db = open_archive(archive)
    with (tmp_path / "archive.warc.gz").open("rb") as handle:
        records = [(r.rec_type, r.rec_headers.get_header("WARC-Target-URI"), r.content_stream().read(),
                    r.rec_headers.protocol) for r in ArchiveIterator(handle)]
    assert records[0][0] == "warcinfo" and all(r[3] == "WARC/1.1" for r in records)
    responses = {uri: body for kind, uri, body, _ in records if kind == "response"}
    requests = [uri for kind, uri, _, _ in records if kind == "request"]
    pages = list(db.query("select * from pages where url in (select url from posts)"))
    assert len(responses) == len(pages) == len(requests)
    for page in pages:
        assert responses[page["url"]] == page_body(db, page)


def test_site_and_since_narrow_the_export(archive, tmp_path):
    summary = run_export(archive, "jsonl", tmp_path / "a", site="nasty1.example")
    assert summary.posts == 3
    summary = run_export(archive, "jsonl", tmp_path / "b", since="2024-01-01")
    records = [json.loads(line) for line in (tmp_path / "b" / "posts.jsonl").read_text().splitlines()]
    assert records and all((r["published"] or r["updated"])[:10] >= "2024-01-01" for r in records)


@pytest.mark.parametrize("style, line", [
    ("nginx", "location = /post/gua-sha-at-home { return 301 /2025/03/gua-sha-at-home/; }"),
    ("apache", "Redirect 301 /post/gua-sha-at-home /2025/03/gua-sha-at-home/"),
    ("netlify", "/post/gua-sha-at-home /2025/03/gua-sha-at-home/ 301"),
])
def test_redirect_map_of_one_site_in_each_server_syntax(archive, site, style, line):
    rules = redirect_map(open_archive(archive), "/{year}/{month}/{slug}/", site=urlsplit(site.origin).netloc)
    assert line in format_redirects(rules, style).splitlines()


def test_redirect_pattern_needs_a_slug(archive):
    with pytest.raises(ExportError, match="slug"):
        redirect_map(open_archive(archive), "/blog/{year}/")


def test_outdir_refuses_paths_that_escape_it(tmp_path):
    out = OutDir(tmp_path / "out")
    for parts in (("..", "x"), ("/etc/passwd",), ("a\x00b",), ("sub", "..", "..", "x")):
        with pytest.raises(ExportError):
            out.write("x", *parts)
    assert not (tmp_path / "x").exists()


def test_export_command_reports_and_refuses_a_file_as_outdir(archive, tmp_path):
    runner = CliRunner()
    result = runner.invoke(cli, ["export", "markdown", str(tmp_path / "md"), "--db", str(archive)])
    assert result.exit_code == 0 and "markdown: 16 posts" in result.stderr
    blocker = tmp_path / "file.txt"
    blocker.write_text("not a folder")
    result = runner.invoke(cli, ["export", "jsonl", str(blocker), "--db", str(archive)])
    assert result.exit_code != 0 and "is a file" in result.stderr and "Traceback" not in result.output
