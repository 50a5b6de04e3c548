"""WordPress WXR 1.2 and Ghost JSON exports: read back field by field against the archive, byte-stable, filtered.

The archive is built the real way (the demo Wix site crawled over HTTP) plus hand-made posts on a second
host for the edges: a title holding "]]>" and "<script>", an author with an apostrophe, a date-only post,
a +02:00 offset, duplicate tag slugs, an author-less post, a long excerpt.
"""
from __future__ import annotations

import filecmp
import hashlib
import json
import os
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from defusedxml import ElementTree

from archive.crawl import crawl_site
from archive.export import export
from archive.export.common import safe_name
from archive.store import load_post, open_archive, save_post
from scraper.discover import discover_posts
from scraper.models import Image, Post, Section

NS = {
    "excerpt": "http://wordpress.org/export/1.2/excerpt/",
    "content": "http://purl.org/rss/1.0/modules/content/",
    "wfw": "http://wellformedweb.org/CommentAPI/",
    "dc": "http://purl.org/dc/elements/1.1/",
    "wp": "http://wordpress.org/export/1.2/",
}
EDGE = "https://www.edge-clinic.com"
SEEN = "2024-06-01T12:00:00+00:00"
TRICKY_TITLE = 'Cups ]]> & <script>alert("x")</script> O\'Brien'
LONG_EXCERPT = " ".join(["acupuncture"] * 40)  # 479 characters


def edge_posts() -> list[Post]:
    return [
        Post(url=f"{EDGE}/post/tricky", title=TRICKY_TITLE, author="Dr. Siobhan O'Brien",
             published="2022-03-04T09:30:00+02:00", updated="2022-03-05T01:15:00+02:00",
             sections=[Section(None, 1, "x", "<p>Ends ]]> early? <script>alert(1)</script></p>"),
                       Section("Après & <more>", 2, "y", "<p>Second &amp; last.</p>")],
             images=[Image(f"{EDGE}/media/a%20b.jpg", "Cups", "First caption"),
                     Image("https://static.wixstatic.com/media/c.png", "Cups", None),
                     Image("https://cdn.elsewhere.example/d.gif", None, "Third ]]> caption")],
             tags=["Pain", "pain relief"], categories=["Cupping", "Pain"], excerpt="Short ]]> excerpt."),
        Post(url=f"{EDGE}/post/date-only", title="A date-only post", author="Laura Mann", published="2021-07-09",
             sections=[Section(None, 1, "z", "<p>Just a date.</p>")], excerpt=LONG_EXCERPT),
        Post(url=f"{EDGE}/post/nobody", title="Nobody wrote this", published="2023-02-01T08:00:00",
             sections=[Section(None, 1, "n", "<p>Anonymous.</p>")]),
    ]


@pytest.fixture
def archive(site, fetcher, db_path):
    db = open_archive(db_path)
    crawl_site(db, discover_posts(fetcher, site.origin), fetcher)
    for post in edge_posts():
        save_post(db, post, seen_at=SEEN)
    return db


def demo_host(site) -> str:
    return urlsplit(site.origin).netloc


def rows(db, where: str = "1", params=()) -> list[dict]:
    return list(db.query(f"select * from posts where {where} order by id", list(params)))


# --- independent expectations -------------------------------------------------------------------------

def first_iso(*values):
    return next(datetime.fromisoformat(v) for v in values if v)


def utc(moment: datetime) -> datetime:
    return moment.astimezone(timezone.utc) if moment.tzinfo else moment


