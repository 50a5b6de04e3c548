"""Raw captures on disk: ours (zstd, a dictionary per site, re-captures against the previous capture) beside
today's zlib and plain zstd level 19, on the real Wix pages of ../shared/corpus/wix, in one run.

    python benchmarks/captures.py [--corpus ../shared/corpus/wix] [--listings] [--limit N]

Reads the real pages there (never copied into this repository; it says so and stops when the folder is absent).
For each way of storing, a fresh archive gets every post page (and, with --listings, the blog's listing,
category and tag pages) site by site in crawl order (gold.jsonl's order), one capture per transaction through
save_capture, as a crawl stores them. Then every page comes back again with one paragraph rewritten (every
occurrence of a sentence of its text: the HTML and Wix's JSON state), as a re-crawl after an edit stores it.

Prints, per way: stored KB per page on average (capture bodies, plus the site dictionaries for ours), the ratio
to the raw bytes, KB per re-capture of a changed page, write time per page (dictionary training included) and
its ratio to zlib's, and read time per page (ours checks SHA-256 on every read; zlib is today's read, which
checks nothing). zlib is today's path: level 6, no dictionary, a row per capture.
"""
from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import re
import sys
import tempfile
import time
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import zstandard

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from archive import captures  # noqa: E402
from archive.store import Capture, open_archive, page_body, save_capture  # noqa: E402
from scraper.urls import normalize_url  # noqa: E402

LISTING = re.compile(r"^(blog|news|insights)(/page/\d+|/categories/[^/]+|/tags/[^/]+)?\.html\.gz$")


@dataclass
class Page:
    site: str
    url: str
    raw: bytes
    changed: bytes | None  # the page with one paragraph rewritten (None for listing pages)


@dataclass
class Figures:
    stored: int = 0
    write: float = 0.0
    read: float = 0.0
    recaptured: int = 0
    rewrite: float = 0.0


def load(corpus: Path, *, listings: bool, limit: int | None) -> tuple[list[Page], int]:
    """The pages in crawl order, and how many changed pages had no sentence of their text found in them."""
    records = [json.loads(line) for line in (corpus / "gold.jsonl").read_text().splitlines()]
    by_site: dict[str, list[dict]] = {}
    for record in records:
        by_site.setdefault(record["file"].split("/")[0], []).append(record)
    pages, missed = [], 0
    for folder, items in by_site.items():
        items = items[:limit]
        origin = "/".join(normalize_url(items[0]["url"]).split("/")[:3])
        for record in items:
            raw = gzip.decompress((corpus / record["file"]).read_bytes())
            changed = rewrite_paragraph(raw, record["body"])
            missed += changed is None
            pages.append(Page(folder, normalize_url(record["url"]), raw, changed or raw + b"<!-- edited -->"))
        if listings:
            for path in sorted((corpus / folder).rglob("*.html.gz")):
                relative = path.relative_to(corpus / folder).as_posix()
                if LISTING.match(relative):
                    pages.append(Page(folder, f"{origin}/{relative.removesuffix('.html.gz')}",
                                      gzip.decompress(path.read_bytes()), None))
    return pages, missed


def rewrite_paragraph(raw: bytes, text: str) -> bytes | None:
    """The page with a sentence of its text rewritten wherever it appears; None if none is found as it is."""
    for paragraph in sorted(text.split("\n"), key=len, reverse=True):
        for start in range(0, max(len(paragraph) - 60, 1), 20):
            snippet = paragraph[start:start + 60].encode()
            if len(snippet) >= 40 and snippet in raw:
                return raw.replace(snippet, b"Rewritten after a reader's question: " + snippet[::-1])
    return None


def store_ours(db, capture: Capture) -> None:
    save_capture(db, capture)


