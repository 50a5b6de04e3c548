"""The read-only web page: search, reading view, sanitising, read-only serving, and a real browser."""
from __future__ import annotations

import http.client
import os
import re
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote

import pytest
from processes import lines, start

from archive.export import export
from archive.overview import flag_kind
from archive.store import open_archive, save_post
from archive.web import CSP, MEDIA_CSP, PAGE_SIZE, PLACEHOLDER, ArchiveSite, serving
from scraper.models import Image, Post, Section

URL = "https://www.wildflower.example/post/neuropathy"
EVIL = ('<p>Safe text.</p><script>alert("x")</script><img src="x.png" onerror="alert(1)">'
        '<a href="javascript:alert(2)">click</a><p onclick="steal()">Paragraph.</p>')


@pytest.fixture
def archive_path(db_path: Path) -> Path:
    db = open_archive(db_path)
    save_post(db, Post(url=URL, title="Acupuncture for Neuropathy", author="Laura Mann", published="2023-12-03",
                       sections=[Section(None, 1, "Numbness and tingling.", "<p>Numbness and tingling.</p>"),
                                 Section("Blood Flow", 2, "Safe text. Paragraph.", EVIL)],
                       images=[Image("https://static.wixstatic.com/media/a.jpg", "Feet", "Ocean")], tags=["nerves"]))
    save_post(db, Post(url=URL, title="Acupuncture for Neuropathy (revised)", author="Laura Mann",
                       published="2023-12-03", sections=[Section(None, 1, "Numbness, tingling and pain.",
                                                                 "<p>Numbness, tingling and pain.</p>")]))
    save_post(db, Post(url="https://www.wildflower.example/post/sleep", title="Herbs for Sleep", author="Jenna Reyes",
                       published="2021-04-01", sections=[Section(None, 1, "Jujube seed calms.", "<p>Jujube.</p>")]))
    db.close()
    return db_path


def get(site: ArchiveSite, target: str) -> tuple[int, str]:
    response = site.respond(target)
    return response.status, response.body.decode()


def test_search_results_highlight_the_words(archive_path):
    status, html = get(ArchiveSite(archive_path), "/?q=tingling")
    assert status == 200
    assert "Acupuncture for Neuropathy (revised)" in html and "<mark>tingling</mark>" in html
    assert "Herbs for Sleep" not in html


def test_filters_by_author_and_year(archive_path):
    site = ArchiveSite(archive_path)
    assert "Herbs for Sleep" in get(site, "/results?author=Jenna+Reyes")[1]
    assert "Neuropathy" not in get(site, "/results?author=Jenna+Reyes")[1]
    assert "Herbs for Sleep" not in get(site, "/results?year=2023")[1]


def test_reading_view_shows_the_post_its_facts_and_earlier_versions(archive_path):
    status, html = get(ArchiveSite(archive_path), f"/post?url={quote(URL, safe='')}")
    assert status == 200
    assert "<h1>Acupuncture for Neuropathy (revised)</h1>" in html
    assert "Laura Mann" in html and "published 2023-12-03" in html and f'href="{URL}"' in html
    assert "Earlier versions" in html and "-# Acupuncture for Neuropathy" in html


def test_scraped_html_is_sanitised_on_the_post_page(archive_path):
    db = open_archive(archive_path)
    evil = "https://www.wildflower.example/post/evil"
    save_post(db, Post(url=evil, title="Evil", sections=[Section(None, 1, "Safe text. Paragraph.", EVIL)]))
    db.close()
    html = get(ArchiveSite(archive_path), f"/post?url={quote(evil, safe='')}")[1]
    article = html[html.index("<article>"):html.index("</article>")]
    assert "Safe text." in article and "Paragraph." in article
    for bad in ("<script", "alert(", "onerror", "onclick", "javascript:"):
        assert bad not in article


def test_downloaded_images_are_shown_from_the_local_media_folder(archive_path):
    db = open_archive(archive_path)
    save_post(db, Post(url=URL, title="T", sections=[Section(None, 1, "x", '<figure><img src="https://static.'
                                                               'wixstatic.com/media/a.jpg" alt="Feet"></figure>')],
                       images=[Image("https://static.wixstatic.com/media/a.jpg", "Feet", None)]))
    db.execute("update images set local_path = 'archive-media/ab/abcdef.jpg', sha256 = 'abcdef'")
    db.conn.commit()
    (archive_path.parent / "archive-media" / "ab").mkdir(parents=True)
    (archive_path.parent / "archive-media" / "ab" / "abcdef.jpg").write_bytes(b"\xff\xd8jpeg")
    site = ArchiveSite(archive_path)
    html = get(site, f"/post?url={quote(URL, safe='')}")[1]
    assert 'src="/media/ab/abcdef.jpg"' in html
    assert site.respond("/media/ab/abcdef.jpg").body == b"\xff\xd8jpeg"


