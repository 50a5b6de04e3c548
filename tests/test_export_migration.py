"""Migrations that land: links and images moved to the new site, old addresses kept, what is left reported,
text kept as text, Ghost's schema respected, and a WARC whose images replay. The archive is two sites made
with the store's own functions (tests/export_sites.py); the real programs that read these files are run in
test_export_consumers.py."""
from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Iterator
from urllib.parse import quote, urlsplit

import export_sites as sites
import pytest
import yaml
from click.testing import CliRunner
from defusedxml import ElementTree
from markdown_it import MarkdownIt
from warcio.archiveiterator import ArchiveIterator

from archive.cli import cli
from archive.export import export
from archive.export.redirects import format_redirects, redirect_map
from archive.store import Capture, open_archive, save_post
from scraper.models import Image, Post, Section

NS = {"content": "http://purl.org/rss/1.0/modules/content/", "wp": "http://wordpress.org/export/1.2/"}
# Every old address of a post whose links must be moved: the target's path on the old site, without host.
OLD_POST_PATHS = ("/post/acupuntura-y-migra", "/single-post/", "/post/welcome", "/post/links-everywhere")


@pytest.fixture
def made(tmp_path) -> sites.MigrationArchive:
    return sites.build(tmp_path)


def run(made: sites.MigrationArchive, fmt: str, out: Path, **options):
    return export(open_archive(made.db_path, create=False), fmt, out, media_root=made.media_root, **options)


def old_post_links(text: str) -> list[str]:
    """URLs in text on either old host whose path is a post's old path."""
    urls = re.findall(r"https?://(?:www\.)?clinic-[ab]\.example[^\s\"'<>)\]]*", text)
    return [u for u in urls if urlsplit(u).path.startswith(OLD_POST_PATHS)]


# --- links and images move with the posts --------------------------------------------------------------

def test_markdown_links_between_posts_become_relative_to_the_new_pages(made, tmp_path):
    run(made, "markdown", tmp_path)
    text = (tmp_path / "links-everywhere.md").read_text(encoding="utf-8").split("---\n", 2)[2]
    assert "](../acupuntura-y-migrana/)" in text and "](../acupuntura-y-migrana/#dosis)" in text
    assert "](../welcome-2/)" in text and "](../welcome/)" in text  # A's welcome and B's, by their own slugs
    assert old_post_links(text) == []
    assert f"]({sites.OLD_ABOUT})" in text  # not a post: it stays, and the report says so


@pytest.mark.parametrize("fmt", ["markdown", "html", "wxr", "ghost"])
def test_no_migration_format_leaves_a_link_to_an_exported_post_on_the_old_site(made, tmp_path, fmt):
    summary = run(made, fmt, tmp_path)
    written = "".join(p.read_text(encoding="utf-8") for p in tmp_path.rglob("*")
                      if p.suffix in (".md", ".html", ".xml", ".json"))
    bodies = written.replace(sites.LINKS, "").replace(sites.MIGRANA, "").replace(sites.WELCOME_A, "")
    bodies = bodies.replace(sites.WELCOME_B, "")  # each post's own original_url / link / guid may name it
    assert old_post_links(bodies) == []
    assert sum(report.counts["post"] for report in summary.old_site) == 0


def test_wxr_and_ghost_links_point_at_the_new_permalink(made, tmp_path):
    run(made, "wxr", tmp_path / "wxr", prefix="/blog/")
    item = next(i for p in (tmp_path / "wxr").glob("*.wxr.xml") for i in ElementTree.parse(p).getroot().iter("item")
                if i.findtext("link") == sites.LINKS)
    content = item.findtext("content:encoded", namespaces=NS)
    assert 'href="/blog/acupuntura-y-migrana/#dosis"' in content and 'href="/blog/welcome/"' in content
    run(made, "ghost", tmp_path / "ghost")
    doc = json.loads((tmp_path / "ghost" / "ghost-import.json").read_text(encoding="utf-8"))
    links = next(p for p in doc["data"]["posts"] if p["slug"] == "links-everywhere")
    assert 'href="/acupuntura-y-migrana/"' in links["html"] and 'href="/welcome-2/"' in links["html"]


