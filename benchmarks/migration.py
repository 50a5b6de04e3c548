"""Do the exports land in their real destinations? Figures on the real Wix pages of ../shared/corpus/wix.

    python benchmarks/migration.py [--corpus ../shared/corpus/wix] [--posts N]

Every post page of the corpus is extracted under its real URL (gold.jsonl) and archived with its raw page, as
a crawl would; its images are then given downloaded copies. The images cannot be fetched offline, so each
copy is a synthetic 1x1 PNG (its bytes differ per image): what is measured is whether the exports and the
programs that read them find each copy, not the pictures. Then it prints:

- Ghost: every schema limit of LIMITS and every uniqueness rule, over all posts (and the longest comment_id);
- Hugo (both layouts): pages built, images resolving to a file, links between posts resolving to a page;
- old paths (post URLs and aliases) answering: as Hugo alias pages (served over HTTP) and through the nginx
  map (nginx -t, then served on 127.0.0.1, per host);
- pywb: of the images each replayed page shows that have a downloaded copy, how many replay;
- links to archived posts left pointing at the old site, per format (from each export's report).

Needs hugo, nginx and pywb; a step whose program is missing is reported as skipped.
"""
from __future__ import annotations

import argparse
import gzip
import hashlib
import http.server
import json
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from functools import partial
from html import unescape
from pathlib import Path
from urllib.parse import urljoin, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from export_sites import png  # noqa: E402
from test_export_consumers import QuietFiles, free_port, get, hugo_build_in, nginx_conf, running  # noqa: E402

from archive.export import export  # noqa: E402
from archive.export.common import ExportPost, iter_export_posts, old_paths, path_url  # noqa: E402
from archive.export.ghost import CHOICES, LIMITS, UNIQUE  # noqa: E402
from archive.export.redirects import NGINX_VARIABLE, format_redirects, redirect_map  # noqa: E402
from archive.store import Capture, open_archive, save_post  # noqa: E402
from scraper.extract import extract_post  # noqa: E402
from scraper.profiles.wix import original_image_url  # noqa: E402
from scraper.urls import normalize_url  # noqa: E402


def build(corpus: Path, folder: Path, limit: int | None) -> Path:
    db_path = folder / "archive.db"
    db = open_archive(db_path)
    records = [json.loads(line) for line in (corpus / "gold.jsonl").read_text().splitlines()]
    records = [r for r in records if "/post/" in r["file"]][:limit]
    for record in records:
        raw = gzip.decompress((corpus / record["file"]).read_bytes())
        url = normalize_url(record["url"])  # as a crawl stores it: the path percent-encoded
        post = extract_post(raw.decode("utf-8", "replace"), url)
        post.url = url
        save_post(db, post, capture=Capture(post.url, raw, "2026-01-01T00:00:00+00:00", 200,
                                            "text/html; charset=utf-8"))
    sources = [r[0] for r in db.execute("select distinct src from images")]
    for n, src in enumerate(sources):
        data = png(n)
        sha = hashlib.sha256(data).hexdigest()
        relative = f"archive-media/{sha[:2]}/{sha}.png"
        (folder / relative).parent.mkdir(parents=True, exist_ok=True)
        (folder / relative).write_bytes(data)
        db.execute("update images set local_path = ?, sha256 = ? where src = ?", [relative, sha, src])
    db.conn.commit()
    print(f"{len(records)} posts of {len({urlsplit(r['url']).netloc for r in records})} sites archived, "
          f"{len(sources)} images given synthetic downloaded copies")
    return db_path