def test_an_image_never_downloaded_shows_the_placeholder_and_never_the_old_site(archive_path):
    site = ArchiveSite(archive_path)
    db = open_archive(archive_path)
    save_post(db, Post(url=URL, title="T", sections=[Section(None, 1, "x", '<figure><img src="/media/b.jpg" '
                                                               'alt="Hands"></figure>')],
                       images=[Image("https://www.wildflower.example/media/b.jpg", "Hands", None)]))
    db.execute("update images set local_path = 'archive-media/ab/gone.jpg'")  # recorded, but not on disk
    db.conn.commit()
    html = get(site, f"/post?url={quote(URL, safe='')}")[1]
    assert f'<img src="{PLACEHOLDER}" alt="Hands">' in html and "b.jpg" not in html
    assert "its image was not downloaded" in html
    assert site.respond(PLACEHOLDER).content_type == "image/svg+xml"
    assert "img-src 'self';" in CSP  # the page could not load the old site's image even if one slipped through


def test_serve_and_the_static_export_keep_the_same_markup(archive_path, tmp_path):
    """One rendering, one allow-list: definition lists, abbreviations, deletions, a list starting at 3, table
    captions and footers are kept by both (serve's own allow-list once dropped them)."""
    db = open_archive(archive_path)
    rich = ('<dl><dt>Qi</dt><dd>energy</dd></dl><p><abbr>TCM</abbr> <del>old</del> <ins>new</ins></p>'
            '<ol start="3"><li>third</li></ol><table><caption>Fees</caption><tfoot><tr><td>1</td></tr></tfoot></table>')
    url = "https://www.wildflower.example/post/rich"
    save_post(db, Post(url=url, title="Rich", sections=[Section(None, 1, "Qi energy", rich)]))
    export(db, "html", tmp_path / "site")
    db.close()
    served = get(ArchiveSite(archive_path), f"/post?url={quote(url, safe='')}")[1]
    exported = (tmp_path / "site" / "posts" / "rich.html").read_text()
    for page_html in (served, exported):
        article = page_html[page_html.index("<article>"):page_html.index("</article>")]
        for kept in ("<dl><dt>Qi</dt><dd>energy</dd></dl>", "<abbr>TCM</abbr>", "<del>old</del>", "<ins>new</ins>",
                     '<ol start="3">', "<caption>Fees</caption>", "<tfoot>"):
            assert kept in article


def test_links_between_archived_posts_stay_in_the_archive(archive_path):
    db = open_archive(archive_path)
    sleep = "https://www.wildflower.example/post/sleep"
    save_post(db, Post(url="https://www.wildflower.example/post/links", title="Links", sections=[Section(
        None, 1, "See", '<p><a href="/post/sleep#herbs">sleep</a> <a href="https://elsewhere.example/">out</a></p>')]))
    db.close()
    html = get(ArchiveSite(archive_path), "/post?url=" + quote("https://www.wildflower.example/post/links", safe=""))[1]
    assert f'href="/post?url={quote(sleep, safe="")}#herbs"' in html
    assert 'href="https://elsewhere.example/" rel="noopener noreferrer nofollow"' in html


def test_the_posts_page_lists_every_post_a_page_at_a_time(archive_path):
    db = open_archive(archive_path)
    for n in range(PAGE_SIZE + 3):
        save_post(db, Post(url=f"https://www.wildflower.example/post/p{n}", title=f"Post {n:02d}",
                           published=f"2020-01-{1 + n:02d}", sections=[Section(None, 1, "Text.", "<p>Text.</p>")]))
    db.close()
    site = ArchiveSite(archive_path)
    first, second = get(site, "/")[1], get(site, "/?page=2")[1]
    total = PAGE_SIZE + 5
    assert f"Posts 1–{PAGE_SIZE} of {total}, newest first" in first and 'rel="next" href="/?page=2"' in first
    assert f"Posts {PAGE_SIZE + 1}–{total} of {total}" in second and 'rel="prev" href="/"' in second
    titles = re.findall(r'class="title" href="[^"]+">([^<]+)</a>', first + second)
    assert len(titles) == len(set(titles)) == total
    assert get(site, "/?page=99")[1].count('class="hit"') == 5  # past the end: the last page


