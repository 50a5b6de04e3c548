"""`serve` in a real browser (Debian's chromium, driven by playwright): the posts page, the overview, a post,
a missing post, and a phone's screen. Every page is checked for CSP refusals and script errors, and a
screenshot of each is kept in the folder printed at the end of the run (BLOG_ARCHIVE_SCREENSHOTS, if set)."""
from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from urllib.parse import quote

import pytest
from web_archive import OTHER_SITE, SITE, build

from archive.store import open_archive
from archive.web import PAGE_SIZE, PLACEHOLDER, serving

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it)")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 1}


@pytest.fixture(scope="module")
def archive(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    db_path = tmp_path_factory.mktemp("web") / "clinic.db"
    return db_path, build(db_path)


@pytest.fixture(scope="module")
def server(archive):
    with serving(archive[0]) as running:
        yield running


@pytest.fixture(scope="module")
def shots(tmp_path_factory, request) -> Path:
    folder = Path(os.environ.get("BLOG_ARCHIVE_SCREENSHOTS") or tmp_path_factory.mktemp("web-screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    yield folder
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is not None and capture is not None and any(folder.glob("*.png")):
        with capture.global_and_fixture_disabled():  # said on the terminal, not captured with a test's output
            reporter.write_line(f"\nscreenshots of the web page: {folder}")


@pytest.fixture(scope="module")
def browser():
    playwright = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    with playwright.sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            yield instance
        finally:
            instance.close()


class Tab:
    """A browser page on the server that records what went wrong (a CSP refusal, a script error, a failed load)."""

    def __init__(self, browser, server, shots: Path, name: str, **options):
        from playwright.sync_api import expect

        self.expect = expect
        expect.set_options(timeout=30_000)  # a loaded 2-core CI machine is slow
        self.context = browser.new_context(**options)
        self.page = self.context.new_page()
        self.page.set_default_timeout(30_000)
        self.base, self.shots, self.name = server.url, shots, name
        self.problems: list[str] = []
        self.page.on("console", lambda m: self.problems.append(m.text) if m.type == "error" and
                     not m.text.startswith("Failed to load resource") else None)
        self.page.on("pageerror", lambda e: self.problems.append(str(e)))
        self.page.on("response", lambda r: self.problems.append(f"{r.status} {r.url}") if r.status >= 400 and
                     not r.url.endswith("/favicon.ico") and r.request.resource_type != "document" else None)

    def open(self, path: str):
        self.page.goto(self.base + path)
        return self.page

    def shot(self, suffix: str = "") -> Path:
        path = self.shots / f"{self.name}{suffix}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def close(self) -> None:
        self.context.close()
        assert not self.problems, self.problems


@pytest.fixture
def tab(browser, server, shots, request):
    opened = Tab(browser, server, shots, request.node.name.removeprefix("test_"))
    yield opened
    opened.close()


def post_path(url: str) -> str:
    return f"/post?url={quote(url, safe='')}"


def archive_rows(archive, sql: str, params: list | None = None) -> list[tuple]:
    db = open_archive(archive[0], create=False)
    try:
        return db.execute(sql, params or []).fetchall()
    finally:
        db.close()


def test_home_names_the_sites_and_counts_their_posts(tab, archive):
    page = tab.open("/")
    sites = page.locator("header.site ul.sites li")
    tab.expect(sites).to_have_count(2)
    counts = dict(archive_rows(archive, "select site, count(*) from posts group by site"))
    for host, label in ((SITE, 0), (OTHER_SITE, 1)):
        name = host.split("//")[1]
        tab.expect(sites.nth(label)).to_have_text(f"{name} {counts[name]} posts")
    total = sum(counts.values())
    tab.expect(page.locator("header.site .stats")).to_contain_text(f"{total} posts · 1 gone from the site · 4 authors")
    tab.expect(page.locator("#count")).to_have_text(f"Posts 1–{PAGE_SIZE} of {total}, newest first")
    tab.shot()
    page.locator("header.site ul.sites a", has_text="harbourclinic").click()
    tab.expect(page.locator("li.hit")).to_have_count(counts["blog.harbourclinic.example"])
    tab.expect(page.locator("a.chip")).to_have_text("Site: blog.harbourclinic.example ✕")


def test_home_shows_each_posts_excerpt_tags_and_date(tab, archive):
    page = tab.open("/")
    newest = page.locator("li.hit").first
    tab.expect(newest.locator("a.title")).to_have_text("Summer Hydration Tips")
    tab.expect(newest.locator(".meta")).to_have_text("2024-07-01 · Laura Mann")
    body = archive_rows(archive, "select body_text from posts where title = 'Summer Hydration Tips'")[0][0]
    excerpt = newest.locator("p.excerpt").inner_text()
    assert excerpt.endswith("…") and body.startswith(excerpt[:-1].rstrip()) and 100 < len(excerpt) <= 240
    tab.expect(newest.locator("a.tag")).to_have_text(["nutrition", "self-care", "Wellness"])
    newest.locator("a.tag", has_text="self-care").click()
    tagged = archive_rows(archive, "select count(*) from tags where name = 'self-care'")[0][0]
    tab.expect(page.locator("li.hit")).to_have_count(tagged)
    tab.expect(page.locator("#count")).to_have_text(f"{tagged} posts, newest first")
    tab.shot()


def test_home_pages_through_every_post(tab, archive):
    page = tab.open("/")
    seen: list[str] = []
    while True:
        titles = page.locator("li.hit a.title").all_inner_texts()
        assert 0 < len(titles) <= PAGE_SIZE
        seen += titles
        following = page.locator("nav.pager a[rel=next]")
        if not following.count():
            break
        following.click()
        page.wait_for_url(re.compile(rf"page={len(seen) // PAGE_SIZE + 1}$"))
    expected = [r[0] for r in archive_rows(archive, "select title from posts order by coalesce(published, updated) "
                                                    "is null, coalesce(published, updated) desc, id desc")]
    assert seen == expected and len(seen) > 2 * PAGE_SIZE  # every post once, in order, over three pages
    assert seen[-1] == "Meet the Team"  # the undated post comes last
    tab.expect(page.locator("nav.pager .current")).to_have_text("3")
    tab.shot("-last-page")


def test_overview_charts_posts_per_month_and_a_bar_lists_its_posts(tab, archive):
    page = tab.open("/overview")
    months = archive_rows(archive, "select substr(coalesce(published, updated), 1, 7) m, count(*) from posts "
                                   "where m is not null group by m")
    bars = page.locator("#chart svg a rect.bar")
    tab.expect(bars).to_have_count(len(months))
    tab.expect(page.locator("#chart svg text.year")).to_have_text(["2024", "2023", "2022", "2021"])
    busiest, count = max(months, key=lambda m: (m[1], m[0]))
    bar = page.locator(f'#chart svg a[href="/?month={busiest}"] rect')
    assert float(bar.get_attribute("height")) == max(float(b.get_attribute("height")) for b in bars.all())
    tab.shot()
    page.locator(f'#chart svg a[href="/?month={busiest}"]').click()
    tab.expect(page.locator("li.hit")).to_have_count(count)
    for date in page.locator("li.hit time").all_inner_texts():
        assert date.startswith(busiest)


def test_overview_lists_authors_and_the_most_used_tags(tab, archive):
    page = tab.open("/overview")
    authors = archive_rows(archive, "select author, count(*) from posts where author is not null group by author "
                                    "order by 2 desc, author")
    rows = page.locator("#authors tbody tr")
    tab.expect(rows).to_have_count(len(authors))
    tab.expect(rows.first.locator("td").nth(1)).to_have_text(str(authors[0][1]))
    tags = archive_rows(archive, "select name, count(*) from tags group by lower(name) order by 2 desc, name")
    (top, most), (rare, once) = tags[0], tags[-1]
    assert once == 1 and most > 20
    tab.expect(page.locator("#tags a.tag", has_text=top)).to_have_text(f"{top}{most}")
    tab.expect(page.locator("#tags a.tag", has_text=top)).to_have_class("tag s5")  # the most used, the largest
    tab.expect(page.locator("#tags a.tag", has_text=rare)).to_have_class("tag s1")
    page.locator("#authors a", has_text="Maya Lund").click()
    tab.expect(page.locator("li.hit .meta")).to_have_text([re.compile("Maya Lund")] * 3)


def test_overview_lists_posts_gone_from_the_site(tab, archive):
    page = tab.open("/overview")
    gone = page.locator("#gone ul.posts li")
    tab.expect(gone).to_have_count(1)
    tab.expect(gone).to_contain_text("Seasonal Allergies and Acupuncture gone since 2024-07-05")
    gone.locator("a").click()
    tab.expect(page.locator("article .badge.gone")).to_have_text("gone from the site since 2024-07-05")
    assert page.url.endswith(post_path(archive[1]["gone"]))


def test_overview_shows_what_each_crawl_found_with_the_diff_a_click_away(tab, archive):
    page = tab.open("/overview")
    runs = page.locator("#crawls ol.runs > li")
    tab.expect(runs).to_have_count(3)
    second = runs.nth(1)
    tab.expect(second.locator(".counts")).to_have_text("1 new1 changed1 gone")
    second.locator("summary").click()
    tab.expect(second.locator("h3")).to_have_text(["New", "Changed", "Gone"])
    tab.expect(second.locator("ul.posts").nth(0)).to_have_text("Summer Hydration Tips")
    tab.shot()
    second.locator("a.diff").click()
    tab.expect(page.locator("h1")).to_have_text("What changed in “Acupuncture for Neuropathy: an Update”")
    tab.expect(page.locator("pre.diff ins").first).to_have_text(": an Update")
    tab.expect(page.locator("pre.diff ins").nth(1)).to_contain_text("A new study from 2024")
    tab.expect(page.locator("pre.diff .del").first).to_have_text("-# Acupuncture for Neuropathy")
    tab.shot("-diff")


def test_overview_flags_lead_to_the_posts_they_name(tab, archive):
    page = tab.open("/overview")
    flags = page.locator("#flags ul.flag-list a")
    tab.expect(flags.locator(".flag")).to_have_text(["text repeated on many posts (boilerplate?)", "no author",
                                                     "no date", "very short body"])
    repeated = archive_rows(archive, "select count(*) from posts where warnings like '%text repeated%'")[0][0]
    tab.expect(flags.first.locator(".n")).to_have_text(f"{repeated} posts")
    flags.filter(has_text="no author").click()
    tab.expect(page.locator("a.chip")).to_have_text("Flagged: no author ✕")
    hit = page.locator("li.hit")
    tab.expect(hit).to_have_count(1)
    tab.expect(hit.locator(".badge")).to_contain_text(["no author"])
    hit.locator("a.title").click()
    tab.expect(page.locator("aside.flags li")).to_contain_text(["very short body", "no author"])
    assert page.url.endswith(post_path(archive[1]["short"]))
    tab.shot()


def test_post_page_shows_tags_and_categories(tab, archive):
    page = tab.open(post_path(archive[1]["new"]))
    tab.expect(page.locator("article p.tags")).to_have_text(["Tagsnutritionself-care", "CategoriesWellness"])
    page.locator("article a.tag", has_text="Wellness").click()
    category = archive_rows(archive, "select count(*) from tags where name = 'Wellness'")[0][0]
    tab.expect(page.locator("#count")).to_have_text(f"Posts 1–{PAGE_SIZE} of {category}, newest first")


def test_post_page_shows_downloaded_images_and_a_placeholder_for_the_rest(tab, archive):
    page = tab.open(post_path(archive[1]["images"]))
    images = page.locator("article figure img")
    tab.expect(images).to_have_count(2)
    local, missing = images.nth(0), images.nth(1)
    assert local.get_attribute("src") == "/media/3f/3f9a.png"
    assert missing.get_attribute("src") == PLACEHOLDER and missing.get_attribute("alt") == "The waiting room"
    for image in (local, missing):  # both really shown: no broken image
        tab.expect(image).to_have_js_property("complete", True)
        assert image.evaluate("img => img.naturalWidth") > 0
    assert local.evaluate("img => img.naturalWidth") == 480  # the downloaded copy itself
    tab.expect(page.locator(".images-note")).to_contain_text("1 of its 2 images was not downloaded")
    tab.shot()


def test_no_such_post_links_back_to_the_posts(tab):
    page = tab.open(post_path("https://www.wildflower.example/post/never-archived"))
    tab.expect(page.locator("h1")).to_have_text("No such post")
    page.locator("a.back").click()
    tab.expect(page.locator("li.hit").first).to_be_visible()
    assert page.url.endswith("/")


@pytest.mark.parametrize("which", ["home", "overview", "post", "diff"])
def test_every_page_fits_a_phone_screen(browser, server, shots, archive, which):
    tab = Tab(browser, server, shots, f"phone-{which}", **PHONE)
    try:
        page = tab.open({"home": "/", "overview": "/overview", "post": post_path(archive[1]["images"]),
                         "diff": f"/diff?url={quote(archive[1]['changed'], safe='')}"}[which])
        assert page.evaluate("innerWidth") == 390  # the viewport meta: laid out for the phone, not zoomed out
        assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling
        font = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
        assert font >= 16
        tab.shot()
    finally:
        tab.close()