def ghost(db, folder: Path) -> None:
    export(db, "ghost", folder / "ghost", media_root=folder, media_url="https://media.example.org/blog/")
    data = json.loads((folder / "ghost" / "ghost-import.json").read_text())["data"]
    problems = 0
    checked = 0
    for table, limits in LIMITS.items():
        for record in data[table]:
            for column, limit in limits.items():
                value = record.get(column)
                checked += isinstance(value, str)
                problems += isinstance(value, str) and len(value) > limit
    for (table, column), allowed in CHOICES.items():
        problems += sum(record[column] not in allowed for record in data[table])
    for table, columns in UNIQUE.items():
        for column in columns:
            values = [str(r[column]).lower() for r in data[table]]
            problems += len(values) - len(set(values))
    urls = [r[0] for r in db.execute("select url from posts")]
    print(f"ghost before: the URL as comment_id would break the 50-character limit in "
          f"{sum(len(u) > 50 for u in urls)} of {len(urls)} posts (the whole import rolled back)")
    print(f"ghost: {len(data['posts'])} posts, {checked} values checked against LIMITS, {problems} over a limit "
          f"or not unique; post URLs up to {max(map(len, urls))} characters, comment_id up to "
          f"{max(len(p['comment_id']) for p in data['posts'])}")


def hugo(db_path: Path, folder: Path) -> None:
    if not shutil.which("hugo"):
        print("hugo: skipped (not installed)")
        return
    db = open_archive(db_path)
    slugs = {item.post.url: item for item in iter_export_posts(db, None)}
    for bundles in (False, True):
        public, summary = hugo_build_in(folder / ("bundles" if bundles else "plain"), db_path, folder, bundles=bundles)
        pages = images = images_ok = links = links_ok = 0
        for item in slugs.values():
            page = public / "posts" / item.slug / "index.html"
            pages += page.is_file()
            html = page.read_text("utf-8") if page.is_file() else ""
            base = f"/posts/{item.slug}/"
            for src in map(unescape, re.findall(r'<img[^>]* src="([^"]*)"', html)):
                if not urlsplit(src).scheme:
                    images += 1
                    images_ok += (public / urljoin(base, src).lstrip("/")).is_file()
            for href in map(unescape, re.findall(r'<a href="([^"]*)"', html)):
                if not urlsplit(href).scheme and not href.startswith("#"):
                    links += 1
                    links_ok += (public / urljoin(base, urlsplit(href).path).lstrip("/") / "index.html").is_file()
        answered, total = alias_answers(public, slugs)
        print(f"hugo {'bundles' if bundles else 'plain'}: {pages}/{len(slugs)} pages, {images_ok}/{images} local "
              f"images resolve ({summary.missing_images} not copied), {links_ok}/{links} links between posts "
              f"resolve, {answered}/{total} old paths answer as alias pages")


def alias_answers(public: Path, items: dict[str, ExportPost]) -> tuple[int, int]:
    handler = partial(QuietFiles, directory=str(public))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    answered = total = 0
    try:
        for item in items.values():
            for _host, path in old_paths(item):
                total += 1
                status, headers, body = get(server.server_address[1], path_url(path))
                if status == 301:
                    status, headers, body = get(server.server_address[1], urlsplit(headers["location"]).path)
                answered += status == 200 and b'http-equiv="refresh"' in body
    finally:
        server.shutdown()
        server.server_close()
    return answered, total


def nginx(db, folder: Path) -> None:
    program = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin")
    if not program:
        print("nginx: skipped (not installed)")
        return
    rules = redirect_map(db, "/blog/{slug}/")
    port = free_port()
    conf = nginx_conf(folder / "nginx", port, http=format_redirects(rules, "nginx"),
                      server=f"if ({NGINX_VARIABLE}) {{ return 301 {NGINX_VARIABLE}; }}")
    test = subprocess.run([program, "-t", "-p", str(folder / "nginx"), "-c", str(conf), "-e",
                           str(folder / "nginx" / "error.log")], capture_output=True, text=True)
    ok = 0
    with running([program, "-p", str(folder / "nginx"), "-c", str(conf), "-e", str(folder / "nginx" / "e.log")], port):
        for rule in rules:
            status, headers, _ = get(port, path_url(rule.path), host=rule.host)
            ok += status == 301 and urlsplit(headers.get("location", "")).path == rule.new
    non_ascii = sum(1 for r in rules if not r.path.isascii())
    print(f"nginx: -t {'ok' if test.returncode == 0 else 'FAILED: ' + test.stderr.strip()}; {ok}/{len(rules)} old "
          f"paths ({non_ascii} non-ASCII) answer 301 to the new path, per host ({len({r.host for r in rules})} hosts)")