def test_search_results_are_paged_and_counted(archive_path):
    db = open_archive(archive_path)
    for n in range(PAGE_SIZE + 2):
        save_post(db, Post(url=f"https://www.wildflower.example/post/m{n}", title=f"Moxa {n}",
                           sections=[Section(None, 1, "Moxibustion warms.", "<p>Moxibustion warms.</p>")]))
    db.close()
    site = ArchiveSite(archive_path)
    first, second = get(site, "/results?q=moxibustion")[1], get(site, "/results?q=moxibustion&page=2")[1]
    assert f"{PAGE_SIZE + 2} posts match, best first" in first
    assert first.count('class="hit"') == PAGE_SIZE and second.count('class="hit"') == 2
    assert 'href="/?q=moxibustion&amp;page=2"' in first


def test_quality_flags_are_grouped_by_kind():
    assert flag_kind("very short body (12 words)") == "very short body"
    assert flag_kind("text repeated on 5 of 9 posts (boilerplate?): “Book now”") == \
        "text repeated on many posts (boilerplate?)"
    assert flag_kind("title shared by 3 posts (the site name?)") == "title shared by several posts (the site name?)"
    assert flag_kind("no author") == "no author"


def test_the_web_server_does_not_import_the_demo():
    code = "import sys, archive.web; print(sorted(m for m in sys.modules if m.startswith('scraper.demo')))"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout == "[]\n"


def test_unknown_pages_and_escapes_from_the_media_folder_are_404(archive_path):
    site = ArchiveSite(archive_path)
    assert get(site, "/post?url=https%3A%2F%2Fnowhere.example%2Fx")[0] == 404
    assert get(site, "/media/../../../../etc/passwd")[0] == 404
    assert get(site, "/nope")[0] == 404


def test_server_is_read_only_and_local(archive_path):
    before = archive_path.read_bytes()
    with serving(archive_path) as server:
        assert server.url.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(server.url + "/?q=numbness") as response:
            assert response.status == 200
            assert "script-src 'self'" in response.headers["Content-Security-Policy"]
        request = urllib.request.Request(server.url + "/", data=b"x=1", method="POST")
        with pytest.raises(urllib.error.HTTPError) as error:
            urllib.request.urlopen(request)
        assert error.value.code == 405
        with pytest.raises(Exception, match="readonly|read-only"):
            server.site.db.execute("delete from posts")
    assert archive_path.read_bytes() == before


def status_for_host(url: str, host: str | None) -> int:
    """The status of GET / sent with this Host header (None: no Host header at all, as HTTP/1.0 allows)."""
    address = url.removeprefix("http://")
    request = f"GET / HTTP/1.1\r\n{f'Host: {host}' + chr(13) + chr(10) if host is not None else ''}Connection: close\r\n\r\n"
    with socket.create_connection(tuple(address.rsplit(":", 1)), timeout=5) as connection:
        connection.sendall(request.encode())
        return int(connection.makefile("rb").readline().split()[1])


def test_only_the_names_the_server_listens_on_are_answered(archive_path):
    with serving(archive_path) as server:
        port = server.server_address[1]
        assert status_for_host(server.url, f"127.0.0.1:{port}") == 200
        assert status_for_host(server.url, f"localhost:{port}") == 200
        assert status_for_host(server.url, f"LocalHost:{port}") == 200
        assert status_for_host(server.url, f"attacker.example:{port}") == 421  # DNS rebinding
        assert status_for_host(server.url, "attacker.example") == 421
        assert status_for_host(server.url, f"127.0.0.1:{port + 1}") == 421
        assert status_for_host(server.url, "127.0.0.1") == 421  # port 80 is not this server
        assert status_for_host(server.url, None) == 400


def test_a_server_on_all_addresses_answers_its_ip_addresses_but_no_other_name(archive_path):
    with serving(archive_path, host="0.0.0.0") as server:
        port = server.server_address[1]
        url = f"http://127.0.0.1:{port}"
        assert status_for_host(url, f"127.0.0.2:{port}") == 200
        assert status_for_host(url, f"{socket.gethostname()}:{port}") == 200
        assert status_for_host(url, f"attacker.example:{port}") == 421


@pytest.fixture
def media_archive(archive_path: Path) -> Path:
    folder = archive_path.parent / "archive-media" / "ab"
    folder.mkdir(parents=True)
    (folder / "photo.jpg").write_bytes(b"\xff\xd8\xff\xe0jpeg")
    (folder / "page.html").write_bytes(b"<script>fetch('/?q=').then(r => r.text()).then(steal)</script>")
    (folder / "drawing.svg").write_bytes(b'<svg xmlns="http://www.w3.org/2000/svg" onload="steal()"/>')
    (folder / "big.jpg").write_bytes(b"\xff\xd8" + os.urandom(4_000_000))
    return archive_path