def test_ghost_and_wxr_point_downloaded_images_at_the_media_url(made, tmp_path):
    run(made, "ghost", tmp_path, media_url="https://cdn.example.com/blog")
    doc = json.loads((tmp_path / "ghost-import.json").read_text(encoding="utf-8"))
    migrana = next(p for p in doc["data"]["posts"] if p["slug"] == "acupuntura-y-migrana")
    name = "1a2b3c_0123456789abcdef0123456789abcdef-mv2.png"
    assert migrana["feature_image"] == f"https://cdn.example.com/blog/{name}"
    assert (tmp_path / "media" / name).read_bytes() == made.images[sites.PHOTO]
    assert sites.PHOTO not in (tmp_path / "ghost-import.json").read_text(encoding="utf-8")
    run(made, "wxr", tmp_path / "wxr", media_url="https://cdn.example.com/blog/")
    urls = [i.findtext("wp:attachment_url", namespaces=NS) for p in (tmp_path / "wxr").glob("*.wxr.xml")
            for i in ElementTree.parse(p).getroot().iter("item") if i.findtext("wp:attachment_url", namespaces=NS)]
    assert f"https://cdn.example.com/blog/{name}" in urls and sites.PHOTO not in urls
    assert sites.FAKE_IMAGE in urls  # its "copy" is HTML: not copied, still pointing at the original


def test_export_writes_a_report_of_what_still_points_at_the_old_site_and_ends_with_its_count(made, tmp_path):
    result = CliRunner().invoke(cli, ["export", "markdown", str(tmp_path / "md"), "--db", str(made.db_path)])
    assert result.exit_code == 0, result.output
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("1 link and 2 images in 2 posts still point at the old site")
    report = (tmp_path / "md" / "export-report.txt").read_text(encoding="utf-8")
    assert f"links-everywhere  {sites.LINKS}  (1 link, 1 image)" in report
    assert f"    link   {sites.OLD_ABOUT}" in report and f"    image  {sites.FAKE_IMAGE}" in report
    assert report.rstrip().endswith("5 posts exported; 1 link and 2 images in 2 posts still point at the old site")


# --- media: only real images are copied, by their bytes -----------------------------------------------

@pytest.mark.parametrize("fmt", ["markdown", "html"])
def test_a_downloaded_file_that_is_not_an_image_is_never_copied(made, tmp_path, fmt):
    summary = run(made, fmt, tmp_path / "out")
    copied = [p for p in (tmp_path / "out").rglob("*")
              if p.is_file() and p.suffix not in (".md", ".html", ".js", ".css", ".txt")]
    assert sorted(p.read_bytes() for p in copied) == sorted(made.images.values())
    assert not any(b"<script" in p.read_bytes() for p in copied)
    assert any("not an image, video, audio or PDF by its bytes" in w and sites.FAKE_IMAGE in w
               for w in summary.warnings)


def test_a_copied_image_takes_the_extension_its_bytes_call_for(made, tmp_path):
    db = open_archive(made.db_path)
    path = db.execute("select local_path from images where src = ?", [sites.PHOTO]).fetchone()[0]
    renamed = path.replace(".png", ".html")
    (made.media_root / path).rename(made.media_root / renamed)
    db.execute("update images set local_path = ? where src = ?", [renamed, sites.PHOTO])
    db.conn.commit()
    db.execute("update images set src = ? where src = ?", [sites.PHOTO.replace(".png", ".html"), sites.PHOTO])
    db.conn.commit()
    run(made, "html", tmp_path / "site")
    assert [p.name for p in (tmp_path / "site" / "images").iterdir() if "1a2b3c" in p.name] == [
        "1a2b3c_0123456789abcdef0123456789abcdef-mv2.png"]


# --- Markdown: text stays text --------------------------------------------------------------------------

def test_markdown_escaped_text_never_becomes_markup(made, tmp_path):
    run(made, "markdown", tmp_path)
    text = (tmp_path / "escaped-text.md").read_text(encoding="utf-8")
    body = text.split("---\n", 2)[2]
    rendered = MarkdownIt("commonmark", {"html": True}).render(body)  # raw HTML on, as Eleventy renders it
    assert "<script" not in rendered and "<img src=\"x\"" not in rendered and "onerror" not in rendered.replace(
        "onerror=alert(2)&gt;", "")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in rendered  # shown as text
    assert "<blockquote>" not in rendered and "<ol>" not in rendered
    assert "javascript:" not in re.findall(r'(?:href|src)="([^"]*)"', rendered).__str__()
    assert "<h2>Use &lt;script&gt; tags &amp; &lt;em&gt;</h2>" in rendered
    assert "&lt;script&gt;kept in code&lt;/script&gt; ```" in rendered  # a code block holding ``` stays closed