def pywb(db, folder: Path) -> None:
    bin_dir = Path(sys.executable).parent
    if not (bin_dir / "wayback").exists():
        print("pywb: skipped (pip install pywb)")
        return
    export(db, "warc", folder / "warc", media_root=folder)
    replay = folder / "pywb"
    replay.mkdir()
    subprocess.run([bin_dir / "wb-manager", "init", "c"], cwd=replay, capture_output=True, check=True)
    subprocess.run([bin_dir / "wb-manager", "add", "c", folder / "warc" / "archive.warc.gz"], cwd=replay,
                   capture_output=True, check=True)
    downloaded = {r[0] for r in db.execute("select src from images where local_path is not null")}
    port = free_port()
    pages = shown = replayed = 0
    failed: list[str] = []
    with running([str(bin_dir / "wayback"), "-b", "127.0.0.1", "-p", str(port)], port, cwd=replay):
        for (url,) in db.execute("select url from posts").fetchall():
            try:
                status, _, body = get(port, f"/c/2026mp_/{url}")
            except OSError as exc:
                failed.append(f"page {type(exc).__name__} {url}")
                continue
            pages += status == 200
            html = body.decode("utf-8", "replace")
            found = re.findall(r'<img[^>]* src="([^"]+)"', html)
            for srcset in re.findall(r'srcset="([^"]+)"', html, re.I):
                found += [part.split()[0] for part in re.split(r",\s+", srcset.strip()) if part.strip()]
            for src in dict.fromkeys(map(unescape, found)):
                match = re.search(r"/c/\d+[a-z_]*/(https?://.+)$", src)
                if not match or original_image_url(match.group(1)) not in downloaded:
                    continue
                shown += 1
                parts = urlsplit(src)
                try:
                    status, _, _ = get(port, parts.path + (f"?{parts.query}" if parts.query else ""))
                except OSError as exc:
                    status = f"{type(exc).__name__}"
                replayed += status == 200
                if status != 200:
                    failed.append(f"{status} {match.group(1)}")
    total = db.execute("select count(*) from posts").fetchone()[0]
    print(f"pywb: {pages}/{total} pages replay; {replayed}/{shown} images they show that were downloaded replay "
          f"({100 * replayed / max(shown, 1):.1f}%)")
    for line in failed[:10]:
        print(f"    not replayed: {line[:160]}")


def links_left(db, folder: Path) -> None:
    figures = []
    media_url = {"media_url": "https://media.example.org/blog/"}
    for fmt in ("markdown", "html", "wxr", "ghost", "jsonl"):
        summary = export(db, fmt, folder / f"left-{fmt}", media_root=folder, **(media_url if fmt in ("wxr", "ghost")
                                                                             else {}))
        posts = sum(r.counts["post"] for r in summary.old_site)
        figures.append(f"{fmt} {posts} to archived posts, {summary.old_links() - posts} to other pages, "
                       f"{summary.old_images()} images")
    print("left pointing at the old site (wxr and ghost with --media-url): " + "; ".join(figures))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus" / "wix")
    parser.add_argument("--posts", type=int, default=None)
    args = parser.parse_args()
    if not (args.corpus / "gold.jsonl").is_file():
        raise SystemExit(f"no corpus at {args.corpus}: this benchmark reads the real Wix pages there")
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        db_path = build(args.corpus, folder, args.posts)
        db = open_archive(db_path)
        ghost(db, folder)
        hugo(db_path, folder)
        nginx(db, folder)
        pywb(db, folder)
        links_left(db, folder)


if __name__ == "__main__":
    main()
