"""The static HTML export: a page per post, sanitised, self-contained, relative links, byte-identical, searchable."""
from __future__ import annotations

import filecmp
import hashlib
import json
import os
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from archive.crawl import crawl_site
from archive.export import export
from archive.export.common import iter_export_posts
from archive.store import open_archive, save_post
from scraper.discover import discover_posts
from scraper.models import Image, Post, Section

EVIL_URL = "https://evil.example/post/..%2F..%2Fevil"
EVIL_TITLE = "<script>alert('title')</script> Evil & Co"
EVIL_HTML = ('<p>Safe text survives.</p><script>alert("x")</script><img src="x.png" onerror="alert(1)">'
             '<a href="javascript:alert(2)">click</a><a href="JaVaScRiPt:alert(5)">again</a>'
             '<p onclick="steal()">Paragraph.</p><a href="/about">about</a><a href="#top">top</a>'
             '<iframe src="https://evil.example/frame"></iframe><svg onload="alert(6)"></svg>'
             '<a title="a>b" href="relative/page">tricky</a>')
NEURO_IMAGE = "https://static.wixstatic.com/media/a1b2c3_5e8f0d2c4b6a48e19f3d7c2b1a0e9f84~mv2.jpg"
NEURO_TITLE = "Does Acupuncture Work For Neuropathy?"


@pytest.fixture
def archive(db_path, site, fetcher):
    """The demo Wix site crawled for real, plus hand-made posts with hostile titles, slugs and HTML."""
    db = open_archive(db_path)
    summary = crawl_site(db, discover_posts(fetcher, site.origin), fetcher)
    assert len(summary.new) == 9
    save_post(db, Post(url=EVIL_URL, title=EVIL_TITLE, author="<b>Mallory</b>", published="2020-01-01",
                       sections=[Section(None, 1, "Safe text survives.", EVIL_HTML),
                                 Section('<img src=x onerror="alert(3)">', 2, "Second.", "<p>Second part.</p>")],
                       images=[Image("x.png", "<x>", None), Image("https://cdn.evil.example/gallery.jpg", None, "G")],
                       tags=['"><script>alert(4)</script>'], categories=["Hostile"]))
    save_post(db, Post(url="https://evil.example/post/con", title="../../evil", published="2019-05-05",
                       sections=[Section(None, 1, "Reserved name.", "<p>Reserved name.</p>")]))
    return db


@pytest.fixture
def exported(archive, tmp_path):
    out = tmp_path / "site"
    summary = export(archive, "html", out, media_root=tmp_path)
    return out, summary


class Page(HTMLParser):
    """Every start tag with its attributes, and the visible text, of one HTML file."""

    def __init__(self, path: Path):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.stack: list[str] = []
        self.h1 = ""
        self.feed(path.read_text(encoding="utf-8"))

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self.stack.append(tag)

    def handle_endtag(self, tag):
        if tag in self.stack:
            del self.stack[len(self.stack) - 1 - self.stack[::-1].index(tag):]

    def handle_data(self, data):
        self.text.append(data)
        if "h1" in self.stack:
            self.h1 += data

    def words(self) -> str:
        return " ".join(self.text)

    def plain(self) -> str:
        return " ".join("".join(self.text).split())

    def links(self) -> list[str]:
        return [value for _, attrs in self.tags for key, value in attrs.items()
                if key in ("href", "src", "action") and value is not None]


def pages(out: Path) -> list[Path]:
    return sorted(out.rglob("*.html"))


def test_every_post_has_a_page_with_its_title_sections_and_headings(archive, exported):
    out, summary = exported
    posts = list(iter_export_posts(archive, None))
    assert summary.posts == len(posts) == 11
    for item in posts:
        page = Page(out / "posts" / f"{item.slug}.html")
        assert page.h1 == item.post.title
        headings = [tag for tag, _ in page.tags if tag in ("h2", "h3", "h4", "h5", "h6")]
        text = page.plain()
        for section in item.post.sections:
            if section.heading:
                assert section.heading in text
            first = " ".join(re.findall(r"\w+", section.text)[:8])
            assert first in " ".join(re.findall(r"\w+", page.words())), f"{item.slug}: missing {first!r}"
        assert len(headings) >= sum(1 for s in item.post.sections if s.heading)
        assert (item.post.author or "unknown author") in text and item.post.url in text
        for name in item.post.tags + item.post.categories:
            assert name in text


def test_index_lists_every_post_newest_first_with_date_and_author(archive, exported):
    out, _ = exported
    page = Page(out / "index.html")
    listed = [attrs["href"] for tag, attrs in page.tags if tag == "a" and "title" in (attrs.get("class") or "")]
    by_date = sorted(iter_export_posts(archive, None), key=lambda i: i.post.published or "", reverse=True)
    assert listed == [f"posts/{item.slug}.html" for item in by_date]
    text = page.plain()
    assert "2023-11-28 · Laura Mann" in text and NEURO_TITLE in text
    assert "We treat many patients with neuropathy" in text  # the excerpt