def test_markdown_aliases_are_every_old_path_decoded_with_a_leading_slash(made, tmp_path):
    run(made, "markdown", tmp_path)
    meta = yaml.safe_load((tmp_path / "acupuntura-y-migrana.md").read_text(encoding="utf-8").split("---\n")[1])
    assert meta["aliases"] == ["/post/acupuntura-y-migraña", "/single-post/2019/05/03/acupuntura-y-migraña"]


def test_two_sites_sharing_an_old_path_give_it_to_one_post_only(made, tmp_path):
    summary = run(made, "markdown", tmp_path)
    owners = [p.name for p in tmp_path.glob("*.md")
              if "/post/welcome" in (yaml.safe_load(p.read_text(encoding="utf-8").split("---\n")[1]).get("aliases")
                                     or [])]
    assert owners == ["welcome.md"]
    assert any("old path /post/welcome is also welcome's" in w for w in summary.warnings)


# --- redirects ------------------------------------------------------------------------------------------

def test_redirects_of_two_sites_are_scoped_by_host_with_one_rule_per_path(made):
    rules = redirect_map(open_archive(made.db_path), "/blog/{slug}/")
    assert len({(r.host, r.path) for r in rules}) == len(rules)
    nginx = format_redirects(rules, "nginx")
    keys = re.findall(r'^\s+"([^"]+)" "', nginx, re.M)
    assert len(keys) == len(set(keys))
    assert '"clinic-a.example/post/welcome" "/blog/welcome-2/";' in nginx
    assert '"clinic-b.example/post/welcome" "/blog/welcome/";' in nginx
    assert '"clinic-a.example/single-post/2019/05/03/acupuntura-y-migraña" "/blog/acupuntura-y-migrana/";' in nginx


def test_redirects_of_one_site_map_every_old_address_decoded(made):
    rules = redirect_map(open_archive(made.db_path), "/blog/{slug}/", site="clinic-a.example")
    lines = format_redirects(rules, "apache").splitlines()
    assert 'Redirect 301 "/post/acupuntura-y-migraña" /blog/acupuntura-y-migrana/' in lines
    assert 'Redirect 301 "/single-post/2019/05/03/acupuntura-y-migraña" /blog/acupuntura-y-migrana/' in lines
    assert "Redirect 301 /single-post/links-everywhere /blog/links-everywhere/" in lines
    assert all(line.split()[2].strip('"').startswith("/") for line in lines)


def test_ghost_redirects_yaml_matches_each_old_path_as_the_browser_sends_it(made, tmp_path):
    run(made, "ghost", tmp_path, site="clinic-a.example")
    rules = yaml.safe_load((tmp_path / "redirects.yaml").read_text(encoding="utf-8"))
    assert set(rules) == {301}
    compiled = {re.compile(key): target for key, target in rules[301].items()}

    def answer(path: str) -> list[str]:
        return [target for regex, target in compiled.items() if regex.search(path)]

    migrana = "/post/acupuntura-y-migra%C3%B1a"
    assert answer(migrana) == answer(migrana + "/") == ["/acupuntura-y-migrana/"]
    assert answer("/single-post/2019/05/03/acupuntura-y-migra%C3%B1a") == ["/acupuntura-y-migrana/"]
    assert answer("/post/welcome") == ["/welcome/"] and answer("/post/welcome-and-more") == []


# --- Ghost: every schema limit its importer enforces --------------------------------------------------

# Ghost 5's schema (core/server/data/schema/schema.js) as documented: column sizes and validations of what an
# import writes. Written here from the schema, apart from the exporter's own LIMITS.
GHOST_SCHEMA = {
    "posts": {"id": 24, "title": 255, "slug": 191, "comment_id": 50, "feature_image": 2000, "custom_excerpt": 300,
              "type": 50, "status": 50, "visibility": 50},
    "posts_meta": {"feature_image_alt": 191, "feature_image_caption": 65535},
    "tags": {"id": 24, "name": 191, "slug": 191},
    "users": {"id": 24, "name": 191, "slug": 191, "email": 191},
}
GHOST_UNIQUE = {"posts": ("id", "slug"), "tags": ("id", "slug"), "users": ("id", "slug", "email")}