def store_with(compress: Callable[[bytes], bytes], codec: str | None) -> Callable:
    """A capture stored as today's _save_capture does (one transaction, same bytes stored once), compressed
    by `compress` and marked with `codec` (NULL: zlib, as archives before schema version 2)."""
    def store(db, capture: Capture) -> None:
        sha = hashlib.sha256(capture.body).hexdigest()
        with db.atomic():
            existing = db.execute("select id from pages where url = ? and sha256 = ?", [capture.url, sha]).fetchone()
            if existing is None:
                db["pages"].insert({"url": capture.url, "fetched_at": capture.fetched_at, "status_code": 200,
                                    "content_type": "text/html", "sha256": sha, "body": compress(capture.body),
                                    "codec": codec})
    return store


def todays_read(db, row: dict) -> bytes:
    return zlib.decompress(row["body"])


def measure(folder: Path, name: str, pages: list[Page], store: Callable, read: Callable) -> Figures:
    figures = Figures()
    warm = open_archive(folder / f"{name}-warm-up.db")  # imports, allocations, the file system: not measured
    for page in pages[-3:]:
        store(warm, Capture(page.url, page.raw, "2024-01-01T00:00:00+00:00", 200, "text/html"))
    warm.close()
    db = open_archive(folder / f"{name}.db")
    started = time.perf_counter()
    for page in pages:
        store(db, Capture(page.url, page.raw, "2024-01-01T00:00:00+00:00", 200, "text/html"))
    figures.write = time.perf_counter() - started
    figures.stored = db.execute("select sum(length(body)) from pages").fetchone()[0] + \
        (db.execute("select coalesce(sum(length(body)), 0) from dictionaries").fetchone()[0])
    rows = list(db.query("select * from pages order by id"))
    started = time.perf_counter()
    for row, page in zip(rows, pages):
        assert read(db, row) == page.raw
    figures.read = time.perf_counter() - started
    last = rows[-1]["id"]
    started = time.perf_counter()
    for page in pages:
        if page.changed is not None:
            store(db, Capture(page.url, page.changed, "2024-06-01T00:00:00+00:00", 200, "text/html"))
    figures.rewrite = time.perf_counter() - started
    figures.recaptured = db.execute("select sum(length(body)) from pages where id > ?", [last]).fetchone()[0]
    for row in db.query("select * from pages where id > ?", [last]):
        assert hashlib.sha256(read(db, row)).hexdigest() == row["sha256"]
    db.close()
    return figures


def trained_dictionaries(pages: list[Page], size: int = 1024 * 1024, samples: int = 8) -> float:
    """Bytes a page with zstd's own trainer (COVER) in our place: a `size` dictionary per site trained from its
    first `samples` pages (it refuses 4 pages of 1 MB), stored at level 19, every page at LEVEL against it."""
    total = 0
    for site in dict.fromkeys(page.site for page in pages):
        bodies = [page.raw for page in pages if page.site == site]
        trained = zstandard.train_dictionary(size, bodies[:samples], level=captures.LEVEL)
        total += len(zstandard.ZstdCompressor(level=19).compress(trained.as_bytes()))
        compressor = zstandard.ZstdCompressor(level=captures.LEVEL, dict_data=trained)
        total += sum(len(compressor.compress(body)) for body in bodies)
    return total / len(pages)


def convert(path: Path) -> tuple[float, int, int]:
    """Seconds to open today's archive as a writer (converting every capture, then VACUUM), sizes before, after."""
    before = path.stat().st_size
    started = time.perf_counter()
    db = open_archive(path)
    seconds = time.perf_counter() - started
    assert db.execute("select count(*) from pages where codec is null").fetchone()[0] == 0
    db.close()
    return seconds, before, path.stat().st_size


