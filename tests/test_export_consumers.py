"""The exports read by the real programs that consume them, on 127.0.0.1: Hugo builds the Markdown (both
layouts), nginx and Apache serve the redirect maps, pywb replays the WARC. Each test skips, saying why, when
its program is not installed (.ci/run installs them: Debian's hugo, nginx and apache2, PyPI's pywb)."""
from __future__ import annotations

import contextlib
import http.client
import http.server
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from functools import partial
from html import unescape
from pathlib import Path
from typing import Iterator
from urllib.parse import urljoin, urlsplit

import export_sites as sites
import pytest

from archive.export import export
from archive.export.common import path_url
from archive.export.redirects import NGINX_VARIABLE, format_redirects, redirect_map
from archive.store import open_archive

APACHE_MODULES = Path("/usr/lib/apache2/modules")


def need(program: str) -> str:
    path = shutil.which(program) or shutil.which(program, path="/usr/sbin:/usr/bin:/sbin")
    if path is None:
        pytest.skip(f"{program} is not installed (.ci/run installs it with apt-get)")
    return path


@pytest.fixture
def made(tmp_path) -> sites.MigrationArchive:
    return sites.build(tmp_path / "archive")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the server exited with {process.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return
        time.sleep(0.05)
    raise AssertionError(f"nothing listens on 127.0.0.1:{port} after {seconds} s")


@contextlib.contextmanager
def running(command: list[str], port: int, **options) -> Iterator[subprocess.Popen]:
    """A server started for the block and stopped after it (its output dropped: a pipe nobody reads fills up
    and stalls a server that logs every request)."""
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **options)
    try:
        wait_for_port(port, process)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def get(port: int, path: str, host: str | None = None) -> tuple[int, dict[str, str], bytes]:
    """One GET on 127.0.0.1 (path sent as given, percent-encoded), redirects not followed."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path, headers={"Host": host or f"127.0.0.1:{port}"})
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


# --- Hugo ---------------------------------------------------------------------------------------------

HUGO_CONFIG = 'baseURL = "http://blog.example.org/"\ntitle = "Migrated"\ndisableKinds = ["taxonomy", "term", ' \
              '"RSS", "sitemap", "robotsTXT", "404"]\n[markup.goldmark.renderer]\nunsafe = true\n'


def hugo_build(tmp_path: Path, made: sites.MigrationArchive, *, bundles: bool) -> tuple[Path, object]:
    return hugo_build_in(tmp_path / ("bundles" if bundles else "plain"), made.db_path, made.media_root,
                         bundles=bundles)


def hugo_build_in(site: Path, db_path: Path, media_root: Path, *, bundles: bool) -> tuple[Path, object]:
    """The Markdown export built by Hugo (raw HTML allowed, to show none comes through); the public folder."""
    hugo = need("hugo")
    (site / "layouts" / "_default").mkdir(parents=True)
    (site / "config.toml").write_text(HUGO_CONFIG)
    (site / "layouts" / "_default" / "single.html").write_text("<article>{{ .Content }}</article>")
    (site / "layouts" / "_default" / "list.html").write_text("{{ range .Pages }}{{ .RelPermalink }} {{ end }}")
    summary = export(open_archive(db_path, create=False), "markdown", site / "content" / "posts",
                     media_root=media_root, bundles=bundles)
    done = subprocess.run([hugo, "--quiet", "-s", str(site), "-d", str(site / "public")], capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0 and "ERROR" not in done.stderr, done.stderr
    return site / "public", summary


class QuietFiles(http.server.SimpleHTTPRequestHandler):
    """Files of a folder over HTTP, as a static host serves them (no log lines)."""

    def log_message(self, format, *args) -> None:
        pass


def exported_slugs(made: sites.MigrationArchive) -> dict[str, str]:
    from archive.export.common import iter_export_posts
    return {item.post.url: item.slug for item in iter_export_posts(open_archive(made.db_path), None)}


@pytest.mark.parametrize("bundles", [False, True], ids=["plain", "bundles"])
def test_hugo_builds_every_page_and_every_image_and_link_resolves(made, tmp_path, bundles):
    public, _ = hugo_build(tmp_path, made, bundles=bundles)
    slugs = exported_slugs(made)
    images = links = 0
    for url, slug in slugs.items():
        page = public / "posts" / slug / "index.html"
        assert page.is_file(), f"no page for {url}"
        html = page.read_text(encoding="utf-8")
        assert "<script" not in html
        base = f"/posts/{slug}/"
        for src in re.findall(r'<img[^>]* src="([^"]*)"', html):
            src = unescape(src)
            if urlsplit(src).scheme:
                continue  # never downloaded: linked to its original
            target = public / urljoin(base, src).lstrip("/")
            assert target.is_file(), f"{slug}: image {src} is not in the built site"
            assert target.read_bytes() in sites_images(made)
            images += 1
        for href in re.findall(r'<a href="([^"]*)"', html):
            href = unescape(href)
            if urlsplit(href).scheme:
                continue
            target = public / urljoin(base, urlsplit(href).path).lstrip("/") / "index.html"
            assert target.is_file(), f"{slug}: link {href} leads nowhere"
            links += 1
    assert images == 2 and links == 6  # both real images; the six links between posts


def sites_images(made: sites.MigrationArchive) -> set[bytes]:
    return set(made.images.values())


@pytest.mark.parametrize("bundles", [False, True], ids=["plain", "bundles"])
def test_hugo_answers_every_old_path_non_ascii_and_two_sites_included(made, tmp_path, bundles):
    public, summary = hugo_build(tmp_path, made, bundles=bundles)
    slugs = exported_slugs(made)
    handler = partial(QuietFiles, directory=str(public))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        answered = 0
        for url, slug in slugs.items():
            from archive.export.common import ExportPost, old_paths
            item = ExportPost(post=_post(made, url), row={}, slug=slug)
            for _host, path in old_paths(item):
                status, headers, body = get(server.server_address[1], path_url(path))
                if status == 301:  # the alias is a folder: the server adds the slash
                    status, headers, body = get(server.server_address[1], urlsplit(headers["location"]).path)
                assert status == 200, f"{path}: {status}"
                target = re.search(rb'http-equiv="refresh" content="0; url=([^"]+)"', body)
                assert target, f"{path} is not an alias page"
                owner = slugs[sites.WELCOME_B] if path == "/post/welcome" else slug  # the first site keeps it
                assert urlsplit(target.group(1).decode()).path == f"/posts/{owner}/"
                answered += 1
    finally:
        server.shutdown()
        server.server_close()
    assert answered == 7  # every post URL and alias (/post/welcome, asked for each site, answers B's post)
    assert any("/post/welcome" in w for w in summary.warnings)


def _post(made: sites.MigrationArchive, url: str):
    from archive.store import find_post, load_post
    db = open_archive(made.db_path)
    return load_post(db, find_post(db, url))


# --- nginx and Apache ------------------------------------------------------------------------------------

def nginx_conf(folder: Path, port: int, *, server: str, http: str = "") -> Path:
    for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (folder / name).mkdir(parents=True, exist_ok=True)
    temp = " ".join(f"{name}_temp_path {folder / name};" for name in ("proxy", "fastcgi", "uwsgi", "scgi"))
    conf = folder / "nginx.conf"
    conf.write_text(f"daemon off; master_process off; worker_processes 1; pid {folder / 'nginx.pid'};\n"
                    f"error_log {folder / 'error.log'};\nevents {{ worker_connections 64; }}\n"
                    f"http {{ access_log off; client_body_temp_path {folder / 'body'}; {temp}\n{http}\n"
                    f"server {{ listen 127.0.0.1:{port}; server_name _;\n{server}\n"
                    "location / { return 404; } } }\n", encoding="utf-8")
    return conf


def nginx_check(nginx: str, folder: Path, conf: Path) -> None:
    done = subprocess.run([nginx, "-t", "-p", str(folder), "-c", str(conf), "-e", str(folder / "error.log")],
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr


def test_nginx_accepts_the_map_of_one_site_and_redirects_every_old_path(made, tmp_path):
    nginx = need("nginx")
    rules = redirect_map(open_archive(made.db_path), "/blog/{slug}/", site="clinic-a.example")
    port = free_port()
    conf = nginx_conf(tmp_path / "nginx", port, server=format_redirects(rules, "nginx"))
    nginx_check(nginx, tmp_path / "nginx", conf)
    with running([nginx, "-p", str(tmp_path / "nginx"), "-c", str(conf), "-e", str(tmp_path / "nginx" / "error.log")],
                 port):
        assert len(rules) == 5
        for rule in rules:
            for sent in {path_url(rule.path), path_url(rule.path).lower()}:  # %C3%B1 and %c3%b1 alike
                status, headers, _ = get(port, sent)
                assert (status, urlsplit(headers.get("location", "")).path) == (301, rule.new), sent
        assert get(port, "/post/not-archived")[0] == 404


def test_nginx_serves_the_map_of_two_sites_per_host(made, tmp_path):
    nginx = need("nginx")
    rules = redirect_map(open_archive(made.db_path), "/blog/{slug}/")
    port = free_port()
    conf = nginx_conf(tmp_path / "nginx", port, http=format_redirects(rules, "nginx"),
                      server=f"if ({NGINX_VARIABLE}) {{ return 301 {NGINX_VARIABLE}; }}")
    nginx_check(nginx, tmp_path / "nginx", conf)
    with running([nginx, "-p", str(tmp_path / "nginx"), "-c", str(conf), "-e", str(tmp_path / "nginx" / "error.log")],
                 port):
        for rule in rules:
            for host in (rule.host, f"www.{rule.host}"):
                status, headers, _ = get(port, path_url(rule.path), host=host)
                assert (status, urlsplit(headers.get("location", "")).path) == (301, rule.new), (host, rule.path)
        welcome = {get(port, "/post/welcome", host=host)[1]["location"]
                   for host in ("clinic-a.example", "clinic-b.example")}
        assert {urlsplit(w).path for w in welcome} == {"/blog/welcome/", "/blog/welcome-2/"}
        assert get(port, "/post/welcome", host="elsewhere.example")[0] == 404


def apache_conf(folder: Path, port: int, rules_text: str) -> Path:
    for module in ("mpm_event", "authz_core", "alias", "rewrite"):
        if not (APACHE_MODULES / f"mod_{module}.so").is_file():
            pytest.skip(f"apache2's mod_{module} is not installed")
    (folder / "htdocs").mkdir(parents=True)
    (folder / "redirects.conf").write_text(rules_text, encoding="utf-8")
    conf = folder / "httpd.conf"
    modules = "\n".join(f"LoadModule {m}_module {APACHE_MODULES / f'mod_{m}.so'}"
                        for m in ("mpm_event", "authz_core", "alias", "rewrite"))
    conf.write_text(f'ServerRoot "{folder}"\nDefaultRuntimeDir "{folder}"\nPidFile "{folder}/httpd.pid"\n'
                    f'ErrorLog "{folder}/error.log"\nListen 127.0.0.1:{port}\nServerName 127.0.0.1\n{modules}\n'
                    "User nobody\nGroup nogroup\n"
                    f'DocumentRoot "{folder}/htdocs"\n<Directory "{folder}/htdocs">\nRequire all granted\n</Directory>\n'
                    f'Include "{folder}/redirects.conf"\n', encoding="utf-8")
    return conf


@pytest.mark.parametrize("scoped", [False, True], ids=["one-site", "two-sites"])
def test_apache_accepts_the_map_and_redirects_every_old_path(made, tmp_path, scoped):
    apache = need("apache2")
    rules = redirect_map(open_archive(made.db_path), "/blog/{slug}/", site=None if scoped else "clinic-a.example")
    port = free_port()
    conf = apache_conf(tmp_path / "apache", port, format_redirects(rules, "apache"))
    done = subprocess.run([apache, "-t", "-f", str(conf)], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    with running([apache, "-f", str(conf), "-DFOREGROUND"], port):
        for rule in rules:
            host = rule.host if scoped else None
            status, headers, _ = get(port, path_url(rule.path), host=host)
            assert (status, urlsplit(headers.get("location", "")).path) == (301, rule.new), rule


# --- pywb ---------------------------------------------------------------------------------------------

def test_pywb_replays_every_page_and_every_downloaded_image_it_shows(made, tmp_path):
    wayback = need("wayback") if shutil.which("wayback") else _venv_program("wayback")
    manager = _venv_program("wb-manager")
    summary = export(open_archive(made.db_path), "warc", tmp_path / "warc", media_root=made.media_root)
    replay = tmp_path / "pywb"
    replay.mkdir()
    for command in ([manager, "init", "blog"], [manager, "add", "blog", str(tmp_path / "warc" / "archive.warc.gz")]):
        done = subprocess.run(command, cwd=replay, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
    port = free_port()
    shown = replayed = 0
    with running([wayback, "-b", "127.0.0.1", "-p", str(port)], port, cwd=replay):
        for post in sites.posts():
            status, _, page = get(port, f"/blog/2024mp_/{post.url}")
            assert status == 200 and b"<article><h1>" in page, post.url
            for src in _images_in(page.decode("utf-8", "replace")):
                original = _original(src)
                if original not in made.images:
                    continue  # not downloaded by --media (an image of another site, or none at all)
                shown += 1
                parts = urlsplit(src)
                status, headers, body = get(port, parts.path + (f"?{parts.query}" if parts.query else ""))
                if status == 200 and body == made.images[original]:
                    replayed += 1
    assert summary.posts == 5
    assert shown == 6 and replayed == shown  # the photo: src, 1x and 2x srcset, in the text; the garden twice


def _venv_program(name: str) -> str:
    path = Path(sys.executable).parent / name
    if not path.exists():
        pytest.skip(f"{name} (pywb) is not installed: pip install pywb")
    return str(path)


def _images_in(html: str) -> list[str]:
    found = re.findall(r'<img[^>]* src="([^"]+)"', html)
    for srcset in re.findall(r'srcset="([^"]+)"', html):
        found += [part.strip().split()[0] for part in re.split(r",\s+", srcset) if part.strip()]
    return [unescape(u) for u in found]


def _original(replayed: str) -> str:
    """The archived URL inside a pywb replay URL ('…/blog/2024im_/https://…'), resized variants mapped back."""
    from scraper.profiles.wix import original_image_url
    match = re.search(r"/blog/\d+[a-z_]*/(https?://.+)$", replayed)
    url = match.group(1) if match else replayed
    return url if url in (sites.LOCAL_PHOTO,) else original_image_url(url)