def test_no_script_handler_or_javascript_url_survives_in_any_page(exported):
    out, _ = exported
    checked = 0
    for path in pages(out):
        page = Page(path)
        for tag, attrs in page.tags:
            assert tag not in ("iframe", "object", "embed", "style", "svg", "form") or (tag == "form" and
                                                                                         path.name == "index.html")
            if tag == "script":
                assert path.name == "index.html" and attrs.get("src") in ("search-index.js", "search.js")
            for key, value in attrs.items():
                assert not key.startswith("on"), f"{path.name}: <{tag} {key}>"
                squeezed = "".join((value or "").split()).lower()
                assert not squeezed.startswith(("javascript:", "vbscript:", "data:")), f"{path.name}: {value}"
        raw = path.read_text().lower()
        assert raw.count("<script") == (2 if path.name == "index.html" else 0)
        checked += 1
    assert checked == 12
    evil = (out / "posts" / "evil.html").read_text()
    assert "Safe text survives." in evil and "Paragraph." in evil
    assert "<script" not in evil and "onclick" not in evil and "javascript:" not in evil.lower()
    assert "onerror=&quot;alert(3)&quot;" in evil  # a hostile heading is shown as text, never as a tag


def test_hostile_titles_and_tags_are_shown_as_text(exported):
    out, _ = exported
    evil = Page(out / "posts" / "evil.html")
    assert evil.h1 == EVIL_TITLE
    raw = (out / "posts" / "evil.html").read_text()
    assert "&lt;script&gt;alert(&#x27;title&#x27;)&lt;/script&gt; Evil &amp; Co" in raw
    assert '"><script>alert(4)</script>' in evil.plain()
    index = (out / "index.html").read_text()
    assert "<script>alert" not in index and "&lt;script&gt;alert(&#x27;title&#x27;)" in index
    assert "<" not in (out / "search-index.js").read_text()  # no markup, even inside JS strings


def test_every_file_stays_inside_outdir_and_every_relative_link_resolves(exported):
    out, summary = exported
    root = out.resolve()
    written = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert written == sorted(summary.files)
    assert not [p for p in out.rglob("*") if not p.resolve().is_relative_to(root) or p.name.endswith(".part")]
    assert (out / "posts" / "evil.html").exists() and (out / "posts" / "con-post.html").exists()
    relative = 0
    for path in pages(out):
        for link in Page(path).links():
            parts = urlsplit(link)
            if parts.scheme or parts.netloc:
                assert parts.scheme in ("http", "https", "mailto"), link
                continue
            assert not link.startswith("/"), f"{path.name}: root-relative {link}"
            target = (path.parent / unquote(parts.path)).resolve() if parts.path else path.resolve()
            assert target.is_relative_to(root), f"{path.name}: {link} leaves OUTDIR"
            assert target.is_file(), f"{path.name}: {link} points at nothing"
            relative += 1
    assert relative > 30
    evil = Page(out / "posts" / "evil.html").links()
    assert "https://evil.example/about" in evil and "https://evil.example/post/relative/page" in evil


def test_two_exports_of_the_same_archive_are_byte_identical(archive, tmp_path):
    first, second = tmp_path / "one", tmp_path / "two"
    export(archive, "html", first, media_root=tmp_path)
    export(archive, "html", second, media_root=tmp_path)

    def digests(root: Path) -> dict[str, str]:
        return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
                for p in sorted(root.rglob("*")) if p.is_file()}

    assert digests(first) == digests(second)
    assert len(digests(first)) == 16  # 11 posts, index, search index, search.js, style.css, export-report.txt
    comparison = filecmp.dircmp(first, second)
    assert not comparison.diff_files and not comparison.left_only and not comparison.right_only


def test_a_downloaded_image_is_copied_and_linked_relatively(archive, tmp_path):
    media = tmp_path / "archive-media" / "ab"
    media.mkdir(parents=True)
    (media / "abcdef.jpg").write_bytes(b"\xff\xd8\xff\xe0jpeg bytes")
    archive.execute("update images set local_path = 'archive-media/ab/abcdef.jpg', sha256 = 'abcdef' where src = ?",
                    [NEURO_IMAGE])
    archive.conn.commit()
    out = tmp_path / "site"
    summary = export(archive, "html", out, media_root=tmp_path)
    name = "a1b2c3_5e8f0d2c4b6a48e19f3d7c2b1a0e9f84-mv2.jpg"  # named after the image's URL
    assert (out / "images" / name).read_bytes() == b"\xff\xd8\xff\xe0jpeg bytes"
    assert summary.images == 1 and f"images/{name}" in summary.files
    neuro = next(i for i in iter_export_posts(archive, None) if i.post.title == NEURO_TITLE)
    html = (out / "posts" / f"{neuro.slug}.html").read_text()
    assert f'src="../images/{name}"' in html and NEURO_IMAGE not in html
    total = archive.execute("select count(*) from images").fetchone()[0]
    assert summary.missing_images == total - 1