def mysql(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def ghost_iso(moment: datetime) -> str:
    return utc(moment).strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc(moment).microsecond // 1000:03d}Z"


def terms(db, post_id: int) -> set[tuple[str, str, str]]:
    return {("category" if r["kind"] == "category" else "post_tag", safe_name(r["name"]), r["name"])
            for r in db.query("select * from tags where post_id = ?", [post_id])}


def images(db, post_id: int) -> list[dict]:
    return list(db.query("select * from images where post_id = ? order by position", [post_id]))


# --- WXR ------------------------------------------------------------------------------------------------

def wxr_items(outdir: Path) -> tuple[dict, dict]:
    """Posts by URL and attachments by parent id, from every .wxr.xml file written."""
    posts, attachments = {}, {}
    for path in sorted(outdir.glob("*.wxr.xml")):
        for item in ElementTree.parse(path).getroot().iter("item"):
            fields = {child.tag: child for child in item}
            if item.findtext("wp:post_type", namespaces=NS) == "attachment":
                attachments.setdefault(int(item.findtext("wp:post_parent", namespaces=NS)), []).append(item)
            else:
                posts[fields["guid"].text] = (path, item)
    return posts, attachments


def test_wxr_reads_back_every_post_as_in_the_archive(archive, site, tmp_path):
    summary = export(archive, "wxr", tmp_path)
    posts, attachments = wxr_items(tmp_path)
    expected = rows(archive)
    assert summary.posts == len(expected) == len(posts) == 12
    files = [name for name in summary.files if name != "export-report.txt"]
    assert sorted(files) == sorted(p.name for p in tmp_path.glob("*.wxr.xml"))
    assert set(files) == {safe_name(demo_host(site)) + ".wxr.xml", "www-edge-clinic-com.wxr.xml"}
    for row in expected:
        path, item = posts[row["url"]]
        post = load_post(archive, row)
        channel = ElementTree.parse(path).getroot().find("channel")
        assert channel.findtext("title") == row["site"]
        assert item.findtext("title") == row["title"]
        assert item.findtext("link") == row["url"]
        assert item.find("guid").get("isPermaLink") == "false"
        assert item.findtext("wp:post_name", namespaces=NS) == safe_name(row["slug"] or row["title"])
        content = item.findtext("content:encoded", namespaces=NS)
        if row["url"] == f"{EDGE}/post/tricky":  # its script is dropped, its text kept
            assert "<script" not in content and "Ends ]]&gt; early?" in content
        else:  # the archive's sanitised HTML, as it is (no link to another post to move)
            assert content == post.body_html == row["body_html"]
        assert item.findtext("excerpt:encoded", namespaces=NS) == (row["excerpt"] or "")
        assert item.findtext("wp:post_id", namespaces=NS) == str(row["id"])
        assert item.findtext("wp:status", namespaces=NS) == "publish"
        assert item.findtext("wp:post_type", namespaces=NS) == "post"
        published = first_iso(row["published"], row["updated"], row["first_seen"])
        modified = first_iso(row["updated"], row["published"], row["first_seen"])
        assert item.findtext("wp:post_date", namespaces=NS) == mysql(published)
        assert item.findtext("wp:post_date_gmt", namespaces=NS) == mysql(utc(published))
        assert item.findtext("wp:post_modified", namespaces=NS) == mysql(modified)
        assert item.findtext("wp:post_modified_gmt", namespaces=NS) == mysql(utc(modified))
        assert item.findtext("pubDate") == utc(published).strftime("%a, %d %b %Y %H:%M:%S +0000")
        login = item.findtext("dc:creator", namespaces=NS)
        if row["author"]:
            assert login == safe_name(row["author"])
            author = next(a for a in channel.findall("wp:author", NS)
                          if a.findtext("wp:author_login", namespaces=NS) == login)
            assert author.findtext("wp:author_display_name", namespaces=NS) == row["author"]
            assert author.findtext("wp:author_email", namespaces=NS) == f"{login}@example.invalid"
        else:
            assert login == ""
        written = {(c.get("domain"), c.get("nicename"), c.text) for c in item.findall("category")}
        assert written == terms(archive, row["id"])
        defined = ({("category", c.findtext("wp:category_nicename", namespaces=NS))
                    for c in channel.findall("wp:category", NS)}
                   | {("post_tag", t.findtext("wp:tag_slug", namespaces=NS)) for t in channel.findall("wp:tag", NS)})
        assert {(domain, nicename) for domain, nicename, _ in written} <= defined
        stored = images(archive, row["id"])
        mine = attachments.get(row["id"], [])
        assert [a.findtext("wp:attachment_url", namespaces=NS) for a in mine] == [i["src"] for i in stored]
        assert [a.findtext("excerpt:encoded", namespaces=NS) for a in mine] == [i["caption"] or "" for i in stored]
        meta = {m.findtext("wp:meta_key", namespaces=NS): m.findtext("wp:meta_value", namespaces=NS)
                for m in item.findall("wp:postmeta", NS)}
        if stored:
            assert meta["_thumbnail_id"] == mine[0].findtext("wp:post_id", namespaces=NS)
        else:
            assert "_thumbnail_id" not in meta
    ids = [a.findtext("wp:post_id", namespaces=NS) for group in attachments.values() for a in group]
    assert len(ids) == len(set(ids)) == archive.execute("select count(*) from images").fetchone()[0]
    assert not set(ids) & {str(r["id"]) for r in expected}


def test_wxr_edge_cases_survive_literally(archive, tmp_path):
    export(archive, "wxr", tmp_path)
    posts, attachments = wxr_items(tmp_path)
    _, tricky = posts[f"{EDGE}/post/tricky"]
    assert tricky.findtext("title") == TRICKY_TITLE
    assert tricky.findtext("wp:post_date", namespaces=NS) == "2022-03-04 09:30:00"
    assert tricky.findtext("wp:post_date_gmt", namespaces=NS) == "2022-03-04 07:30:00"
    assert tricky.findtext("wp:post_modified_gmt", namespaces=NS) == "2022-03-04 23:15:00"
    assert tricky.findtext("dc:creator", namespaces=NS) == "dr-siobhan-o-brien"
    # "Pain" is both a category and a tag: one of each domain, not one merged term
    assert {(c.get("domain"), c.get("nicename")) for c in tricky.findall("category")} >= {
        ("category", "pain"), ("post_tag", "pain")}
    titles = [a.findtext("title") for a in attachments[int(tricky.findtext("wp:post_id", namespaces=NS))]]
    assert titles == ["Cups", "Cups (2)", "d.gif"]  # WordPress skips same-title same-date items
    _, dated = posts[f"{EDGE}/post/date-only"]
    assert dated.findtext("wp:post_date", namespaces=NS) == "2021-07-09 00:00:00"
    assert dated.findtext("wp:post_date_gmt", namespaces=NS) == "2021-07-09 00:00:00"
    raw = (tmp_path / "www-edge-clinic-com.wxr.xml").read_text("utf-8")
    assert "]]]]><![CDATA[>" in raw


def test_wxr_declares_the_namespaces_wordpress_uses(archive, tmp_path):
    export(archive, "wxr", tmp_path)
    for path in tmp_path.glob("*.wxr.xml"):
        declared = dict(ns for _, ns in ElementTree.iterparse(path, events=("start-ns",)))
        assert declared == NS
        root = ElementTree.parse(path).getroot()
        assert root.tag == "rss" and root.get("version") == "2.0"
        channel = root.find("channel")
        assert channel.findtext("wp:wxr_version", namespaces=NS) == "1.2"
        assert channel.findtext("wp:base_site_url", namespaces=NS) == channel.findtext("link")
        assert channel.findtext("wp:base_blog_url", namespaces=NS) == channel.findtext("link")
        assert path.read_bytes().startswith(b'<?xml version="1.0" encoding="UTF-8" ?>\n')


def test_wxr_drops_characters_xml_cannot_carry(archive, tmp_path):
    save_post(archive, Post(url=f"{EDGE}/post/control", title="Tab\x0bbed", published="2020-01-01",
                            sections=[Section(None, 1, "c", "<p>a\x00b\x1fc</p>")]), seen_at=SEEN)
    export(archive, "wxr", tmp_path)
    posts, _ = wxr_items(tmp_path)
    _, item = posts[f"{EDGE}/post/control"]
    assert item.findtext("title") == "Tabbed"
    assert item.findtext("content:encoded", namespaces=NS) == "<p>abc</p>"


def test_wxr_warns_about_attachments_on_the_old_host(archive, site, tmp_path):
    summary = export(archive, "wxr", tmp_path)
    demo_images = archive.execute("select count(*) from images join posts on posts.id = images.post_id "
                                  "where site = ?", [demo_host(site)]).fetchone()[0]
    assert any(f"{demo_images} of {demo_images} attachments point at the old site" in w for w in summary.warnings)
    # the edge site: its own host and the Wix CDN count, a third-party CDN does not
    assert any("2 of 3 attachments point at the old site" in w for w in summary.warnings)


# --- Ghost ---------------------------------------------------------------------------------------------

def url_of(db, post: dict) -> str:
    """The archived URL of a Ghost post, found by its comment_id: the first 24 hex of the URL's SHA-256."""
    urls = [r["url"] for r in db.query("select url from posts")]
    return next(u for u in urls if hashlib.sha256(u.encode()).hexdigest()[:24] == post["comment_id"])


def ghost(outdir: Path) -> dict:
    return json.loads((outdir / "ghost-import.json").read_text("utf-8"))


def test_ghost_reads_back_every_post_as_in_the_archive(archive, tmp_path):
    summary = export(archive, "ghost", tmp_path)
    doc = ghost(tmp_path)
    data = doc["data"]
    expected = rows(archive)
    assert summary.posts == len(data["posts"]) == len(expected)
    assert summary.files == ["ghost-import.json", "redirects.yaml", "export-report.txt"]
    by_url = {url_of(archive, p): p for p in data["posts"]}
    tags = {t["id"]: t for t in data["tags"]}
    users = {u["id"]: u for u in data["users"]}
    assert len({p["id"] for p in data["posts"]}) == len(data["posts"])
    assert len({t["slug"] for t in data["tags"]}) == len(data["tags"])  # Ghost's tag slugs are unique
    for row in expected:
        post = by_url[row["url"]]
        assert post["title"] == row["title"]
        assert post["slug"] == safe_name(row["slug"] or row["title"])
        body_html = load_post(archive, row).body_html
        first = images(archive, row["id"])[:1]
        opening = f'<figure><img src="{first[0]["src"]}"' if first else None
        if row["url"] == f"{EDGE}/post/tricky":
            assert "<script" not in post["html"] and "Second &amp; last." in post["html"]
        elif opening and body_html.startswith(opening):  # the feature image is not repeated above the text
            assert post["html"] == body_html.split("</figure>\n", 1)[1]
        else:
            assert post["html"] == body_html
        assert (post["type"], post["status"], post["visibility"]) == ("post", "published", "public")
        published = first_iso(row["published"], row["updated"], row["first_seen"])
        updated = first_iso(row["updated"], row["published"], row["first_seen"])
        assert post["published_at"] == post["created_at"] == ghost_iso(published)
        assert post["updated_at"] == ghost_iso(updated)
        excerpt = post["custom_excerpt"]
        if row["excerpt"] and len(row["excerpt"]) <= 300:
            assert excerpt == row["excerpt"]
        elif row["excerpt"]:
            assert len(excerpt) <= 300 and excerpt.endswith("\u2026")
            assert (row["excerpt"] + " ").startswith(excerpt[:-1] + " ")  # cut at a word
        linked = {tags[link["tag_id"]]["slug"] for link in data["posts_tags"] if link["post_id"] == post["id"]}
        assert linked == {slug for _, slug, _ in terms(archive, row["id"])}
        authors = [users[link["author_id"]] for link in data["posts_authors"] if link["post_id"] == post["id"]]
        if row["author"]:
            assert [(a["name"], a["slug"], a["email"]) for a in authors] == [
                (row["author"], safe_name(row["author"]), f"{safe_name(row['author'])}@example.invalid")]
        else:
            assert authors == []
        stored = images(archive, row["id"])
        meta = [m for m in data["posts_meta"] if m["post_id"] == post["id"]]
        if stored:
            assert post["feature_image"] == stored[0]["src"]
            assert [(m["feature_image_alt"], m["feature_image_caption"]) for m in meta] == [
                (stored[0]["alt"], stored[0]["caption"])]
        else:
            assert post["feature_image"] is None and meta == []
    newest = max(datetime.fromisoformat(r["last_seen"]) for r in expected)
    assert doc["meta"] == {"exported_on": int(newest.timestamp()) * 1000 + newest.microsecond // 1000,
                           "version": "5.0.0"}


def test_ghost_edge_cases(archive, tmp_path):
    export(archive, "ghost", tmp_path)
    data = ghost(tmp_path)["data"]
    by_url = {url_of(archive, p): p for p in data["posts"]}
    tricky = by_url[f"{EDGE}/post/tricky"]
    assert tricky["title"] == TRICKY_TITLE
    assert tricky["published_at"] == "2022-03-04T07:30:00.000Z"
    assert tricky["updated_at"] == "2022-03-04T23:15:00.000Z"
    first_tag = next(link for link in data["posts_tags"] if link["post_id"] == tricky["id"] and link["sort_order"] == 0)
    assert next(t for t in data["tags"] if t["id"] == first_tag["tag_id"])["name"] == "Cupping"  # primary tag
    assert by_url[f"{EDGE}/post/date-only"]["published_at"] == "2021-07-09T00:00:00.000Z"
    assert by_url[f"{EDGE}/post/nobody"]["published_at"] == "2023-02-01T08:00:00.000Z"
    excerpt = by_url[f"{EDGE}/post/date-only"]["custom_excerpt"]
    assert excerpt == " ".join(["acupuncture"] * 25) + "\u2026"  # 25 words: 299 characters + the ellipsis


def test_ghost_file_is_laid_out_as_one_sorted_json_dump(archive, tmp_path):
    export(archive, "ghost", tmp_path)
    raw = (tmp_path / "ghost-import.json").read_text("utf-8")
    assert raw == json.dumps(json.loads(raw), ensure_ascii=False, sort_keys=True, indent=2) + "\n"


def test_ghost_with_no_posts_is_still_valid(db_path, tmp_path):
    export(open_archive(db_path), "ghost", tmp_path)
    raw = (tmp_path / "ghost-import.json").read_text("utf-8")
    doc = json.loads(raw)
    assert doc["data"]["posts"] == [] and doc["meta"]["exported_on"] == 0
    assert raw == json.dumps(doc, sort_keys=True, indent=2) + "\n"


# --- stability and filters -----------------------------------------------------------------------------

SUBPROCESS_EXPORT = """
import sys
from archive.export import export
from archive.store import open_archive
export(open_archive(sys.argv[1], create=False), sys.argv[2], sys.argv[3])
"""


@pytest.mark.parametrize("fmt", ["wxr", "ghost"])
def test_exporting_twice_gives_identical_bytes(archive, db_path, tmp_path, fmt):
    first, second = tmp_path / "first", tmp_path / "second"
    export(archive, fmt, first)
    # another process, another hash seed and another local time zone: nothing may leak into the output
    env = {**os.environ, "PYTHONHASHSEED": "4242", "TZ": "Asia/Kathmandu"}
    subprocess.run([sys.executable, "-c", SUBPROCESS_EXPORT, str(db_path), fmt, str(second)], check=True, env=env,
                   cwd=Path(__file__).resolve().parents[1])
    names = sorted(p.name for p in first.iterdir())
    assert names and names == sorted(p.name for p in second.iterdir())
    match, mismatch, errors = filecmp.cmpfiles(first, second, names, shallow=False)
    assert (mismatch, errors) == ([], [])


def test_site_restricts_both_formats_to_one_host(archive, site, tmp_path):
    host = demo_host(site)
    wanted = {r["url"] for r in rows(archive, "site = ?", [host])}
    wxr_summary = export(archive, "wxr", tmp_path / "wxr", site=host)
    assert wxr_summary.files == [safe_name(host) + ".wxr.xml", "export-report.txt"]
    assert set(wxr_items(tmp_path / "wxr")[0]) == wanted
    export(archive, "ghost", tmp_path / "ghost", site="edge-clinic.com")  # www. is implied
    assert {url_of(archive, p) for p in ghost(tmp_path / "ghost")["data"]["posts"]} == {
        f"{EDGE}/post/tricky", f"{EDGE}/post/date-only", f"{EDGE}/post/nobody"}


def test_since_drops_older_posts(archive, tmp_path):
    since = "2023-01-01"
    wanted = {r["url"] for r in rows(archive) if (r["published"] or r["updated"] or r["first_seen"])[:10] >= since}
    assert 0 < len(wanted) < len(rows(archive))
    export(archive, "wxr", tmp_path / "wxr", since=since)
    assert set(wxr_items(tmp_path / "wxr")[0]) == wanted
    export(archive, "ghost", tmp_path / "ghost", since=since)
    data = ghost(tmp_path / "ghost")["data"]
    assert {url_of(archive, p) for p in data["posts"]} == wanted
    kept = {p["id"] for p in data["posts"]}
    assert {link["post_id"] for link in data["posts_tags"] + data["posts_authors"] + data["posts_meta"]} <= kept