def ghost_violations(doc: dict) -> list[str]:
    data, problems = doc["data"], []
    for table, limits in GHOST_SCHEMA.items():
        for record in data[table]:
            for column, limit in limits.items():
                value = record.get(column)
                if isinstance(value, str) and len(value) > limit:
                    problems.append(f"{table}.{column} has {len(value)} > {limit} characters")
    for table, columns in GHOST_UNIQUE.items():
        for column in columns:
            values = [r[column] for r in data[table]]
            if len(values) != len(set(values)):
                problems.append(f"{table}.{column} not unique")
    names = [t["name"].lower() for t in data["tags"]]
    problems += ["tags.name not unique (case-insensitive)"] if len(names) != len(set(names)) else []
    problems += [f"tag name {t['name']!r} starts with ','" for t in data["tags"] if t["name"].startswith(",")]
    problems += [f"posts.slug {p['slug']!r} not a slug" for p in data["posts"]
                 if not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", p["slug"])]
    for post in data["posts"]:
        if post["type"] not in ("post", "page") or post["status"] not in ("published", "draft") \
                or post["visibility"] != "public":
            problems.append(f"posts {post['slug']}: bad type/status/visibility")
    ids = {p["id"] for p in data["posts"]}
    for link in data["posts_tags"] + data["posts_authors"] + data["posts_meta"]:
        if link["post_id"] not in ids:
            problems.append(f"a link to a post not in the file: {link}")
    pairs = [(link["post_id"], link["tag_id"]) for link in data["posts_tags"]]
    problems += ["posts_tags repeat a tag on a post"] if len(pairs) != len(set(pairs)) else []
    return problems


def real_length_wix_posts(count: int = 50) -> list[Post]:
    """Posts as long as real Wix ones get: 100-200 character URLs, long titles, alts, tags and authors."""
    made = []
    for n in range(count):
        words = "-".join(["acupuncture-and-traditional-chinese-medicine-for-chronic-pain"] * (1 + n % 3))
        url = f"https://www.wildflower-acupuncture-and-wellness-clinic.com/post/{words}-{n}"
        long_name = "Traditional Chinese Medicine " * 10
        made.append(Post(
            url=url, title=("A very long title about acupuncture " * 12) + str(n),
            author=("Dr. " + "Name " * 60 + str(n % 4)),
            published=f"2023-0{1 + n % 9}-1{n % 10}",
            sections=[Section(None, 1, "Body.", f'<figure><img src="https://static.wixstatic.com/media/a1_{n:032x}'
                                                f'~mv2.jpg" alt="x"></figure><p>Body {n}.</p>')],
            images=[Image(f"https://static.wixstatic.com/media/a1_{n:032x}~mv2.jpg", "alt text " * 40, "cap " * 20)],
            tags=[long_name + "A", long_name + "B", "#internal", ",comma", "Pain", "pain", "PAIN"],
            categories=["Wellness Tips", "wellness tips"], excerpt="excerpt words " * 40))
    return made


def test_ghost_export_of_fifty_real_length_wix_posts_breaks_no_schema_limit(db_path, tmp_path):
    db = open_archive(db_path)
    for post in real_length_wix_posts():
        save_post(db, post, seen_at=sites.SEEN)
    export(db, "ghost", tmp_path)
    doc = json.loads((tmp_path / "ghost-import.json").read_text(encoding="utf-8"))
    assert len(doc["data"]["posts"]) == 50
    assert ghost_violations(doc) == []
    assert max(len(p["comment_id"]) for p in doc["data"]["posts"]) <= 50


def test_ghost_comment_id_is_short_and_the_same_in_every_export(made, tmp_path):
    run(made, "ghost", tmp_path / "one")
    run(made, "ghost", tmp_path / "two", since="2023-06-01")
    one, two = ({p["slug"]: p["comment_id"] for p in json.loads((tmp_path / name / "ghost-import.json").read_text())
                 ["data"]["posts"]} for name in ("one", "two"))
    assert two and all(one[slug] == cid for slug, cid in two.items())
    assert one["acupuntura-y-migrana"] == hashlib.sha256(sites.MIGRANA.encode()).hexdigest()[:24]


def test_ghost_does_not_repeat_the_feature_image_at_the_top_of_the_body(made, tmp_path):
    run(made, "ghost", tmp_path)
    doc = json.loads((tmp_path / "ghost-import.json").read_text(encoding="utf-8"))
    migrana = next(p for p in doc["data"]["posts"] if p["slug"] == "acupuntura-y-migrana")
    assert migrana["feature_image"] == sites.PHOTO
    assert "<img" not in migrana["html"] and migrana["html"].startswith("<p>La migraña.</p>")
    welcome = next(p for p in doc["data"]["posts"] if p["slug"] == "welcome-2")
    assert "<img" in welcome["html"]  # an image after the text is not the top of the body: it stays


# --- JSONL and WARC -----------------------------------------------------------------------------------

def test_jsonl_images_carry_their_local_path_and_sha256(made, tmp_path):
    run(made, "jsonl", tmp_path)
    records = {r["url"]: r for r in map(json.loads, (tmp_path / "posts.jsonl").read_text().splitlines())}
    photo = records[sites.MIGRANA]["images"][0]
    assert photo["sha256"] == hashlib.sha256(made.images[sites.PHOTO]).hexdigest()
    assert (made.media_root / photo["local_path"]).read_bytes() == made.images[sites.PHOTO]
    assert records[sites.ESCAPED]["images"][0]["local_path"] is None
    assert records[sites.ESCAPED]["images"][0]["sha256"] is None


def warc_records(path: Path) -> list:
    with path.open("rb") as handle:
        return [(r.rec_type, r.rec_headers, r.content_stream().read()) for r in ArchiveIterator(handle)]


def test_every_warc_capture_has_an_absolute_target_uri(made, tmp_path):
    db = open_archive(made.db_path)
    save_post(db, Post(url="saved/imported-page.html", title="Imported", sections=[Section(None, 1, "t", "<p>t</p>")]),
              capture=Capture("saved/imported-page.html", b"<html>saved</html>", sites.SEEN, None, "text/html"))
    run(made, "warc", tmp_path)
    uris = [h.get_header("WARC-Target-URI") for kind, h, _ in warc_records(tmp_path / "archive.warc.gz")
            if kind != "warcinfo"]
    assert uris and all(urlsplit(u).scheme in ("http", "https", "file") for u in uris)
    assert "file:///saved/imported-page.html" in uris


def test_warc_replays_the_resized_images_a_page_asks_for_as_revisits_of_the_original(made, tmp_path):
    run(made, "warc", tmp_path)
    records = warc_records(tmp_path / "archive.warc.gz")
    originals = {h.get_header("WARC-Target-URI"): (h.get_header("WARC-Payload-Digest"), body)
                 for kind, h, body in records if kind == "response"}
    assert originals[sites.PHOTO][1].endswith(made.images[sites.PHOTO])
    revisits = {h.get_header("WARC-Target-URI"): h for kind, h, _ in records if kind == "revisit"}
    for width in ("w_292,h_219", "w_584,h_438"):
        variant = revisits[f"{sites.PHOTO}/v1/fill/{width},al_c,q_85/x.png"]
        assert variant.get_header("WARC-Refers-To-Target-URI") == sites.PHOTO
        assert variant.get_header("WARC-Payload-Digest") == originals[sites.PHOTO][0]
    assert sites.FAKE_IMAGE not in originals  # HTML posing as an image is not archived as one


# --- one snapshot, whole files ---------------------------------------------------------------------------

def test_an_export_reads_one_snapshot_while_a_crawl_writes(made, tmp_path):
    """A post saved by another connection in the middle of an export is not half in it (it crashed before)."""
    from archive.export.common import iter_export_posts, snapshot
    reader, writer = open_archive(made.db_path, create=False), open_archive(made.db_path)
    with snapshot(reader):
        posts = iter_export_posts(reader, None)
        first = next(posts)
        save_post(writer, Post(url=f"{sites.A}/post/new-during-export", title="New", published="1999-01-01",
                               sections=[Section(None, 1, "n", "<p>n</p>")]))
        writer.execute("delete from images")
        writer.conn.commit()
        rest = list(posts)
    assert [first.post.url, *[i.post.url for i in rest]] == [r["url"] for r in reader.query(
        "select url from posts where url != ? order by site, coalesce(published, updated, first_seen), url",
        [f"{sites.A}/post/new-during-export"])]
    assert any(i.images for i in rest)  # the images deleted meanwhile are still there in the snapshot


def test_export_command_names_a_bad_prefix_or_media_url_in_one_line(made, tmp_path):
    runner = CliRunner()
    for option, value in (("--prefix", "/a b/"), ("--media-url", "ftp://x"), ("--prefix", "/../etc/")):
        result = runner.invoke(cli, ["export", "ghost", str(tmp_path / "x"), "--db", str(made.db_path), option, value])
        assert result.exit_code == 1 and result.stderr.startswith("Error: bad ") and "Traceback" not in result.output


def test_paths_with_quote_characters_are_quoted_for_each_server(tmp_path):
    db = open_archive(tmp_path / "a.db")
    save_post(db, Post(url=f"{sites.A}/post/{quote('a b;{c}')}", title="Odd", published="2020-01-01",
                       sections=[Section(None, 1, "o", "<p>o</p>")]))
    rules = redirect_map(db, "/{slug}/")
    assert format_redirects(rules, "nginx") == 'location = "/post/a b;{c}" { return 301 /a-b-c/; }\n'
    assert format_redirects(rules, "apache") == 'Redirect 301 "/post/a b;{c}" /a-b-c/\n'
    assert format_redirects(rules, "netlify") == "/post/a%20b;{c} /a-b-c/ 301\n"


# --- a kill, a full disk: every file whole or not at all -----------------------------------------------

@pytest.fixture(scope="module")
def big_archive(tmp_path_factory) -> Path:
    """300 posts: enough for an export to take a moment and to fill a small disk."""
    db_path = tmp_path_factory.mktemp("big") / "big.db"
    db = open_archive(db_path)
    text = "Acupuncture and sleep, herbs and qi. " * 60
    with db.atomic():
        for n in range(300):
            db.conn.execute("savepoint p")
            save_post(db, Post(url=f"{sites.A}/post/post-{n}", title=f"Post {n}", published=f"2020-01-{1 + n % 28:02d}",
                               sections=[Section(None, 1, text, f"<p>{text}</p>")]), seen_at=sites.SEEN)
            db.conn.execute("release p")
    db.close()
    return db_path


KILLED_EXPORT = """
import sys
from archive.export import export
from archive.store import open_archive
export(open_archive(sys.argv[1], create=False), sys.argv[2], sys.argv[3])
"""


@pytest.mark.parametrize("fmt, final", [("markdown", "post-0.md"), ("jsonl", "posts.jsonl"), ("wxr", None)])
def test_a_killed_export_leaves_no_file_and_the_next_export_removes_what_it_left(big_archive, tmp_path, fmt, final):
    import os
    import signal
    import subprocess
    import sys
    import time
    out = tmp_path / "out"
    process = subprocess.Popen([sys.executable, "-c", KILLED_EXPORT, str(big_archive), fmt, str(out)],
                               cwd=Path(__file__).resolve().parents[1])
    deadline = time.monotonic() + 30
    while not any(p.is_file() for p in out.glob(".blog-archive-export.*/**/*")) and time.monotonic() < deadline:
        time.sleep(0.002)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    left = [p for p in out.iterdir()]
    assert [p.name for p in left] == [f".blog-archive-export.{process.pid}.part"]  # nothing under a final name
    (out / ".notes.md.999999999.1.part").write_text("half a file from an older version")  # its process is gone
    summary = export(open_archive(big_archive, create=False), fmt, out)
    assert sorted(p.name for p in out.iterdir() if p.is_file()) == sorted(
        name for name in summary.files if "/" not in name)
    assert not [p for p in out.rglob("*") if p.name.startswith(".")]
    if final == "posts.jsonl":
        assert len((out / final).read_text().splitlines()) == 300


@pytest.fixture
def small_disk(tmp_path) -> Iterator[Path]:
    """A 256 KB tmpfs: a real full disk (root and mount needed, else skipped with the reason)."""
    import os
    import subprocess
    disk = tmp_path / "disk"
    disk.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs for a full disk needs root")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(disk)], capture_output=True,
                          text=True)
    if done.returncode != 0:
        pytest.skip(f"this machine does not allow mount -t tmpfs: {done.stderr.strip()}")
    try:
        yield disk
    finally:
        subprocess.run(["umount", str(disk)], check=False)


@pytest.mark.parametrize("fmt", ["markdown", "jsonl", "html"])
def test_a_full_disk_gives_one_error_line_and_leaves_nothing(big_archive, small_disk, fmt):
    (small_disk / "out").mkdir()
    (small_disk / "out" / "keep.txt").write_text("the user's own file")
    result = CliRunner().invoke(cli, ["export", fmt, str(small_disk / "out"), "--db", str(big_archive)])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"Error: cannot write the export into {small_disk / 'out'}: the disk is full; nothing of it was kept"]
    assert [p.name for p in (small_disk / "out").iterdir()] == ["keep.txt"]