def deepest_read(site: list[Page], rounds: int = 20) -> float:
    """Seconds to read the capture at the end of the longest chain a read may decode (median of `rounds`): the
    last page of a site captured MAX_CHAIN times more, each time with another line added."""
    page = site[-1]
    with tempfile.TemporaryDirectory() as temporary:
        db = open_archive(Path(temporary) / "chain.db")
        for other in site[:-1]:
            save_capture(db, Capture(other.url, other.raw, "2024-01-01T00:00:00+00:00", 200, "text/html"))
        for version in range(captures.MAX_CHAIN + 1):
            body = page.raw if version == 0 else page.raw.replace(b"</body>", f"<p>edit {version}</p></body>".encode())
            save_capture(db, Capture(page.url, body, f"2024-01-{version + 1:02d}T00:00:00+00:00", 200, "text/html"))
        row = next(db.query("select * from pages order by id desc limit 1"))
        assert row["chain"] == captures.MAX_CHAIN
        times = []
        for _ in range(rounds):
            started = time.perf_counter()
            page_body(db, row)
            times.append(time.perf_counter() - started)
        db.close()
    return sorted(times)[rounds // 2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus" / "wix")
    parser.add_argument("--listings", action="store_true", help="store the listing, category and tag pages too")
    parser.add_argument("--limit", type=int, default=None, help="only the first N post pages of each site")
    args = parser.parse_args()
    if not (args.corpus / "gold.jsonl").exists():
        print(f"no corpus of real Wix pages at {args.corpus}: nothing to measure (it lives outside this repository)")
        return
    pages, missed = load(args.corpus, listings=args.listings, limit=args.limit)
    posts = [page for page in pages if page.changed is not None]
    raw = sum(len(page.raw) for page in pages)
    print(f"{len(pages)} pages ({len(posts)} posts) of {len({p.site for p in pages})} sites from {args.corpus}, "
          f"{raw / 1e6:.1f} MB, {raw / len(pages) / 1024:.0f} KB a page; {len(posts) - missed} re-captures rewrite "
          f"a sentence of the text, {missed} only add a comment (no sentence found as it is)")
    print(f"ours: zstd level {captures.LEVEL}, site dictionary from {captures.DICTIONARY_SAMPLES} captures, "
          f"re-captures against the previous one (chain <= {captures.MAX_CHAIN})")
    level19 = zstandard.ZstdCompressor(level=19)
    ways = {
        "zlib (today)": (store_with(lambda body: zlib.compress(body, 6), None), todays_read),
        "zstd 19": (store_with(level19.compress, "zstd"), page_body),
        "ours": (store_ours, page_body),
    }
    with tempfile.TemporaryDirectory() as temporary:
        results = {name: measure(Path(temporary), name.split()[0], pages, store, read)
                   for name, (store, read) in ways.items()}
        converted = convert(Path(temporary) / "zlib.db")
    base = results["zlib (today)"]
    print(f"{'':14s}{'KB/page':>9s}{'ratio':>8s}{'KB/re-capture':>15s}{'write ms/page':>15s}{'vs zlib':>9s}"
          f"{'re-capture ms':>15s}{'read ms/page':>14s}")
    for name, figures in results.items():
        print(f"{name:14s}{figures.stored / len(pages) / 1024:9.1f}{raw / figures.stored:8.1f}"
              f"{figures.recaptured / len(posts) / 1024:15.1f}{figures.write / len(pages) * 1000:15.1f}"
              f"{figures.write / base.write:8.2f}x{figures.rewrite / len(posts) * 1000:15.1f}"
              f"{figures.read / len(pages) * 1000:14.2f}")
    print(f"zstd's own dictionary trainer in place of ours (COVER, 1 MB from each site's first 8 pages): "
          f"{trained_dictionaries(pages) / 1024:.1f} KB/page")
    print(f"converting today's archive of these captures (re-captures too) on a writer's open: {converted[0]:.1f} s, "
          f"{converted[0] / (len(pages) + len(posts)) * 1000:.1f} ms a capture; file "
          f"{converted[1] / 1e6:.1f} MB -> {converted[2] / 1e6:.1f} MB")
    print(f"ours, a capture at the end of a chain of {captures.MAX_CHAIN} re-captures: read in "
          f"{deepest_read(posts[:captures.DICTIONARY_SAMPLES + 2]) * 1000:.2f} ms "
          f"({len(posts[captures.DICTIONARY_SAMPLES + 1].raw) / 1024:.0f} KB page)")
    ours = results["ours"]
    print(f"targets: <= 40 KB a stored page ({ours.stored / len(pages) / 1024:.1f}), <= 10 KB a re-capture "
          f"({ours.recaptured / len(posts) / 1024:.1f}), write <= 1.5x zlib ({ours.write / base.write:.2f}x)")


if __name__ == "__main__":
    main()