def test_media_is_served_as_its_type_or_else_only_as_a_download(media_archive):
    with serving(media_archive) as server:
        for name, content_type, disposition in (("photo.jpg", "image/jpeg", None),
                                                ("page.html", "application/octet-stream", "attachment"),
                                                ("drawing.svg", "application/octet-stream", "attachment")):
            with urllib.request.urlopen(f"{server.url}/media/ab/{name}") as response:
                assert response.headers["Content-Type"] == content_type
                assert response.headers["Content-Disposition"] == disposition
                assert response.headers["X-Content-Type-Options"] == "nosniff"
                assert response.headers["Content-Security-Policy"] == MEDIA_CSP == "default-src 'none'; sandbox"


def serve_in_a_process(archive_path: Path):
    server = start("serve", "--db", archive_path, "--port", "0")
    first = server.stderr.readline()
    match = re.search(r"http://127\.0\.0\.1:(\d+)", first)
    assert match, first
    return server, int(match.group(1)), first


def test_two_hundred_connections_at_once_are_all_accepted_and_answered(archive_path):
    server, port, _ = serve_in_a_process(archive_path)
    sockets = []
    try:
        server.send_signal(signal.SIGSTOP)  # the server accepts nothing for now: the kernel's backlog holds them
        for _ in range(200):
            client = socket.socket()
            client.setblocking(False)
            client.connect_ex(("127.0.0.1", port))
            sockets.append(client)
        time.sleep(0.5)
        _, connected, _ = select.select([], sockets, [], 0)
        assert len(connected) == 200  # with a backlog of 5, the rest wait for a SYN retry, a second or more
        server.send_signal(signal.SIGCONT)
        for client in sockets:
            client.setblocking(True)
            client.settimeout(10)
            client.sendall(f"GET /static/style.css HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
                           .encode())
        statuses = [client.makefile("rb").readline().split()[1] for client in sockets]
        assert statuses == [b"200"] * 200
    finally:
        server.send_signal(signal.SIGCONT)
        for client in sockets:
            client.close()
        server.send_signal(signal.SIGINT)
        server.communicate(timeout=10)


def test_clients_that_go_away_are_not_reported(media_archive):
    server, port, first = serve_in_a_process(media_archive)
    try:
        for _ in range(10):
            client = socket.create_connection(("127.0.0.1", port))
            client.sendall(f"GET /media/ab/big.jpg HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
            client.recv(1000)
            client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # reset, mid-answer
            client.close()
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request("GET", "/?q=tingling")
        assert connection.getresponse().status == 200  # and it still serves
        connection.close()
        time.sleep(0.3)
    finally:
        server.send_signal(signal.SIGINT)
        _, err = server.communicate(timeout=10)
    assert [first.strip(), *lines(err)] == [first.strip(), "Stopped."]


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it)")
def test_browser_types_a_query_sees_the_post_first_and_opens_it(tmp_path, site):
    playwright = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    from click.testing import CliRunner

    from archive.cli import cli

    db_path = tmp_path / "demo.db"
    assert CliRunner().invoke(cli, ["crawl", site.origin, "--db", str(db_path), "--delay", "0"]).exit_code == 0
    shot = tmp_path / "reading-view.png"
    with serving(db_path) as server, playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])  # playwright gives it a fresh empty profile
        try:
            page = browser.new_page()
            page.set_default_timeout(30_000)  # a loaded 2-core CI machine is slow to start a browser
            playwright.expect.set_options(timeout=30_000)
            page.goto(server.url + "/")
            page.locator("#q").press_sequentially("neuropathy tingling", delay=20)
            first = page.locator("li.hit a.title").first
            playwright.expect(first).to_have_text("Does Acupuncture Work For Neuropathy?")  # polls, no eval: CSP
            playwright.expect(page.locator("li.hit")).to_have_count(1)
            assert "q=neuropathy" in page.url  # the address follows the query, so it can be bookmarked
            first.click()
            page.wait_for_selector("article h1")
            assert page.locator("article h1").inner_text() == "Does Acupuncture Work For Neuropathy?"
            assert page.locator("article h2").first.inner_text() == "Modulation of Neurotransmitters"
            page.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()
    assert shot.stat().st_size > 10_000
    if os.environ.get("BLOG_ARCHIVE_SCREENSHOTS"):
        shutil.copy(shot, os.environ["BLOG_ARCHIVE_SCREENSHOTS"])