def test_an_image_recorded_outside_the_media_folder_is_never_copied(archive, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("not an image")
    (tmp_path / "media").mkdir()
    archive.execute("update images set local_path = '../secret.txt' where src = ?", [NEURO_IMAGE])
    archive.conn.commit()
    out = tmp_path / "site"
    summary = export(archive, "html", out, media_root=tmp_path / "media")
    assert summary.images == 0 and not (out / "images").exists()
    assert summary.missing_images == archive.execute("select count(*) from images").fetchone()[0]
    assert any("outside the media folder" in w for w in summary.warnings)


def test_images_never_downloaded_are_linked_to_their_original_url_and_counted(archive, exported):
    out, summary = exported
    assert summary.images == 0 and not (out / "images").exists()
    assert summary.missing_images == archive.execute("select count(*) from images").fetchone()[0]
    neuro = next(i for i in iter_export_posts(archive, None) if i.post.title == NEURO_TITLE)
    assert f'src="{NEURO_IMAGE}"' in (out / "posts" / f"{neuro.slug}.html").read_text()
    evil = Page(out / "posts" / "evil.html").links()
    assert "https://evil.example/post/x.png" in evil  # a relative src made absolute, not left dangling
    assert "https://cdn.evil.example/gallery.jpg" in evil  # an image no section showed is still shown


def test_search_index_is_a_script_the_page_loads_without_fetch(archive, exported):
    out, _ = exported
    scripts = [attrs["src"] for tag, attrs in Page(out / "index.html").tags if tag == "script"]
    assert scripts == ["search-index.js", "search.js"]
    source = (out / "search-index.js").read_text()
    assert source.startswith("window.SEARCH_INDEX = [") and source.endswith("];\n")
    entries = json.loads(source.removeprefix("window.SEARCH_INDEX = ").removesuffix(";\n"))
    assert len(entries) == 11
    neuro = next(e for e in entries if e["t"] == NEURO_TITLE)
    assert neuro["a"] == "Laura Mann" and neuro["d"] == "2023-11-28"
    words = neuro["w"].split()
    assert "tingling" in words and words == sorted(set(words))  # lowercased unique words, stably ordered
    spanish = next(e for e in entries if e["t"].startswith("Acupuntura"))
    assert "migrana" in spanish["w"].split()  # accents folded, as search.js folds the query
    assert "fetch(" not in (out / "search.js").read_text()
    assert len(source.encode()) < 60_000


CHROMIUM = "/usr/bin/chromium"


@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed at /usr/bin/chromium")
def test_browser_opens_the_export_from_file_searches_and_reads_a_post(exported, tmp_path):
    playwright = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    out, _ = exported
    shot = tmp_path / "export-post.png"
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        try:
            page = browser.new_page()
            page.set_default_timeout(30_000)  # a loaded 2-core CI machine is slow to start a browser
            playwright.expect.set_options(timeout=30_000)
            errors: list[str] = []
            # Remote images cannot load offline; anything else (a CSP refusal, a script error) is a failure.
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" and
                    not m.text.startswith("Failed to load resource") else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto((out / "index.html").resolve().as_uri())
            playwright.expect(page.locator("#count")).to_have_text("11 posts")
            first = page.locator("li.hit a.title").first
            # Three posts mention cupping; the one with it in its title ranks first though it is the oldest.
            page.locator("#q").press_sequentially("cupping", delay=20)
            playwright.expect(first).to_have_text("Cupping Therapy: What to Expect at Your First Session")
            playwright.expect(page.locator("#count")).to_have_text("3 posts of 11")
            page.locator("#q").fill("")
            playwright.expect(page.locator("li.hit")).to_have_count(11)
            # Every word must match; the last one is still being typed.
            page.locator("#q").press_sequentially("pain neuropa", delay=20)
            playwright.expect(first).to_have_text(NEURO_TITLE)  # polls, no eval: the page's CSP forbids it
            playwright.expect(page.locator("li.hit")).to_have_count(1)
            playwright.expect(page.locator("#count")).to_have_text("1 post of 11")
            assert page.url.endswith("#q=pain%20neuropa")  # the address follows the query
            first.click()
            playwright.expect(page.locator("article h1")).to_have_text(NEURO_TITLE)
            assert page.url.startswith("file://") and page.url.endswith(".html")
            playwright.expect(page.locator("article h2").first).to_have_text("Modulation of Neurotransmitters")
            page.screenshot(path=str(shot), full_page=True)
            assert not errors, errors  # no CSP refusal, no script error
        finally:
            browser.close()
    assert shot.stat().st_size > 10_000
    if os.environ.get("BLOG_ARCHIVE_SCREENSHOTS"):
        shutil.copy(shot, os.environ["BLOG_ARCHIVE_SCREENSHOTS"])
