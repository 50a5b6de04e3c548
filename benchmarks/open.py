"""What opening an archive costs: N posts (default 5,000) with their raw captures, as a crawl stores them.

    python benchmarks/open.py [--posts 5000] [--repeat 5]

A writer's open checks the file before its first write (the mark, SQLite's `pragma quick_check`, that it can
be written) and runs the upgrade transaction; a reader's open only reads the mark. Both are timed against
the baseline of a bare sqlite3 connection counting the posts, measured in the same run on the same file,
with the file in the page cache (the median of --repeat opens after one warm-up). From a cold cache,
quick_check reads the whole file once more: add the file's size over the disk's read speed.
"""
from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from archive.dbfile import check_integrity, connect  # noqa: E402
from archive.store import Capture, open_archive, save_post  # noqa: E402
from scraper.models import Image, Post, Section  # noqa: E402

WORDS = ("acupuncture needle meridian qi sleep herbs cupping neuropathy tingling numbness pain back neck stress "
         "fertility cycle spleen liver kidney warmth moxa gua sha tongue pulse patient treatment clinic").split()


def build(db_path: Path, posts: int) -> None:
    rng = random.Random(6)
    db = open_archive(db_path)
    for n in range(1, posts + 1):
        sections = [Section(None if i == 0 else f"Heading {n}.{i}", 1 if i == 0 else 2,
                            text := " ".join(rng.choices(WORDS, k=180)), f"<p>{text}</p>") for i in range(4)]
        url = f"https://www.clinic.example/post/post-{n}"
        post = Post(url=url, title=f"Post {n}: {' '.join(rng.choices(WORDS, k=5))}", author=f"Author {n % 5}",
                    published=f"20{15 + n % 10}-0{1 + n % 9}-1{n % 10}T10:00:00+00:00", sections=sections,
                    images=[Image(f"https://static.wixstatic.com/media/{n:06x}~mv2.jpg", "alt", "cap")],
                    tags=[rng.choice(WORDS)], excerpt=sections[0].text[:200])
        body = f"<html><body><article><h1>{post.title}</h1>{post.body_html}</article></body></html>".encode()
        save_post(db, post, capture=Capture(url, body, "2024-06-01T00:00:00+00:00", 200, "text/html"))
    db.close()


def baseline(db_path: Path) -> None:
    conn = sqlite3.connect(db_path)
    conn.execute("select count(*) from posts").fetchone()
    conn.close()


def quick_check(db_path: Path) -> None:
    db = connect(db_path, write=False)
    check_integrity(db, db_path)
    db.close()


def open_for_writing(db_path: Path) -> None:
    open_archive(db_path).close()


def open_for_reading(db_path: Path) -> None:
    open_archive(db_path, create=False).close()


def median_ms(func, db_path: Path, repeat: int) -> float:
    func(db_path)
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        func(db_path)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        db_path = Path(folder) / "open-bench.db"
        started = time.perf_counter()
        build(db_path, args.posts)
        print(f"{args.posts:,} posts built in {time.perf_counter() - started:.0f} s; "
              f"{db_path.stat().st_size / 1e6:.0f} MB")
        base = median_ms(baseline, db_path, args.repeat)
        print(f"{'open':<22}{'ms':>9}{'x baseline':>12}")
        print(f"{'baseline (sqlite3)':<22}{base:>9.1f}{1:>12.1f}")
        for name, func in (("quick_check alone", quick_check), ("for reading", open_for_reading),
                           ("for writing", open_for_writing)):
            took = median_ms(func, db_path, args.repeat)
            print(f"{name:<22}{took:>9.1f}{took / base:>12.1f}")


if __name__ == "__main__":
    main()
